"""tm MI commands: t_hash, t_reply, t_uac_dlg (local UAC over a real UDP
socket), t_uac_cancel; t_replicate."""
import socket

import pytest

from openser_py.core import forward
from openser_py.mi.tree import MiNode
from openser_py.modules.tm import t_hooks as H
from openser_py.modules.tm import t_mi
from openser_py.modules.tm.t_state import rt
from tests.conftest import free_port
from tests.modules.tm.proxy_util import (UAC, first_line, header, reply_to,
                                         request)


def args(*vals):
    return [MiNode("", v) for v in vals]


def live():
    return [(b, label) for b, (cur, _t) in enumerate(rt.table.bucket_stats())
            if cur for label in rt.table.labels(b)]


class UdpSender:
    """A transport that really sends (UDP) and records what it sent."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sent = []

    def __call__(self, sock, proto, ip, port, data):
        self.sent.append((ip, port, bytes(data)))
        self.s.sendto(bytes(data), (ip, port))
        return True

    def __enter__(self):
        self._old = forward.set_sender(self)
        return self

    def __exit__(self, *exc):
        forward.set_sender(self._old)
        self.s.close()


@pytest.fixture
def peer():
    """A UDP socket playing the remote UAS."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", free_port()))
    s.settimeout(5)
    yield s
    s.close()


def recv_request(peer):
    data, _src = peer.recvfrom(65535)
    return data


def test_t_hash_counts(proxy_factory):
    p = proxy_factory()
    p.uac(request())
    p.uac(request(callid="other@x", branch="z9hG4bKother"))
    rpl = t_mi.mi_tm_hash([])
    assert rpl.code == 200 and len(rpl.kids) == 65536
    cur = {int(n.value): dict(n.attrs) for n in rpl.kids
           if n.attrs[0][1] != "0"}
    assert sum(int(a["Current"]) for a in cur.values()) == 2 == p.inuse()
    for b, _label in live():
        assert cur[b]["Total"] >= "1"
    p.advance(200)                      # all gone: Current 0, Total stays
    rpl = t_mi.mi_tm_hash([])
    assert all(dict(n.attrs)["Current"] == "0" for n in rpl.kids)
    assert sum(int(dict(n.attrs)["Total"]) for n in rpl.kids) == 2


def test_t_reply_on_pending_transaction(proxy_factory):
    p = proxy_factory('route { t_newtran(); }\n')
    assert p.uac(request("MESSAGE")) == []
    (h, label), = live()
    from openser_py.core.scriptrun import SendRecorder
    with SendRecorder() as rec:
        rpl = t_mi.mi_tm_reply(args("202", "Got it", "%d:%d" % (h, label),
                                    "mi-tag", "X-Foo: bar", "hello"), None)
    assert (rpl.code, rpl.reason) == (200, "OK")
    (proto, ip, port, data), = rec.sent
    assert (ip, port) == UAC
    assert first_line(data) == "SIP/2.0 202 Got it"
    assert header(data, "To") == ["<sip:bob@example.com>;tag=mi-tag"]
    assert header(data, "X-Foo") == ["bar"]
    assert data.endswith(b"\r\n\r\nhello")
    assert p.stat("2xx_transactions") == 1
    # a retransmission gets that reply; a second final fails
    assert p.uac(request("MESSAGE"))[0][3] == data
    rpl = t_mi.mi_tm_reply(args("404", "No", "%d:%d" % (h, label), "t",
                                "."), None)
    assert (rpl.code, rpl.reason) == (500, "Reply failed")


def test_t_reply_errors(proxy_factory):
    proxy_factory()
    bad = [(("x", "r", "1:1", "t", "."), (400, "Invalid reply code")),
           (("700", "r", "1:1", "t", "."), (400, "Invalid reply code")),
           (("200", "r", "11", "t", "."), (400, "Invalid trans_id")),
           (("200", "r", "a:1", "t", "."), (400, "Invalid index in trans_id")),
           (("200", "r", "1:b", "t", "."), (400, "Invalid label in trans_id")),
           (("200", "r", "1:1", "t", "."), (404, "Transaction not found")),
           (("200", "r", "1:1"), (400, "Too few or too many arguments"))]
    for a, want in bad:
        rpl = t_mi.mi_tm_reply(args(*a), None)
        assert (rpl.code, rpl.reason) == want, a


def test_t_uac_dlg_options_completed_by_200(proxy_factory, peer):
    p = proxy_factory()
    port = peer.getsockname()[1]
    with UdpSender():
        rpl = t_mi.mi_tm_uac_dlg(args(
            "OPTIONS", "sip:test@127.0.0.1:%d" % port, ".", ".",
            "From: <sip:mi@127.0.0.1>\r\nTo: <sip:test@127.0.0.1>\r\n"
            "Contact: <sip:mi@!!>"), None)
        assert (rpl.code, rpl.reason) == (202, "Accepted")
        req = recv_request(peer)
    assert first_line(req) == "OPTIONS sip:test@127.0.0.1:%d SIP/2.0" % port
    assert header(req, "CSeq") == ["10 OPTIONS"]
    assert header(req, "Contact") == ["<sip:mi@127.0.0.1:5060>"]
    assert ";tag=" in header(req, "From")[0]
    assert header(req, "Via")[0].startswith("SIP/2.0/UDP 127.0.0.1;branch=")
    assert p.stat("UAC_transactions") == 1
    (h, label), = live()
    assert rt.table.read(h, label).uas_status == 0
    # our peer answers 200; the reply is not relayed anywhere, it completes
    out = p.uas(reply_to(req, 200, "OK"), src=("127.0.0.1", port))
    assert out == []
    cell = rt.table.read(h, label)
    assert cell.uas_status == 200 and p.stat("2xx_transactions") == 1
    assert p.advance(6) == [] and p.inuse() == 0


def test_t_uac_invite_200_is_acked_and_callback_runs(proxy_factory, peer):
    from openser_py.modules.tm import t_uac
    p = proxy_factory()
    port = peer.getsockname()[1]
    done = []

    def completed(tc, type_, ps):
        done.append((type_, ps.code, ps.rpl.status, ps.param))
    to = "<sip:x@127.0.0.1>"
    with UdpSender():
        ret, t = t_uac.t_uac("INVITE", "sip:x@127.0.0.1:%d" % port,
                             "<sip:me@127.0.0.1>", to, callback=completed,
                             cb_param="mine")
        assert ret == 1
        req = recv_request(peer)
    assert first_line(req).startswith("INVITE ")
    out = p.uas(reply_to(req, 200, "OK"), src=("127.0.0.1", port))
    assert [first_line(s[3]) for s in out] == [
        "ACK sip:x@127.0.0.1:%d SIP/2.0" % port]
    assert done == [(H.TMCB_LOCAL_COMPLETED, 200, 200, "mine")]


def test_t_uac_timeout_completes_with_408(proxy_factory):
    from openser_py.modules.tm import t_uac
    p = proxy_factory()
    done = []

    def completed(tc, type_, ps):
        done.append((ps.code, ps.rpl))
    to = "<sip:x@10.0.0.3>"
    from openser_py.core.scriptrun import SendRecorder
    with SendRecorder() as rec:
        ret, t = t_uac.t_uac("MESSAGE", "sip:x@10.0.0.3", "<sip:me@h>", to,
                             callback=completed)
    assert ret == 1 and len(rec.sent) == 1
    retr = p.advance(31)
    assert len(retr) >= 5                           # T1, 2T1 ... T2
    assert done == [(408, H.FAKED_REPLY)]
    assert rt.table.read(*t).uas_status == 408


def test_t_uac_cancel(proxy_factory, peer):
    p = proxy_factory()
    port = peer.getsockname()[1]
    with UdpSender():
        rpl = t_mi.mi_tm_uac_dlg(args(
            "INVITE", "sip:test@127.0.0.1:%d" % port, ".", "udp:127.0.0.1:5060",
            "From: <sip:mi@127.0.0.1>\r\nTo: <sip:test@127.0.0.1>\r\n"
            "Call-ID: mi-cancel-1\r\nCSeq: 33 INVITE\r\n"
            "Content-Type: application/sdp", "v=0\r\n"), None)
        assert rpl.code == 202
        inv = recv_request(peer)
    assert header(inv, "Call-ID") == ["mi-cancel-1"]
    assert inv.endswith(b"\r\n\r\nv=0\r\n")
    p.uas(reply_to(inv, 180, "Ringing"), src=("127.0.0.1", port))
    assert t_mi.mi_tm_cancel(args("nope", "33"), None).code == 481
    with UdpSender():
        rpl = t_mi.mi_tm_cancel(args("mi-cancel-1", "33"), None)
        assert (rpl.code, rpl.reason) == (200, "OK")
        cancel = recv_request(peer)
    assert first_line(cancel) == "CANCEL sip:test@127.0.0.1:%d SIP/2.0" % port
    assert header(cancel, "Via") == header(inv, "Via")
    out = p.uas(reply_to(inv, 487, "Request Terminated"),
                src=("127.0.0.1", port))
    assert [first_line(s[3])[:4] for s in out] == ["ACK "]
    (h, label), = live()
    assert rt.table.read(h, label).uas_status == 487


def test_t_uac_dlg_errors(proxy_factory):
    proxy_factory()
    hd = "From: <sip:a@b>\r\nTo: <sip:c@d>"
    cases = [
        (("OPTIONS", "nonsense", ".", ".", hd), (400, "Invalid RURI")),
        (("OPTIONS", "sip:a@b", "bad", ".", hd), (400, "Invalid NEXTHOP")),
        (("OPTIONS", "sip:a@b", ".", "udp:10.9.9.9:5060", hd),
         (404, "Local socket not found")),
        (("OPTIONS", "sip:a@b", ".", ".", "From: <sip:a@b>"),
         (400, "To missing")),
        (("OPTIONS", "sip:a@b", ".", ".", "To: <sip:a@b>"),
         (400, "From missing")),
        (("OPTIONS", "sip:a@b", ".", ".", hd, "body"),
         (400, "Content-Type missing")),
        (("OPTIONS", "sip:a@b", ".", ".", hd + "\r\nCSeq: 1 INFO"),
         (400, "CSeq method mismatch")),
        (("OPTIONS", "sip:a@b"), (400, "Too few or too many arguments")),
    ]
    for a, want in cases:
        rpl = t_mi.mi_tm_uac_dlg(args(*a), None)
        assert (rpl.code, rpl.reason) == want, a


def test_t_replicate_sends_a_copy_and_absorbs_the_reply(proxy_factory):
    p = proxy_factory('route { if (method == REGISTER) '
                      '{ t_replicate("sip:10.0.0.7:5070"); exit; } }\n')
    seen = []

    def req_in(tc, type_, ps):
        H.register_tmcb(ps.req, tc, H.TMCB_LOCAL_COMPLETED, done)

    def done(tc, type_, ps):
        seen.append(ps.code)
    H.register_tmcb(None, None, H.TMCB_REQUEST_IN, req_in)
    reg = request("REGISTER", ruri="sip:example.com", to_tag=None)
    sent = p.uac(reg)
    assert [(s[1], s[2]) for s in sent] == [("10.0.0.7", 5070)]   # no 100
    copy = sent[0][3]
    assert first_line(copy) == "REGISTER sip:example.com SIP/2.0"
    assert len(header(copy, "Via")) == 2
    out = p.uas(reply_to(copy, 200, "OK"), src=("10.0.0.7", 5070))
    assert out == []                    # nothing relayed upstream
    assert seen == [200]


def test_t_reply_final_cancels_pending_branches(proxy_factory):
    from openser_py.core.scriptrun import SendRecorder
    p = proxy_factory()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    (h, label), = live()
    with SendRecorder() as rec:
        rpl = t_mi.mi_tm_reply(args("486", "Busy", "%d:%d" % (h, label),
                                    "tg", "."), None)
    assert rpl.code == 200
    lines = [(s[1], first_line(s[3])) for s in rec.sent]
    assert lines == [(UAC[0], "SIP/2.0 486 Busy"),
                     ("10.0.0.2", "CANCEL sip:bob@10.0.0.2 SIP/2.0")]
    # the callee's 487 is acked, not relayed: the 486 was the final
    out = p.uas(reply_to(fwd, 487, "Request Terminated"))
    assert [first_line(s[3])[:4] for s in out] == ["ACK "]


ASYNC_REPLIES = []


class FakeAsyncHandler:
    """An MI transport's async handle: rebuilt in the process that sees the
    final reply from the (module, class, state) stored in the cell."""

    def __init__(self, where):
        self.where = where

    def reply(self, root, done=True):
        ASYNC_REPLIES.append((self.where, root))


def test_t_uac_dlg_async_reply_when_completed(proxy_factory, peer):
    from openser_py.mi import mi
    p = proxy_factory()
    port = peer.getsockname()[1]
    del ASYNC_REPLIES[:]
    cmd = mi.lookup_mi_cmd("t_uac_dlg")
    with UdpSender():
        rpl = mi.call_mi_cmd(cmd, args(
            "INVITE", "sip:test@127.0.0.1:%d" % port, ".", ".",
            "From: <sip:mi@127.0.0.1>\r\nTo: <sip:test@127.0.0.1>"),
            FakeAsyncHandler("fifo:/tmp/x"))
        assert rpl is mi.MI_ROOT_ASYNC_RPL
        req = recv_request(peer)
    p.uas(reply_to(req, 180, "Ringing"), src=("127.0.0.1", port))
    assert ASYNC_REPLIES == []
    ok = reply_to(req, 200, "OK").replace(
        b"Content-Length: 0", b"Record-Route: <sip:10.1.1.1;lr>\r\n"
        b"Contact: <sip:test@127.0.0.1:%d>\r\nContent-Length: 0" % port)
    p.uas(ok, src=("127.0.0.1", port))
    (where, root), = ASYNC_REPLIES
    assert where == "fifo:/tmp/x" and root.code == 200
    vals = [k.value for k in root.kids]
    assert vals[:4] == ["200 OK", "sip:test@127.0.0.1:%d" % port,
                        "sip:10.1.1.1;lr", "Route: <sip:10.1.1.1;lr>"]
    assert vals[4].startswith("Via: ") and "Contact: <sip:test" in vals[4]


def test_t_uac_dlg_async_timeout(proxy_factory):
    from openser_py.core.scriptrun import SendRecorder
    from openser_py.mi import mi
    p = proxy_factory()
    del ASYNC_REPLIES[:]
    with SendRecorder():
        rpl = mi.call_mi_cmd(mi.lookup_mi_cmd("t_uac_dlg"), args(
            "MESSAGE", "sip:x@10.0.0.3", ".", ".",
            "From: <sip:a@b>\r\nTo: <sip:x@10.0.0.3>"), FakeAsyncHandler(1))
    assert rpl is mi.MI_ROOT_ASYNC_RPL
    p.advance(31)
    (where, root), = ASYNC_REPLIES
    assert [k.value for k in root.kids] == ["408 Request Timeout", ".", ".",
                                            ".", "."]
