"""Stateful calls through tm: sipp uac -> openser_py (t_relay) -> sipp uas.

SKIPPED UNTIL tm EXISTS.  The tm module is being built (issue #5); until
``openser_py.modules.tm`` exports ``t_relay`` this whole module is skipped
with the reason "tm not built yet (issue #5)".  This is the one accepted
skip of the sipp tests -- also under CI=true -- because the feature under
test does not exist yet, not because a tool is missing.  Once tm exports
``t_relay`` the tests run (and ``require_tool("sipp")`` fails under CI
when sipp is missing, as everywhere else).

Every scenario pair used here was validated without a proxy and through
the stateless proxy (``test_proxy_calls.py``); the configs follow the
OpenSER 1.3 sample (loose_route -> t_relay for in-dialog requests,
record_route on the INVITE, CANCEL and negative-reply ACKs handled by
t_relay itself).  Timers are tm's 1.3 units: seconds.

Cases:
* basic calls over UDP and TCP (children=2);
* CANCEL during ringing: tm answers the CANCEL (200), CANCELs the branch,
  relays the callee's 487, ACKs it hop by hop;
* 486 -> serial forking in failure_route to a second callee;
* no answer -> 408 to the caller after fr_inv_timer (tm CANCELs the
  ringing branch, the callee answers 487 and gets tm's ACK);
* parallel forking: two callees, one answers, tm CANCELs the other;
* ``-lost 10`` on the caller: every call still completes.
"""
import pytest

from openser_py.modules import tm as _tm


def _tm_has_t_relay():
    cmds = getattr(getattr(_tm, "exports", None), "cmds", None) or ()
    return any(getattr(c, "name", None) == "t_relay" for c in cmds)


if not _tm_has_t_relay():
    pytest.skip("tm not built yet (issue #5)", allow_module_level=True)

from tests.conftest import require_tool  # noqa: E402
from tests.sipp_support import SippServer, run_uac  # noqa: E402

CALLS = 30
RATE = 15
TRANSPORT = {"udp": "u1", "tcp": "t1"}

CFG = """debug=3
children=%(children)d
listen=udp:127.0.0.1:%(port)d
%(tcp)s
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "xlog.so"
%(modparams)s

route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (method == "OPTIONS") {      # the fixture's readiness probe
        sl_send_reply("200", "OK");
        exit;
    }
    if (loose_route()) {
        if (!t_relay()) {
            sl_reply_error();
        }
        exit;
    }
    if (method == "INVITE") {
        record_route();
    }
%(route)s
    if (!t_relay()) {
        sl_reply_error();
    }
    exit;
}
%(extra_routes)s
"""


def start_proxy(openser, route, children=2, tcp=False, modparams="",
                extra_routes=""):
    """An OpenserProcess running CFG (the fixture's own cfg replaced)."""
    srv = openser("", start=False, children=children, tcp=tcp)
    listen_tcp = ("listen=tcp:127.0.0.1:%d" % srv.port) if tcp \
        else "disable_tcp=yes"
    srv.cfg.write_text(CFG % dict(children=children, port=srv.port,
                                  tcp=listen_tcp, modparams=modparams,
                                  route=route, extra_routes=extra_routes))
    return srv.start()


class Callees:
    """Background sipp UASes, closed together."""

    def __init__(self):
        self.all = []

    def start(self, name, count, transport="u1", max_seconds=90):
        srv = SippServer(name, count, transport=transport,
                         max_seconds=max_seconds).start()
        self.all.append(srv)
        return srv

    def close(self):
        for srv in self.all:
            srv.close()


@pytest.fixture
def callees():
    require_tool("sipp", "sip-tester")
    c = Callees()
    yield c
    c.close()


def detail(proxy, *results):
    out = []
    for r in results:
        out.append("%r\n%s" % (r, r.output[-2000:]))
    out.append("openser log tail:\n" + proxy.output()[-3000:])
    return "\n".join(out)


def assert_ok(res, count, proxy, *others):
    assert res.successful == count and res.failed == 0, \
        detail(proxy, res, *others)


def finish(proxy):
    assert proxy.stop() == 0 and proxy.leftovers() == set()


@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_stateful_calls(openser, callees, proto):
    """Full record-routed calls through t_relay over UDP and over TCP."""
    uas = callees.start("uas", CALLS, transport=TRANSPORT[proto])
    proxy = start_proxy(openser, '    $du = "sip:127.0.0.1:%d;transport=%s";'
                        % (uas.port, proto), tcp=(proto == "tcp"))
    res = run_uac("uac", proxy.port, CALLS, rate=RATE,
                  transport=TRANSPORT[proto], max_seconds=60)
    res_uas = uas.wait(30)
    assert_ok(res, CALLS, proxy, res_uas)
    assert_ok(res_uas, CALLS, proxy, res)
    finish(proxy)


def test_cancel_during_ringing(openser, callees):
    """The caller CANCELs after the 180: 200 for the CANCEL from tm, 487
    relayed; the callee sees tm's CANCEL and tm's ACK of its 487."""
    uas = callees.start("uas_noanswer", CALLS)
    proxy = start_proxy(openser, '    rewritehostport("127.0.0.1:%d");'
                        % uas.port)
    res = run_uac("uac_cancel", proxy.port, CALLS, rate=RATE, max_seconds=60)
    res_uas = uas.wait(30)
    assert_ok(res, CALLS, proxy, res_uas)
    assert_ok(res_uas, CALLS, proxy, res)
    finish(proxy)


def test_busy_then_serial_fork_in_failure_route(openser, callees):
    """First callee answers 486 (tm ACKs it); failure_route[1] sends the
    INVITE to the second callee, which answers; the caller only sees the
    200 (and provisionals) and completes the call."""
    busy = callees.start("uas_486", CALLS)
    second = callees.start("uas", CALLS)
    proxy = start_proxy(
        openser, '    rewritehostport("127.0.0.1:%d");\n'
                 '    t_on_failure("1");' % busy.port,
        extra_routes="""
failure_route[1] {
    if (t_check_status("486")) {
        rewritehostport("127.0.0.1:%d");
        append_branch();
        t_relay();
    }
}
""" % second.port)
    res = run_uac("uac", proxy.port, CALLS, rate=RATE, max_seconds=60)
    res_busy = busy.wait(30)
    res_second = second.wait(30)
    for r in (res, res_busy, res_second):
        assert_ok(r, CALLS, proxy, res, res_busy, res_second)
    finish(proxy)


def test_no_answer_gives_408_after_fr_inv_timer(openser, callees):
    """The callee rings forever: after fr_inv_timer (2 s) tm CANCELs the
    branch (noisy_ctimer=1: no silent drop) and answers the caller 408."""
    count = 10
    uas = callees.start("uas_noanswer", count)
    proxy = start_proxy(
        openser, '    rewritehostport("127.0.0.1:%d");' % uas.port,
        modparams='modparam("tm", "fr_timer", 2)\n'
                  'modparam("tm", "fr_inv_timer", 2)\n'
                  'modparam("tm", "noisy_ctimer", 1)')
    res = run_uac("uac_408", proxy.port, count, rate=5, max_seconds=60)
    res_uas = uas.wait(30)
    assert_ok(res, count, proxy, res_uas)
    assert_ok(res_uas, count, proxy, res)
    finish(proxy)


def test_parallel_forking(openser, callees):
    """Two branches: one callee answers, the other rings; tm relays the
    200, CANCELs the ringing branch (200 + 487 from it, ACKed by tm), and
    the caller completes the call."""
    answers = callees.start("uas", CALLS)
    rings = callees.start("uas_noanswer", CALLS)
    proxy = start_proxy(
        openser, '    rewritehostport("127.0.0.1:%d");\n'
                 '    append_branch("sip:service@127.0.0.1:%d");'
                 % (answers.port, rings.port))
    res = run_uac("uac", proxy.port, CALLS, rate=RATE, max_seconds=60)
    res_answers = answers.wait(30)
    res_rings = rings.wait(30)
    for r in (res, res_answers, res_rings):
        assert_ok(r, CALLS, proxy, res, res_answers, res_rings)
    finish(proxy)


def test_calls_with_loss(openser, callees):
    """``-lost 10`` on the caller: tm absorbs retransmitted requests and
    re-sends its last reply; every call completes on both sides."""
    uas = callees.start("uas_linger", CALLS)
    proxy = start_proxy(openser, '    rewritehostport("127.0.0.1:%d");'
                        % uas.port)
    res = run_uac("uac", proxy.port, CALLS, rate=RATE, max_seconds=90,
                  extra=("-lost", "10", "-T2", "1000"))
    res_uas = uas.wait(40)
    assert_ok(res, CALLS, proxy, res_uas)
    assert_ok(res_uas, CALLS, proxy, res)
    assert res.retransmissions > 0
    finish(proxy)
