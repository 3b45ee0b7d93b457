"""Transaction state machines and timer schedule (RFC 3261 §17, ref. §5.5).

Theory of operation
-------------------
A tm cell runs one *server* machine for its UAS side (the request we
received) and one *client* machine per branch (each request we forwarded).
Both come in an INVITE and a non-INVITE flavour, so there are four tables,
:data:`TRANSITIONS`, mapping ``(machine, state, event)`` to ``(next state,
actions)``.  :func:`step` looks an event up; a pair that is not in the
table is an event the state ignores (``None``) -- e.g. a late provisional
reply on a completed branch.  The tables only *name* actions; the
transaction code performs them (send, arm a timer, run a route) outside
any lock, after writing the new state into the cell.

Where OpenSER 1.3 differs from the RFC the tables follow OpenSER:

* UAS INVITE, 2xx sent: the RFC (§17.2.1) terminates the transaction, and
  OpenSER keeps the cell on the wait timer to absorb retransmissions and to
  relay further 2xx: state ``ACCEPTED`` (the name RFC 6026 later gave it).
  A locally generated 2xx is retransmitted like a negative reply.
* Negative INVITE replies are retransmitted T1, 2*T1, ... capped at T2
  (Timer G) until the ACK; ``fr_timer`` bounds the wait (Timer H); the ACK
  (state ``CONFIRMED``) puts the cell on the wait timer (``wt_timer``, for
  Timer I).  Non-INVITE completion goes to the wait timer too (Timer J).
* Client side: retransmissions T1 doubling to T2 over UDP only (Timers
  A/E); a provisional stops INVITE retransmissions and switches the final
  response timer to ``fr_inv_timer`` (Timer C, restarted per
  :func:`should_restart_fr`), and slows non-INVITE ones to T2 (§17.1.2.2).
  Final-response timer expiry (Timers B/F) is :func:`fr_expired`: silently
  dropped or a faked 408.  A 2xx on an INVITE branch leaves it
  ``ACCEPTED``: later 2xx are still relayed ("pushed after completion").

Timer values are milliseconds in :class:`TmTimers`; every scheduling
function is pure and takes ``now`` (seconds, monotonic) as a parameter.
"""
from collections import namedtuple

__all__ = ["TmTimers", "TRANSITIONS", "step", "next_retr_interval",
           "retr_schedule", "fr_interval", "should_restart_fr",
           "on_provisional", "fr_expired", "final_timers", "due",
           "needs_retr"]

# machines
UAS_INV, UAS_NINV, UAC_INV, UAC_NINV = "uas_inv", "uas_ninv", "uac_inv", "uac_ninv"

# states (stored in the cell's uas_state / branch state bytes; 0 = none)
S_NONE, S_TRYING, S_CALLING, S_PROCEEDING, S_COMPLETED = 0, 1, 2, 3, 4
S_CONFIRMED, S_ACCEPTED, S_TERMINATED = 5, 6, 7
STATE_NAMES = {S_NONE: "none", S_TRYING: "Trying", S_CALLING: "Calling",
               S_PROCEEDING: "Proceeding", S_COMPLETED: "Completed",
               S_CONFIRMED: "Confirmed", S_ACCEPTED: "Accepted",
               S_TERMINATED: "Terminated"}

# events
E_REQUEST = "request"           # server: the request created the cell
E_RETRANS = "retransmission"    # server: the same request again
E_ACK = "ack"                   # server: ACK to our negative/local 2xx reply
E_SEND_1XX = "send_1xx"         # server: a provisional sent upstream
E_SEND_2XX = "send_2xx"         # server: a 2xx sent upstream
E_SEND_FINAL = "send_final"     # server: a 300-699 sent upstream
E_SEND = "send"                 # client: the branch request was sent
E_RCV_1XX = "rcv_1xx"           # client: provisional received
E_RCV_2XX = "rcv_2xx"           # client: 2xx received
E_RCV_FINAL = "rcv_final"       # client: 300-699 received (or faked)
E_TIMER_RETR = "timer_retr"     # retransmission timer fired
E_TIMER_FR = "timer_fr"         # final response timer fired
E_TIMER_WAIT = "timer_wait"     # wait timer fired

# actions
A_CREATE = "create"             # insert the cell, arm nothing yet
A_PASS = "pass"                 # hand the message to the script / relay logic
A_ABSORB = "absorb"             # drop it: handled by the transaction
A_RESEND_REPLY = "resend_reply"  # retransmit the last reply sent upstream
A_START_RETR = "start_retr"     # arm retransmission at T1 (UDP only)
A_RETRANSMIT = "retransmit"     # resend and re-arm with next_retr_interval
A_RETR_T2 = "retr_t2"           # re-arm retransmission at T2
A_STOP_RETR = "stop_retr"
A_START_FR = "start_fr"         # arm fr_timer
A_START_FR_INV = "start_fr_inv"  # (re)arm fr_inv_timer per should_restart_fr
A_STOP_FR = "stop_fr"
A_SEND_ACK = "send_ack"         # hop-by-hop ACK to a negative reply
A_RELAY = "relay"               # reply processing (t_pick.should_relay)
A_FR_EXPIRED = "fr_expired"     # decide with fr_expired(): drop or fake 408
A_WAIT = "wait"                 # put the transaction on the wait timer
A_FINAL_TIMERS = "final_timers"  # per final_timers(): retr+FR, forced, wait
A_DELETE = "delete"             # remove the cell (TransTable.remove)

_UAS_I = {
    (S_NONE, E_REQUEST): (S_PROCEEDING, (A_CREATE, A_PASS)),
    (S_PROCEEDING, E_RETRANS): (S_PROCEEDING, (A_RESEND_REPLY,)),
    (S_PROCEEDING, E_SEND_1XX): (S_PROCEEDING, ()),
    (S_PROCEEDING, E_SEND_2XX): (S_ACCEPTED, (A_FINAL_TIMERS,)),
    (S_PROCEEDING, E_SEND_FINAL): (S_COMPLETED, (A_FINAL_TIMERS,)),
    (S_COMPLETED, E_RETRANS): (S_COMPLETED, (A_RESEND_REPLY,)),
    (S_COMPLETED, E_TIMER_RETR): (S_COMPLETED, (A_RETRANSMIT,)),
    (S_COMPLETED, E_ACK): (S_CONFIRMED, (A_STOP_RETR, A_STOP_FR, A_ABSORB,
                                         A_WAIT)),
    (S_COMPLETED, E_TIMER_FR): (S_TERMINATED, (A_STOP_RETR, A_WAIT)),
    (S_CONFIRMED, E_ACK): (S_CONFIRMED, (A_ABSORB,)),
    (S_CONFIRMED, E_RETRANS): (S_CONFIRMED, (A_ABSORB,)),
    (S_CONFIRMED, E_TIMER_WAIT): (S_TERMINATED, (A_DELETE,)),
    (S_ACCEPTED, E_RETRANS): (S_ACCEPTED, (A_RESEND_REPLY,)),
    (S_ACCEPTED, E_SEND_2XX): (S_ACCEPTED, ()),
    (S_ACCEPTED, E_TIMER_RETR): (S_ACCEPTED, (A_RETRANSMIT,)),
    (S_ACCEPTED, E_TIMER_FR): (S_ACCEPTED, (A_STOP_RETR, A_WAIT)),
    (S_ACCEPTED, E_ACK): (S_ACCEPTED, (A_STOP_RETR, A_PASS)),
    (S_ACCEPTED, E_TIMER_WAIT): (S_TERMINATED, (A_DELETE,)),
    (S_TERMINATED, E_TIMER_WAIT): (S_TERMINATED, (A_DELETE,)),
}
_UAS_N = {
    (S_NONE, E_REQUEST): (S_TRYING, (A_CREATE, A_PASS)),
    (S_TRYING, E_RETRANS): (S_TRYING, (A_ABSORB,)),
    (S_TRYING, E_SEND_1XX): (S_PROCEEDING, ()),
    (S_TRYING, E_SEND_2XX): (S_COMPLETED, (A_WAIT,)),
    (S_TRYING, E_SEND_FINAL): (S_COMPLETED, (A_WAIT,)),
    (S_PROCEEDING, E_RETRANS): (S_PROCEEDING, (A_RESEND_REPLY,)),
    (S_PROCEEDING, E_SEND_1XX): (S_PROCEEDING, ()),
    (S_PROCEEDING, E_SEND_2XX): (S_COMPLETED, (A_WAIT,)),
    (S_PROCEEDING, E_SEND_FINAL): (S_COMPLETED, (A_WAIT,)),
    (S_COMPLETED, E_RETRANS): (S_COMPLETED, (A_RESEND_REPLY,)),
    (S_COMPLETED, E_TIMER_WAIT): (S_TERMINATED, (A_DELETE,)),
}
_UAC_I = {
    (S_NONE, E_SEND): (S_CALLING, (A_START_RETR, A_START_FR)),
    (S_CALLING, E_TIMER_RETR): (S_CALLING, (A_RETRANSMIT,)),
    (S_CALLING, E_TIMER_FR): (S_TERMINATED, (A_STOP_RETR, A_FR_EXPIRED)),
    (S_CALLING, E_RCV_1XX): (S_PROCEEDING, (A_STOP_RETR, A_START_FR_INV,
                                            A_RELAY)),
    (S_CALLING, E_RCV_2XX): (S_ACCEPTED, (A_STOP_RETR, A_STOP_FR, A_RELAY)),
    (S_CALLING, E_RCV_FINAL): (S_COMPLETED, (A_STOP_RETR, A_STOP_FR,
                                             A_SEND_ACK, A_RELAY)),
    (S_PROCEEDING, E_RCV_1XX): (S_PROCEEDING, (A_START_FR_INV, A_RELAY)),
    (S_PROCEEDING, E_RCV_2XX): (S_ACCEPTED, (A_STOP_FR, A_RELAY)),
    (S_PROCEEDING, E_RCV_FINAL): (S_COMPLETED, (A_STOP_FR, A_SEND_ACK,
                                                A_RELAY)),
    (S_PROCEEDING, E_TIMER_FR): (S_TERMINATED, (A_FR_EXPIRED,)),
    (S_COMPLETED, E_RCV_FINAL): (S_COMPLETED, (A_SEND_ACK, A_ABSORB)),
    (S_COMPLETED, E_RCV_1XX): (S_COMPLETED, (A_ABSORB,)),
    (S_COMPLETED, E_RCV_2XX): (S_COMPLETED, (A_ABSORB,)),
    (S_ACCEPTED, E_RCV_2XX): (S_ACCEPTED, (A_RELAY,)),
    (S_ACCEPTED, E_RCV_1XX): (S_ACCEPTED, (A_ABSORB,)),
    (S_ACCEPTED, E_RCV_FINAL): (S_ACCEPTED, (A_ABSORB,)),
}
_UAC_N = {
    (S_NONE, E_SEND): (S_TRYING, (A_START_RETR, A_START_FR)),
    (S_TRYING, E_TIMER_RETR): (S_TRYING, (A_RETRANSMIT,)),
    (S_TRYING, E_TIMER_FR): (S_TERMINATED, (A_STOP_RETR, A_FR_EXPIRED)),
    (S_TRYING, E_RCV_1XX): (S_PROCEEDING, (A_RETR_T2, A_RELAY)),
    (S_TRYING, E_RCV_2XX): (S_COMPLETED, (A_STOP_RETR, A_STOP_FR, A_RELAY)),
    (S_TRYING, E_RCV_FINAL): (S_COMPLETED, (A_STOP_RETR, A_STOP_FR, A_RELAY)),
    (S_PROCEEDING, E_TIMER_RETR): (S_PROCEEDING, (A_RETR_T2,)),
    (S_PROCEEDING, E_TIMER_FR): (S_TERMINATED, (A_STOP_RETR, A_FR_EXPIRED)),
    (S_PROCEEDING, E_RCV_1XX): (S_PROCEEDING, (A_RELAY,)),
    (S_PROCEEDING, E_RCV_2XX): (S_COMPLETED, (A_STOP_RETR, A_STOP_FR,
                                              A_RELAY)),
    (S_PROCEEDING, E_RCV_FINAL): (S_COMPLETED, (A_STOP_RETR, A_STOP_FR,
                                                A_RELAY)),
    (S_COMPLETED, E_RCV_1XX): (S_COMPLETED, (A_ABSORB,)),
    (S_COMPLETED, E_RCV_2XX): (S_COMPLETED, (A_ABSORB,)),
    (S_COMPLETED, E_RCV_FINAL): (S_COMPLETED, (A_ABSORB,)),
}
for _t in (_UAC_I, _UAC_N):
    for _s in (S_COMPLETED, S_ACCEPTED, S_TERMINATED):
        if _t is _UAC_I or _s != S_ACCEPTED:
            _t[(_s, E_TIMER_WAIT)] = (S_TERMINATED, ())

#: ``machine -> {(state, event): (next_state, actions)}``.
TRANSITIONS = {UAS_INV: _UAS_I, UAS_NINV: _UAS_N, UAC_INV: _UAC_I,
               UAC_NINV: _UAC_N}


def step(machine, state, event):
    """``(next_state, actions)`` for ``event`` in ``state``; None = ignore."""
    return TRANSITIONS[machine].get((state, event))


def server_event_for_reply(code):
    """The server event for sending a reply with status ``code``."""
    return E_SEND_1XX if code < 200 else E_SEND_2XX if code < 300 else E_SEND_FINAL


def client_event_for_reply(code):
    """The client event for receiving a reply with status ``code``."""
    return E_RCV_1XX if code < 200 else E_RCV_2XX if code < 300 else E_RCV_FINAL


# --- timers -----------------------------------------------------------------

#: tm's timer values in **milliseconds** (modparams are seconds except T1/T2).
TmTimers = namedtuple("TmTimers", (
    "fr", "fr_inv", "wt", "delete", "t1", "t2", "noisy_ctimer",
    "restart_fr_on_each_reply"))
TmTimers.__new__.__defaults__ = (30000, 120000, 5000, 2000, 500, 4000, 0, 1)


def timers_from_params(fr_timer=30, fr_inv_timer=120, wt_timer=5,
                       delete_timer=2, t1_timer=500, t2_timer=4000,
                       noisy_ctimer=0, restart_fr_on_each_reply=1):
    """A :data:`TmTimers` from modparam values (seconds, T1/T2 in ms)."""
    if t2_timer <= t1_timer or t1_timer <= 0:
        raise ValueError("T2_timer must be greater than T1_timer > 0")
    return TmTimers(fr_timer * 1000, fr_inv_timer * 1000, wt_timer * 1000,
                    delete_timer * 1000, t1_timer, t2_timer, noisy_ctimer,
                    restart_fr_on_each_reply)


def due(now, ms):
    """Absolute due time (seconds) of a timer of ``ms`` armed at ``now``."""
    return now + ms / 1000.0


def needs_retr(proto, force=False):
    """Retransmissions only over UDP (proto 1), unless forced (local 2xx)."""
    return force or proto == 1


def next_retr_interval(interval, t2):
    """After a retransmission at ``interval`` ms: the next one (x2, cap T2)."""
    return min(interval * 2, t2)


def retr_schedule(t1, t2, count):
    """The first ``count`` retransmission intervals: T1, 2*T1, ... T2, T2."""
    out, iv = [], t1
    for _ in range(count):
        out.append(iv)
        iv = next_retr_interval(iv, t2)
    return out


def fr_interval(timers, is_invite, provisional, fr_avp=None, fr_inv_avp=None):
    """Final-response timeout (ms) of a branch.

    ``fr_timer`` until a provisional, then ``fr_inv_timer`` for INVITE;
    ``fr_avp`` / ``fr_inv_avp`` (seconds, from ``fr_timer_avp`` /
    ``fr_inv_timer_avp``) override them when set.
    """
    if is_invite and provisional:
        return fr_inv_avp * 1000 if fr_inv_avp else timers.fr_inv
    return fr_avp * 1000 if fr_avp else timers.fr


def should_restart_fr(restart_each, last_status, new_status):
    """Does a provisional ``new_status`` restart the FR timer (OpenSER)?

    Always with ``restart_fr_on_each_reply``; else only for the first
    provisional or a higher one that is >= 180.
    """
    return bool(restart_each) or (last_status < new_status and (
        new_status >= 180 or last_status == 0))


def on_provisional(timers, is_invite, last_status, new_status, now,
                   fr_inv_avp=None):
    """Timer changes for a provisional reply on a branch.

    Returns ``(fr_due, retr_iv)``: the new FR due time (None = keep the
    running one) and the new retransmission interval (0 = stop, INVITE;
    T2 for non-INVITE).  ``fr_inv_avp`` set makes the cell noisy
    (:data:`~openser_py.modules.tm.cell.T_NOISY_CTIMER`, reference §5.5).
    """
    if not should_restart_fr(timers.restart_fr_on_each_reply, last_status,
                             new_status):
        return None, (0 if is_invite else timers.t2)
    if is_invite:
        return due(now, fr_interval(timers, True, True, None, fr_inv_avp)), 0
    return None, timers.t2


SILENT_DROP, FAKE_408 = "silent_drop", "fake_408"


def fr_expired(timers, is_local, is_invite, nr_branches, on_failure,
               has_failure_cbs, branch_status, noisy_flag):
    """What an expired FR timer of a branch means (``final_response_handler``).

    Returns ``(SILENT_DROP, False)`` -- just put the transaction on wait --
    when a single-branch INVITE without failure route/callbacks already
    received something and nobody asked for noise; else ``(FAKE_408,
    send_cancel)``: a 408 is faked for the branch (failure route runs) and
    a CANCEL goes out for an INVITE branch that got a provisional.
    """
    silent = (not is_local and is_invite and nr_branches == 1
              and not on_failure and not has_failure_cbs
              and branch_status > 0 and not timers.noisy_ctimer
              and not noisy_flag)
    if silent:
        return SILENT_DROP, False
    return FAKE_408, bool(is_invite and 100 <= branch_status < 200)


# what the UAS side does once a final reply has been sent (set_final_timer)
FT_WAIT, FT_RETR, FT_FORCE_RETR = "wait", "retr", "force_retr"


def final_timers(is_local, is_invite, uas_status, relayed_branch):
    """Timers after a final reply went upstream (OpenSER ``set_final_timer``).

    ``FT_RETR``: negative INVITE reply, retransmit (UDP) until the ACK,
    bounded by ``fr_timer``; ``FT_FORCE_RETR``: our own 2xx to an INVITE,
    retransmitted whatever the transport; ``FT_WAIT``: wait timer.
    """
    if not is_local and is_invite:
        if uas_status >= 300:
            return FT_RETR
        if relayed_branch == -2 and uas_status >= 200:
            return FT_FORCE_RETR
    return FT_WAIT
