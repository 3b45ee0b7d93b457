"""tm callbacks (register_tmcb): events fire in OpenSER 1.3's order for a
proxied call, with the right params; per-transaction callbacks live in the
cell; flags changed by a callback reach the transaction."""
import pytest

from openser_py.modules.tm import t_hooks as H
from openser_py.modules.tm.t_state import rt
from tests.modules.tm.proxy_util import first_line, reply_to, request

ALL = H.TMCB_MAX & ~H.TMCB_REQUEST_IN
NAMES = {getattr(H, n): n[5:] for n in dir(H) if n.startswith("TMCB_")
         and n != "TMCB_MAX"}


class Recorder:
    """A REQUEST_IN callback that registers ``types`` on every transaction
    and records every event as (name, code, rpl status, param)."""

    def __init__(self, types=ALL, param="p1"):
        self.events = []
        self.types = types
        self.param = param
        assert H.register_tmcb(None, None, H.TMCB_REQUEST_IN, self.req_in,
                               "global") == 1

    def req_in(self, tc, type_, ps):
        assert type_ == H.TMCB_REQUEST_IN and ps.param == "global"
        self.events.append(("REQUEST_IN", ps.code, None, ps.req.method))
        assert H.register_tmcb(ps.req, tc, self.types, self.on_event,
                               self.param) == 1

    def on_event(self, tc, type_, ps):
        rpl = ps.rpl
        status = "FAKED" if rpl is H.FAKED_REPLY else (
            rpl.status if rpl is not None else None)
        self.events.append((NAMES[type_], ps.code, status, ps.param))

    def names(self):
        return [e[0] for e in self.events]


@pytest.fixture
def rec_proxy(proxy_factory):
    def make(routes='route { t_relay(); }\n', **kw):
        p = proxy_factory(routes)
        return p, Recorder(**kw)
    return make


def test_answered_call_order_and_params(rec_proxy):
    p, rec = rec_proxy()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    out = p.uas(reply_to(fwd, 200, "OK"))
    assert [first_line(s[3]) for s in out] == ["SIP/2.0 200 OK"]
    p.uac(request("ACK", to_tag="b2", branch="z9hG4bKack1"))
    p.uac(request("ACK", to_tag="b2", branch="z9hG4bKack1"))  # reported once
    assert rec.names() == [
        "REQUEST_IN", "REQUEST_FWDED", "REQUEST_BUILT",
        "RESPONSE_IN", "RESPONSE_FWDED", "RESPONSE_OUT",
        "RESPONSE_IN", "RESPONSE_FWDED", "RESPONSE_OUT",
        "E2EACK_IN"]
    ev = rec.events
    assert ev[0] == ("REQUEST_IN", 1, None, "INVITE")     # code = method id
    assert ev[1][1] == -1 and ev[1][3] == "p1"            # -METHOD_INVITE
    assert ev[3][1:3] == (180, 180) and ev[5][1:3] == (180, 180)
    assert ev[8][1:3] == (200, 200)
    assert ev[9][1] == -4                                 # -METHOD_ACK
    p.advance(6)                                          # wait timer
    assert rec.names()[-1] == "TRANS_DELETED"


def test_failed_call_runs_failure_callbacks_then_response_out(rec_proxy):
    p, rec = rec_proxy()
    fwd = p.uac(request())[1][3]
    out = p.uas(reply_to(fwd, 486, "Busy Here"))
    assert "SIP/2.0 486 Busy Here" in [first_line(s[3]) for s in out]
    assert rec.names()[3:] == ["RESPONSE_IN", "ON_FAILURE_RO", "ON_FAILURE",
                               "RESPONSE_OUT"]
    assert rec.events[-1][1:3] == (486, 486)


def test_timeout_gives_faked_reply(rec_proxy):
    p, rec = rec_proxy()
    p.uac(request("OPTIONS"))
    p.advance(31)                                         # fr_timer
    names = rec.names()
    assert names[3:6] == ["ON_FAILURE_RO", "ON_FAILURE", "RESPONSE_OUT"]
    assert rec.events[5][1:3] == (408, "FAKED")


def test_local_reply_is_response_out_with_faked_reply(rec_proxy):
    p, rec = rec_proxy('route { t_newtran(); t_reply("404", "Nope"); }\n')
    out = p.uac(request("MESSAGE"))
    assert [first_line(s[3]) for s in out] == ["SIP/2.0 404 Nope"]
    assert rec.names() == ["REQUEST_IN", "RESPONSE_OUT"]
    assert rec.events[1][1:3] == (404, "FAKED")


def test_retransmission_does_not_run_request_in(rec_proxy):
    p, rec = rec_proxy()
    p.uac(request())
    p.uac(request())
    assert rec.names().count("REQUEST_IN") == 1


def test_callbacks_only_for_registered_types(rec_proxy):
    p, rec = rec_proxy(types=H.TMCB_RESPONSE_OUT)
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    p.uas(reply_to(fwd, 200, "OK"))
    assert rec.names() == ["REQUEST_IN", "RESPONSE_OUT", "RESPONSE_OUT"]
    assert [e[1] for e in rec.events[1:]] == [180, 200]


def test_pending_registration_before_transaction(proxy_factory):
    from openser_py.core.ip_addr import PROTO_UDP, ReceiveInfo
    from openser_py.core.scriptrun import SendRecorder
    from openser_py.modules.tm import t_newtran, t_reply
    from openser_py.parser.msg import parse_msg
    p = proxy_factory()
    seen = []

    def cb(tc, type_, ps):
        seen.append((NAMES[type_], ps.code, ps.param, tc.t))
    m = parse_msg(request("MESSAGE"))
    m.rcv = ReceiveInfo("192.0.2.99", 5062, "127.0.0.1", 5060, PROTO_UDP,
                        p.sock)
    assert H.register_tmcb(m, None, H.TMCB_RESPONSE_OUT, cb, 7) == 1
    res, t = t_newtran.newtran(m)
    assert res == t_newtran.NEW
    assert rt.table.read(*t).tmcbs == ((H.TMCB_RESPONSE_OUT, H.declare(cb),
                                        7),)
    with SendRecorder():
        assert t_reply.reply_local(t, m, 404, "Nope") == 1
    assert seen == [("RESPONSE_OUT", 404, 7, t)]
    t_newtran.post_script(m)


def test_callback_flag_change_reaches_transaction(proxy_factory):
    p = proxy_factory()
    changed = []

    def clear_flag(tc, type_, ps):
        ps.req.flags &= ~0x2
        changed.append(tc.t)
    fwd = p.uac(request())[1][3]
    (h, label), = _live(p)
    with rt.table.edit(h, label) as v:
        v.set("msg_flags", 0x3)
    assert H.register_tmcb(None, (h, label), H.TMCB_ON_FAILURE,
                           clear_flag) == 1
    p.uas(reply_to(fwd, 486, "Busy Here"))
    assert changed == [(h, label)]
    assert rt.table.read(h, label).msg_flags == 0x1


def _live(p):
    table = rt.table
    return [(b, label) for b, (cur, _tot) in enumerate(table.bucket_stats())
            if cur for label in table.labels(b)]


def test_declare_after_freeze_is_refused(proxy_factory):
    proxy_factory()

    def late(tc, type_, ps):
        pass
    H.freeze()
    try:
        assert H.declare(late) == -1
        assert H.register_tmcb(None, (1, 1), H.TMCB_RESPONSE_OUT, late) < 0
    finally:
        H._state["frozen"] = False


def test_bad_registrations(proxy_factory):
    proxy_factory()

    def f(tc, type_, ps):
        pass
    assert H.register_tmcb(None, None, H.TMCB_REQUEST_IN | H.TMCB_ON_FAILURE,
                           f) < 0
    assert H.register_tmcb(None, None, 0, f) < 0
    assert H.register_tmcb(None, None, H.TMCB_ON_FAILURE, f) < 0   # no t/msg
    assert H.register_tmcb(None, (1, 1), H.TMCB_ON_FAILURE, f,
                           object()) < 0                  # not marshal-able
