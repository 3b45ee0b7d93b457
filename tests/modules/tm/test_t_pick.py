"""Best response and relay decisions (reference §5.6, RFC 3261 §16.7)."""
import pytest

from openser_py.modules.tm import t_pick as P

B = P.BranchState


def snap(*statuses, invite=True, uas=0, cancelled=False, first=0,
         hbh_cancel=False):
    return P.Snapshot(invite, uas, hbh_cancel, cancelled, first,
                      [s if isinstance(s, B) else B(s) for s in statuses])


@pytest.mark.parametrize("statuses,cancelled,first,expected", [
    ((404, 486), False, 0, (0, 404)),
    ((486, 404), False, 0, (1, 404)),
    ((503, 600), False, 0, (1, 600)),        # lowest code wins, even 6xx
    ((503, 404), False, 0, (1, 404)),        # 503 loses to anything
    ((404, 503), False, 0, (0, 404)),
    ((503, 599), False, 0, (1, 599)),
    ((503,), False, 0, (0, 503)),            # ... but wins alone
    ((503, 503), False, 0, (1, 503)),        # OpenSER: the later 503
    ((408, 487), True, 0, (1, 487)),         # cancelled: 487 preferred
    ((487, 408), True, 0, (0, 487)),
    ((408, 487), False, 0, (0, 408)),
    ((302, 487), True, 0, (1, 487)),
    ((404, 180), False, 0, (-2, 0)),         # a branch still pending
    ((0, 404), False, 0, (-2, 0)),
    ((180, 404, 486), False, 1, (1, 404)),   # serial forking: from first_branch
    ((B(0, active=False), B(486)), False, 0, (1, 486)),  # empty branch
    ((B(0, active=False),), False, 0, (-1, 999)),
])
def test_pick_branch(statuses, cancelled, first, expected):
    brs = [s if isinstance(s, B) else B(s) for s in statuses]
    assert P.pick_branch(brs, first, cancelled) == expected


def test_which_cancel_and_cancel_plan():
    brs = [B(180), B(0), B(486), B(183, canceled=True), B(200)]
    bm = P.which_cancel(brs)
    assert bm == 0b00011
    assert P.cancel_plan(brs, bm) == (0b00001, 0b00010)


def test_completed_transaction_lets_only_invite_2xx_through():
    d = P.should_relay(snap(200, 180, uas=200), 1, 200)
    assert (d.rps, d.relay, d.branch_status) == (
        P.RPS_PUSHED_AFTER_COMPLETION, 1, 200)
    for code in (180, 486, 600):
        assert P.should_relay(snap(200, 180, uas=200), 1, code).rps == \
            P.RPS_DISCARDED
    # non-INVITE: a late 2xx is discarded
    assert P.should_relay(snap(200, 0, invite=False, uas=200), 1, 200).rps \
        == P.RPS_DISCARDED
    # CANCEL transaction: a final completes silently
    d = P.should_relay(snap(0, invite=False, uas=200, hbh_cancel=True), 0, 200)
    assert (d.rps, d.relay) == (P.RPS_COMPLETED, -1)


def test_final_branch_accepts_only_more_2xx():
    assert P.should_relay(snap(486, 180), 0, 486).rps == P.RPS_DISCARDED
    assert P.should_relay(snap(408, 180), 0, 487).rps == P.RPS_DISCARDED
    assert P.should_relay(snap(486, 180), 0, 200).rps == P.RPS_DISCARDED
    d = P.should_relay(snap(200, 180), 0, 200)      # 2xx retransmission
    assert (d.rps, d.relay) == (P.RPS_COMPLETED, 0)


def test_negative_stored_while_branches_pending():
    d = P.should_relay(snap(180, 0), 0, 486)
    assert (d.rps, d.store, d.relay, d.branch_status) == (
        P.RPS_STORE, True, -1, 486)


def test_last_negative_picks_the_best():
    d = P.should_relay(snap(486, 180), 1, 404)
    assert (d.rps, d.picked, d.picked_code, d.branch_status, d.relay) == (
        P.RPS_PICKED, 1, 404, 404, -1)
    d = P.should_relay(snap(404, 180), 1, 503)
    assert (d.picked, d.picked_code) == (0, 404)
    d = P.should_relay(snap(408, 180, cancelled=True), 1, 487)
    assert (d.picked, d.picked_code) == (1, 487)


def test_6xx_ends_forking_at_once():
    d = P.should_relay(snap(180, 0, 486), 0, 603)
    assert (d.rps, d.picked, d.picked_code, d.no_new_branches) == (
        P.RPS_PICKED, 0, 603, True)
    assert d.cancel_bm == 0b010                 # the pending branch
    d = P.should_relay(snap(B(180), B(183, canceled=True)), 0, 600)
    assert d.cancel_bm == 0                     # already being cancelled


def test_provisionals_relayed_except_100():
    d = P.should_relay(snap(0, 0), 1, 100)
    assert (d.rps, d.relay, d.branch_status) == (P.RPS_PROVISIONAL, -1, 100)
    d = P.should_relay(snap(0, 100), 1, 183)
    assert (d.rps, d.relay) == (P.RPS_PROVISIONAL, 1)
    # a provisional after the branch went final is discarded
    assert P.should_relay(snap(486, 0), 0, 180).rps == P.RPS_DISCARDED


def test_2xx_relayed_and_cancels_pending_branches():
    d = P.should_relay(snap(180, 183, 486, 0), 1, 200)
    assert (d.rps, d.relay, d.cancel_bm, d.branch_status) == (
        P.RPS_COMPLETED, 1, 0b1001, 200)
    d = P.should_relay(snap(0, invite=False), 0, 202)
    assert (d.rps, d.relay) == (P.RPS_COMPLETED, 0)


def test_no_active_branch_is_discarded():
    d = P.should_relay(snap(B(0, active=False), B(0, active=False)), 0, 486)
    assert (d.rps, d.branch_status) == (P.RPS_DISCARDED, 486)


def test_after_failure():
    assert P.after_failure(487, 2, 2, 1, 404).rps == P.RPS_COMPLETED
    assert P.after_failure(487, 2, 2, 1, 404).relay == -1     # replied there
    d = P.after_failure(0, 2, 3, 1, 404)
    assert (d.rps, d.store, d.relay) == (P.RPS_STORE, True, -1)
    d = P.after_failure(0, 2, 2, 1, 404)
    assert (d.rps, d.relay, d.picked_code) == (P.RPS_COMPLETED, 1, 404)


@pytest.mark.parametrize("args,expected", [
    ((False, True, 408, False, False, False), True),
    ((False, True, 408, True, False, False), False),    # something received
    ((False, True, 503, True, True, True), True),
    ((False, True, 503, True, True, False), False),     # no Retry-After
    ((False, True, 503, True, False, True), False),     # faked 503
    ((True, True, 408, False, False, False), False),    # flag 0x04
    ((False, False, 408, False, False, False), False),  # no more addresses
    ((False, True, 486, True, True, False), False),
])
def test_dns_failover_wanted(args, expected):
    assert P.dns_failover_wanted(*args) is expected


@pytest.mark.parametrize("args,expected", [
    ((1, False, False, False, 2, 2), True),
    ((0, True, False, False, 2, 2), True),
    ((0, False, False, False, 2, 2), False),
    ((1, False, True, False, 2, 2), False),
    ((1, False, False, True, 2, 2), False),
    ((1, False, False, False, 2, 3), False),
])
def test_run_failure_handlers(args, expected):
    assert P.run_failure_handlers(*args) is expected
