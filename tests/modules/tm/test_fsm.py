"""State machines (RFC 3261 §17) and the timer schedule, with an injected clock."""
import pytest

from openser_py.modules.tm import fsm as F

T = F.TmTimers()


def run(machine, events, state=F.S_NONE):
    """Feed ``events``; return the states visited and all actions."""
    states, actions = [], []
    for ev in events:
        res = F.step(machine, state, ev)
        assert res is not None, (machine, F.STATE_NAMES[state], ev)
        state, acts = res
        states.append(state)
        actions.extend(acts)
    return states, actions


def test_uas_invite_negative_reply_acked():
    states, actions = run(F.UAS_INV, [
        F.E_REQUEST, F.E_SEND_1XX, F.E_RETRANS, F.E_SEND_FINAL,
        F.E_TIMER_RETR, F.E_RETRANS, F.E_ACK, F.E_ACK, F.E_TIMER_WAIT])
    assert states == [F.S_PROCEEDING, F.S_PROCEEDING, F.S_PROCEEDING,
                      F.S_COMPLETED, F.S_COMPLETED, F.S_COMPLETED,
                      F.S_CONFIRMED, F.S_CONFIRMED, F.S_TERMINATED]
    assert actions == [F.A_CREATE, F.A_PASS, F.A_RESEND_REPLY,
                       F.A_FINAL_TIMERS, F.A_RETRANSMIT, F.A_RESEND_REPLY,
                       F.A_STOP_RETR, F.A_STOP_FR, F.A_ABSORB, F.A_WAIT,
                       F.A_ABSORB, F.A_DELETE]


def test_uas_invite_no_ack_fr_bounds_retransmissions():
    states, actions = run(F.UAS_INV, [F.E_REQUEST, F.E_SEND_FINAL,
                                      F.E_TIMER_FR, F.E_TIMER_WAIT])
    assert states[-2:] == [F.S_TERMINATED, F.S_TERMINATED]
    assert actions[-3:] == [F.A_STOP_RETR, F.A_WAIT, F.A_DELETE]


def test_uas_invite_2xx_is_accepted_not_terminated():
    states, actions = run(F.UAS_INV, [F.E_REQUEST, F.E_SEND_2XX, F.E_RETRANS,
                                      F.E_SEND_2XX, F.E_ACK, F.E_TIMER_WAIT])
    assert states == [F.S_PROCEEDING, F.S_ACCEPTED, F.S_ACCEPTED,
                      F.S_ACCEPTED, F.S_ACCEPTED, F.S_TERMINATED]
    assert F.A_RESEND_REPLY in actions and F.A_PASS in actions[-3:]


def test_uas_non_invite():
    states, actions = run(F.UAS_NINV, [F.E_REQUEST, F.E_RETRANS,
                                       F.E_SEND_1XX, F.E_RETRANS,
                                       F.E_SEND_FINAL, F.E_RETRANS,
                                       F.E_TIMER_WAIT])
    assert states == [F.S_TRYING, F.S_TRYING, F.S_PROCEEDING, F.S_PROCEEDING,
                      F.S_COMPLETED, F.S_COMPLETED, F.S_TERMINATED]
    assert actions == [F.A_CREATE, F.A_PASS, F.A_ABSORB, F.A_RESEND_REPLY,
                       F.A_WAIT, F.A_RESEND_REPLY, F.A_DELETE]


def test_uac_invite_paths():
    states, actions = run(F.UAC_INV, [F.E_SEND, F.E_TIMER_RETR, F.E_RCV_1XX,
                                      F.E_RCV_1XX, F.E_RCV_FINAL,
                                      F.E_RCV_FINAL, F.E_TIMER_WAIT])
    assert states == [F.S_CALLING, F.S_CALLING, F.S_PROCEEDING,
                      F.S_PROCEEDING, F.S_COMPLETED, F.S_COMPLETED,
                      F.S_TERMINATED]
    assert actions[:3] == [F.A_START_RETR, F.A_START_FR, F.A_RETRANSMIT]
    assert actions[3:] == [F.A_STOP_RETR, F.A_START_FR_INV, F.A_RELAY,
                           F.A_START_FR_INV, F.A_RELAY,
                           F.A_STOP_FR, F.A_SEND_ACK, F.A_RELAY,
                           F.A_SEND_ACK, F.A_ABSORB]
    states, actions = run(F.UAC_INV, [F.E_SEND, F.E_RCV_2XX, F.E_RCV_2XX])
    assert states[-1] == F.S_ACCEPTED and actions[-1] == F.A_RELAY
    states, actions = run(F.UAC_INV, [F.E_SEND, F.E_TIMER_FR])
    assert states[-1] == F.S_TERMINATED and actions[-1] == F.A_FR_EXPIRED
    states, actions = run(F.UAC_INV, [F.E_SEND, F.E_RCV_1XX, F.E_TIMER_FR])
    assert actions[-1] == F.A_FR_EXPIRED


def test_uac_non_invite_slows_to_t2_after_provisional():
    states, actions = run(F.UAC_NINV, [F.E_SEND, F.E_TIMER_RETR, F.E_RCV_1XX,
                                       F.E_TIMER_RETR, F.E_RCV_2XX,
                                       F.E_RCV_FINAL, F.E_TIMER_WAIT])
    assert states == [F.S_TRYING, F.S_TRYING, F.S_PROCEEDING,
                      F.S_PROCEEDING, F.S_COMPLETED, F.S_COMPLETED,
                      F.S_TERMINATED]
    assert actions.count(F.A_RETR_T2) == 2 and actions[-1] == F.A_ABSORB


@pytest.mark.parametrize("machine,state,event", [
    (F.UAC_INV, F.S_COMPLETED, F.E_TIMER_RETR),
    (F.UAS_NINV, F.S_COMPLETED, F.E_SEND_FINAL),
    (F.UAS_INV, F.S_CONFIRMED, F.E_SEND_2XX),
    (F.UAC_NINV, F.S_NONE, F.E_RCV_1XX),
])
def test_ignored_events(machine, state, event):
    assert F.step(machine, state, event) is None


def test_every_transition_names_known_states_and_actions():
    actions = {v for k, v in vars(F).items() if k.startswith("A_")}
    for table in F.TRANSITIONS.values():
        for (state, event), (nxt, acts) in table.items():
            assert state in F.STATE_NAMES and nxt in F.STATE_NAMES
            assert set(acts) <= actions, acts


def test_event_helpers():
    assert [F.server_event_for_reply(c) for c in (100, 183, 200, 302, 603)] \
        == [F.E_SEND_1XX] * 2 + [F.E_SEND_2XX] + [F.E_SEND_FINAL] * 2
    assert [F.client_event_for_reply(c) for c in (180, 299, 300)] == [
        F.E_RCV_1XX, F.E_RCV_2XX, F.E_RCV_FINAL]


# --- timers ---------------------------------------------------------------

def test_retransmission_schedule_caps_at_t2():
    assert F.retr_schedule(500, 4000, 7) == [500, 1000, 2000, 4000, 4000,
                                             4000, 4000]
    assert F.retr_schedule(100, 250, 4) == [100, 200, 250, 250]
    assert F.next_retr_interval(4000, 4000) == 4000


def test_retransmission_times_with_injected_clock():
    now, iv, sent = 1000.0, T.t1, []
    for _ in range(6):
        now = F.due(now, iv)
        sent.append(round(now - 1000.0, 3))
        iv = F.next_retr_interval(iv, T.t2)
    assert sent == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5]


def test_timers_from_params():
    t = F.timers_from_params(fr_timer=10, fr_inv_timer=30, t1_timer=100,
                             t2_timer=400)
    assert (t.fr, t.fr_inv, t.wt, t.delete, t.t1, t.t2) == (
        10000, 30000, 5000, 2000, 100, 400)
    with pytest.raises(ValueError):
        F.timers_from_params(t1_timer=500, t2_timer=500)


def test_fr_interval():
    assert F.fr_interval(T, True, False) == 30000
    assert F.fr_interval(T, True, True) == 120000
    assert F.fr_interval(T, False, True) == 30000
    assert F.fr_interval(T, True, True, fr_avp=5, fr_inv_avp=60) == 60000
    assert F.fr_interval(T, False, False, fr_avp=5) == 5000


@pytest.mark.parametrize("each,last,new,expected", [
    (1, 0, 100, True), (1, 183, 180, True), (1, 180, 180, True),
    (0, 0, 100, True),          # first provisional
    (0, 100, 180, True),        # higher and >= 180
    (0, 100, 110, False),       # higher but < 180
    (0, 180, 180, False),       # not higher
    (0, 183, 180, False),
])
def test_should_restart_fr(each, last, new, expected):
    assert F.should_restart_fr(each, last, new) is expected


def test_on_provisional():
    now = 50.0
    assert F.on_provisional(T, True, 0, 180, now) == (170.0, 0)
    assert F.on_provisional(T, True, 0, 180, now, fr_inv_avp=10) == (60.0, 0)
    assert F.on_provisional(T, False, 0, 100, now) == (None, 4000)
    quiet = T._replace(restart_fr_on_each_reply=0)
    assert F.on_provisional(quiet, True, 180, 180, now) == (None, 0)


@pytest.mark.parametrize("timers,kw,expected", [
    (T, {}, (F.SILENT_DROP, False)),
    (T, {"nr_branches": 2}, (F.FAKE_408, True)),
    (T, {"on_failure": 1}, (F.FAKE_408, True)),
    (T, {"has_failure_cbs": True}, (F.FAKE_408, True)),
    (T, {"branch_status": 0}, (F.FAKE_408, False)),
    (T, {"noisy_flag": True}, (F.FAKE_408, True)),
    (T._replace(noisy_ctimer=1), {}, (F.FAKE_408, True)),
    (T, {"is_invite": False, "branch_status": 100}, (F.FAKE_408, False)),
    (T, {"is_local": True}, (F.FAKE_408, True)),
])
def test_fr_expired(timers, kw, expected):
    args = dict(is_local=False, is_invite=True, nr_branches=1, on_failure=0,
                has_failure_cbs=False, branch_status=180, noisy_flag=False)
    args.update(kw)
    assert F.fr_expired(timers, **args) == expected


@pytest.mark.parametrize("is_local,is_invite,status,relayed,expected", [
    (False, True, 486, 0, F.FT_RETR),
    (False, True, 200, -2, F.FT_FORCE_RETR),
    (False, True, 200, 0, F.FT_WAIT),
    (False, False, 404, -2, F.FT_WAIT),
    (True, True, 486, 0, F.FT_WAIT),
])
def test_final_timers(is_local, is_invite, status, relayed, expected):
    assert F.final_timers(is_local, is_invite, status, relayed) == expected


def test_needs_retr():
    assert F.needs_retr(1) and not F.needs_retr(2) and F.needs_retr(3, True)
