"""Full calls through the stateless proxy: sipp uac -> openser_py -> sipp uas.

The proxy is the stateless one that exists today: ``record_route()`` on the
INVITE, ``loose_route()`` + ``forward()`` for in-dialog requests, and the
callee's address set with ``$du`` (``forward()`` sends there; the R-URI is
kept).  Replies go back statelessly along the Via headers (core).

The scenarios are the robust ones of ``tests/sipp`` (see each file's
comment for what it tolerates): the caller sends the ACK and the BYE along
the route set built from the 200's Record-Route, so every in-dialog request
crosses the proxy's ``loose_route()``.  A call counts as completed only
when *both* sipp instances count it successful.

What a stateless proxy cannot do (CANCEL answered by the proxy, failure
routes, fr_inv_timer, forking) is in ``test_tm_calls.py``.  CANCEL and a
486 do work end to end through a stateless proxy -- the CANCEL gets the
INVITE's stateless branch, the ACK of the 486/487 is forwarded like any
request -- so those scenario pairs are checked here too.
"""
import pytest

from tests.conftest import require_tool
from tests.sipp_support import SippServer, run_uac

CALLS = 50
RATE = 25


def stateless_route(uas_port, uas_proto="udp"):
    """The routing script of the stateless record-routing proxy."""
    return """
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (method == "OPTIONS") {
        sl_send_reply("200", "OK");
        exit;
    }
    if (loose_route()) {
        forward();
        exit;
    }
    if (method == "INVITE") {
        record_route();
    }
    $du = "sip:127.0.0.1:%d;transport=%s";
    forward();
""" % (uas_port, uas_proto)


MODULES = ("sl", "maxfwd", "rr", "textops", "xlog")
TRANSPORT = {"udp": "u1", "tcp": "t1"}


def run_calls(openser, uac, uas, count=CALLS, rate=RATE, uac_proto="udp",
              uas_proto="udp", children=2, uac_extra=(), uas_extra=(),
              max_seconds=60):
    """Start a sipp UAS, the proxy, run *count* calls; both results."""
    require_tool("sipp", "sip-tester")
    srv_uas = SippServer(uas, count, transport=TRANSPORT[uas_proto],
                         max_seconds=max_seconds, extra=uas_extra)
    srv_uas.start()
    try:
        proxy = openser(stateless_route(srv_uas.port, uas_proto),
                        modules=MODULES, children=children,
                        tcp="tcp" in (uac_proto, uas_proto))
        res = run_uac(uac, proxy.port, count, rate=rate,
                      transport=TRANSPORT[uac_proto],
                      max_seconds=max_seconds, extra=uac_extra)
        res_uas = srv_uas.wait(timeout=max_seconds + 10)
    finally:
        srv_uas.close()
    return proxy, res, res_uas


def assert_all_completed(proxy, res, res_uas, count=CALLS):
    detail = ("\nuac %r\n%s\nuas %r\n%s\nopenser log tail:\n%s"
              % (res, res.output[-2500:], res_uas, res_uas.output[-2500:],
                 proxy.output()[-3000:]))
    assert res.successful == count and res.failed == 0, detail
    assert res_uas.successful == count and res_uas.failed == 0, detail
    assert proxy.stop() == 0 and proxy.leftovers() == set()


# -- the scenario pairs alone, caller straight to callee (no proxy) ----------

DIRECT_PAIRS = [
    ("uac", "uas", "u1"), ("uac", "uas", "t1"),
    ("uac_busy", "uas_486", "u1"), ("uac_busy", "uas_486", "t1"),
    ("uac_cancel", "uas_noanswer", "u1"), ("uac_cancel", "uas_noanswer", "t1"),
    # tolerance checks against peers that misbehave on purpose
    ("uac", "uas_reorder", "u1"),            # 180 and 100 after the 200
    ("uac_cancel", "uas_cancel_reorder", "u1"),   # 487 before the 200
]


@pytest.mark.parametrize("uac,uas,transport", DIRECT_PAIRS)
def test_scenario_pair_direct(uac, uas, transport):
    """Each caller/callee pair completes every call without a proxy."""
    require_tool("sipp", "sip-tester")
    with SippServer(uas, 20, transport=transport, max_seconds=30) as srv:
        res = run_uac(uac, srv.port, 20, rate=RATE, transport=transport,
                      max_seconds=30)
        res_uas = srv.wait(timeout=40)
    detail = (res, res.output[-2000:], res_uas, res_uas.output[-2000:])
    assert res.successful == 20 and res.failed == 0, detail
    assert res_uas.successful == 20 and res_uas.failed == 0, detail


def test_callee_tolerates_bye_before_ack():
    """uas.xml completes calls whose BYE arrives before the ACK (the
    caller uac_bye_first sacrifices itself, see its comment)."""
    require_tool("sipp", "sip-tester")
    with SippServer("uas", 20, max_seconds=30) as srv:
        res = run_uac("uac_bye_first", srv.port, 20, rate=RATE,
                      max_seconds=30)
        res_uas = srv.wait(timeout=40)
    assert res_uas.successful == 20 and res_uas.failed == 0, (
        res, res_uas, res_uas.output[-2000:])


# -- through the stateless proxy ---------------------------------------------

def test_calls_udp_record_routed(openser):
    """50 calls over UDP, children=2: INVITE/180/200/ACK/BYE/200 all cross
    the proxy; the ACK and BYE follow the Record-Route set."""
    proxy, res, res_uas = run_calls(openser, "uac", "uas")
    assert_all_completed(proxy, res, res_uas)


def test_calls_tcp_record_routed(openser):
    """The same over TCP: caller -> proxy over TCP, proxy -> callee over
    TCP ($du with transport=tcp, then the callee's Contact)."""
    proxy, res, res_uas = run_calls(openser, "uac", "uas",
                                    uac_proto="tcp", uas_proto="tcp")
    assert_all_completed(proxy, res, res_uas)


@pytest.mark.parametrize("uac_proto,uas_proto", [("udp", "tcp"),
                                                 ("tcp", "udp")])
def test_calls_cross_transport(openser, uac_proto, uas_proto):
    """UDP caller and TCP callee and the reverse: the proxy record-routes
    twice (enable_double_rr) and loose_route() leaves by the other
    transport for the ACK and the BYE."""
    proxy, res, res_uas = run_calls(openser, "uac", "uas", count=20,
                                    uac_proto=uac_proto, uas_proto=uas_proto)
    assert_all_completed(proxy, res, res_uas, count=20)


def test_busy_callee_through_stateless_proxy(openser):
    """486 goes back statelessly; the caller's ACK (INVITE branch) is
    forwarded to the callee."""
    proxy, res, res_uas = run_calls(openser, "uac_busy", "uas_486", count=20)
    assert_all_completed(proxy, res, res_uas, count=20)


def test_cancel_through_stateless_proxy(openser):
    """The caller's CANCEL is forwarded with the INVITE's stateless branch;
    the callee answers 200 + 487 and gets the ACK of the 487."""
    proxy, res, res_uas = run_calls(openser, "uac_cancel", "uas_noanswer",
                                    count=20)
    assert_all_completed(proxy, res, res_uas, count=20)


def test_calls_udp_with_loss_stateless(openser):
    """``-lost 10`` on the caller: 10 %% of what it sends and receives is
    dropped; retransmissions by the two ends (a stateless proxy forwards
    each) still complete every call.  ``-T2 1000`` keeps every BYE
    retransmission inside uas_linger's 8 s linger (see its comment)."""
    proxy, res, res_uas = run_calls(openser, "uac", "uas_linger", count=30,
                                    uac_extra=("-lost", "10", "-T2", "1000"))
    assert_all_completed(proxy, res, res_uas, count=30)
    assert res.retransmissions > 0


@pytest.mark.parametrize("code,uac", [("486", "uac_busy"), ("408", "uac_408")])
def test_caller_scenarios_on_local_final_reply(openser, code, uac):
    """The caller scenarios that expect a final failure (uac_busy, uac_408
    -- the 408 will come from tm's fr_inv_timer) against a proxy that
    answers the INVITE itself with ``sl_send_reply``; their ACK (INVITE
    branch) reaches the proxy and ends there."""
    require_tool("sipp", "sip-tester")
    proxy = openser("""
    if (method == "INVITE") {
        sl_send_reply("%s", "Local Failure");
    } else if (method == "OPTIONS") {
        sl_send_reply("200", "OK");
    }
    exit;
""" % code, modules=MODULES, children=2)
    res = run_uac(uac, proxy.port, 20, rate=RATE, max_seconds=30)
    assert res.successful == 20 and res.failed == 0, (res, res.output[-2500:])
    assert proxy.stop() == 0 and proxy.leftovers() == set()
