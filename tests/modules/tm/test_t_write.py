"""t_write_req / t_write_unix: the 20 lines, tw_append, fixups, writers
and the blind UAC (in-process, fake tm clock)."""
import os
import socket
import tempfile
import time

import pytest

from openser_py.core import cfgload
from openser_py.core.exports import FixupError
from openser_py.core.ip_addr import PROTO_UDP, ReceiveInfo, SocketInfo
from openser_py.core.scriptrun import SendRecorder, load_script
from openser_py.mi.tree import MiNode
from openser_py.modules import tm
from openser_py.modules.tm import t_mi
from openser_py.modules.tm import t_write as TW
from openser_py.parser.msg import parse_msg
from tests.modules.tm.proxy_util import (HEAD, Proxy, first_line, header,
                                         request)

SDP = "v=0\r\no=- 1 1 IN IP4 192.0.2.99\r\ns=-\r\n"


def sip(method="INVITE", ruri="sip:bob@example.com", extra="", body="",
        to="<sip:bob@example.com>"):
    text = ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKx"
            "\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@example.com>"
            ";tag=a1\r\nTo: %s\r\nCall-ID: c1@example.com\r\nCSeq: 7 %s\r\n"
            "%sContent-Length: %d\r\n\r\n%s"
            % (method, ruri, to, method, extra, len(body), body))
    return text.encode()


def parsed(data, port=5060):
    msg = parse_msg(data)
    sock = SocketInfo(PROTO_UDP, "127.0.0.1", port)
    msg.rcv = ReceiveInfo("192.0.2.99", 5062, "127.0.0.1", port, PROTO_UDP,
                          sock)
    return msg


def lines(msg, action="vm", append=None, flags=0):
    out = TW.assemble(msg, action, append, 1234, 5, flags)
    assert len(out) == TW.TWRITE_PARAMS
    return out


def test_invite_with_contact_and_body():
    msg = parsed(sip(extra="Contact: \"A\" <sip:alice@192.0.2.99:5062;"
                     "transport=udp>;expires=60\r\nContent-Type: "
                     "application/sdp\r\n", body=SDP))
    msg.new_uri = "sip:vm-bob@10.0.0.9:5070"
    assert lines(msg) == [
        "0.3", "sip_request.vm", "INVITE", "vm-bob", "10.0.0.9", "127.0.0.1",
        ".", "sip:vm-bob@10.0.0.9:5070",
        "sip:alice@192.0.2.99:5062;transport=udp",
        "\"Alice\" <sip:alice@example.com>;tag=a1", "<sip:bob@example.com>",
        "c1@example.com", "a1", "", "7", "1234:5", ".", ".",
        "P-MsgFlags: 0\n.", SDP]
    data = TW._to_bytes(lines(msg))
    assert data.startswith(b"0.3\nsip_request.vm\nINVITE\nvm-bob\n")
    assert data.endswith(b"\n1234:5\n.\n.\nP-MsgFlags: 0\n.\n"
                         + SDP.encode() + b"\n")


def test_message_without_contact_uses_from_and_no_body():
    msg = parsed(sip("MESSAGE", to="<sip:bob@example.com>;tag=b9",
                     extra="Content-Type: text/plain\r\n", body="hi"),
                 port=5070)
    out = lines(msg, "im")
    assert out[1] == "sip_request.im" and out[2] == "MESSAGE"
    assert out[5:9] == ["127.0.0.1", "5070", "sip:bob@example.com",
                        "sip:alice@example.com"]
    assert out[13] == "b9"
    assert out[16:] == [".", ".", "P-MsgFlags: 0\n.", "."]


def test_record_route_loose_first():
    msg = parsed(sip(extra="Record-Route: <sip:p1.example.com;lr>, "
                     "<sip:p2.example.com;lr>\r\nRecord-Route: "
                     "<sip:p3.example.com>\r\n"
                     "Contact: <sip:a@192.0.2.99>\r\n"))
    out = lines(msg)
    assert out[8] == "sip:a@192.0.2.99"
    assert out[16] == ("<sip:p1.example.com;lr>,<sip:p2.example.com;lr>,"
                       "<sip:p3.example.com>")
    assert out[17] == "sip:p1.example.com;lr"


def test_record_route_strict_first():
    msg = parsed(sip(extra="Record-Route: <sip:p1.example.com>\r\n"
                     "Record-Route: <sip:p2.example.com;lr>\r\n"
                     "Contact: <sip:a@192.0.2.99>\r\n"))
    out = lines(msg)
    assert out[8] == "sip:p1.example.com"
    assert out[16] == "<sip:p2.example.com;lr>,<sip:a@192.0.2.99>"
    assert out[17] == "."


def test_msg_flags_reverse_hex():
    msg = parsed(sip())
    assert lines(msg, flags=0x1f3)[18] == "P-MsgFlags: 3f1\n."
    assert TW.core_msg_flags(msg) == 0
    msg.ctx["force_rport"] = True
    assert TW.core_msg_flags(msg) == TW.FL_FORCE_RPORT == 1


def test_append_null_skipped_and_body_short_form():
    app = TW.parse_tw_append(
        "Info", " ua = $hdr(User-Agent) ; nope=$hdr(X-None);$rb; "
        "uri=$ru;")
    assert app.add_body and [t for t, _s in app.elems] == ["ua", "nope",
                                                            "uri"]
    msg = parsed(sip("MESSAGE", extra="User-Agent: phone 1.0\r\n",
                     body="hello"))
    out = lines(msg, append=app, flags=1)
    assert out[18] == ("P-MsgFlags: 1\nua: phone 1.0\n"
                       "uri: sip:bob@example.com\n.")
    assert out[19] == "hello"


def test_parse_tw_append_errors():
    for bad in ("$ru", "x=nopv", "=$ru", "a=$ru b=$rd", "a=$foo(bar)"):
        with pytest.raises(ValueError):
            TW.parse_tw_append("n", bad)


def test_check_tw_append():
    defined = [TW.check_tw_append("VM : a=$ru", [])]
    assert defined == [("VM", "a=$ru")]
    for bad in ("no-colon", ":a=$ru", "x:", "two words:a=$ru", "vm:b=$rd"):
        with pytest.raises(ValueError):
            TW.check_tw_append(bad, defined)


def test_fixup(monkeypatch):
    monkeypatch.setattr(TW, "_owner", [cfgload.current_script])
    monkeypatch.setattr(tm.cfg, "tw_append", [("VoiceMail", "ua=$ua;$rb")])
    assert TW.fixup_t_write("/tmp/x", 1) == "/tmp/x"
    info = TW.fixup_t_write("vm", 2)
    assert (info.action, info.append) == ("vm", None)
    info = TW.fixup_t_write("vm/voicemail", 2)
    assert info.action == "vm" and info.append.name == "VoiceMail"
    assert info.append.add_body
    for bad, why in (("", "empty action"), ("/voicemail", "empty action"),
                     ("vm/", "empty append name"),
                     ("vm/other", "unknown append name <other>")):
        with pytest.raises(FixupError, match=why):
            TW.fixup_t_write(bad, 2)
    with pytest.raises(FixupError):
        TW.fixup_t_write("", 1)
    monkeypatch.setattr(tm.cfg, "tw_append", [("bad", "x=nopv")])
    with pytest.raises(FixupError, match="tw_append <bad>"):
        TW.fixup_t_write("vm/bad", 2)


# -- through a loaded config --------------------------------------------------

@pytest.fixture
def sockdir():
    d = tempfile.mkdtemp(prefix="tw", dir="/tmp")
    yield d
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)


@pytest.fixture
def app(sockdir):
    """A unix datagram socket playing the external application."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(os.path.join(sockdir, "app"))
    s.settimeout(2)
    yield s
    s.close()


ROUTE = ('failure_route[1] { t_reply("480", "Nobody Home"); }\n'
         'route {\n  %s\n  if (!t_write_unix("%s", "%s")) {\n'
         '    sl_send_reply("500", "write failed"); exit; }\n}\n')


def proxy(proxy_factory, path, newtran="t_newtran();", info="voicemail",
          params=""):
    return proxy_factory(ROUTE % (newtran, path, info),
                         'modparam("tm", "fr_timer", 3)\n' + params)


def test_unix_write_then_blind_uac_times_out(proxy_factory, app):
    p = proxy(proxy_factory, app.getsockname(),
              't_on_failure("1"); t_newtran();')
    assert p.uac(request()) == []           # t_newtran sends no 100
    got = app.recv(65535).decode().split("\n")
    assert got[:3] == ["0.3", "sip_request.voicemail", "INVITE"]
    assert got[15].count(":") == 1 and len(got) == 22 and got[-1] == ""
    assert p.advance(2.5) == []             # fr_timer (3 s) still running
    sent = p.advance(1)             # (then retransmitted until the ACK)
    assert {first_line(d) for *_x, d in sent} == {"SIP/2.0 480 Nobody Home"}


def test_failure_route_after_blind_branch_sees_the_request_uri(
        proxy_factory, app):
    """$ru in failure_route is the request's own R-URI, not the blind
    branch's empty one."""
    script = ('failure_route[1] {\n'
              '  if ($ru == "sip:bob@10.0.0.2") t_reply("480", "RU kept");\n'
              '  else t_reply("500", "RU lost");\n}\n'
              'route { t_on_failure("1"); t_newtran();\n'
              '  t_write_unix("%s", "vm"); }\n' % app.getsockname())
    p = proxy_factory(script, 'modparam("tm", "fr_timer", 1)\n')
    p.uac(request(method="MESSAGE"))
    assert app.recv(65535).startswith(b"0.3\nsip_request.vm\nMESSAGE\n")
    sent = p.advance(1.1)
    assert [first_line(d) for *_x, d in sent] == ["SIP/2.0 480 RU kept"]


def test_no_failure_route_gives_408(proxy_factory, app):
    p = proxy(proxy_factory, app.getsockname(), info="vm")
    p.uac(request(method="MESSAGE"))
    assert app.recv(65535).startswith(b"0.3\nsip_request.vm\nMESSAGE\n")
    sent = p.advance(3.1)
    assert [first_line(d) for *_x, d in sent] == \
        ["SIP/2.0 408 Request Timeout"]


def test_mi_t_reply_answers_the_caller(proxy_factory, app):
    p = proxy(proxy_factory, app.getsockname())
    p.uac(request())
    got = app.recv(65535).decode().split("\n")
    with SendRecorder() as rec:
        rpl = t_mi.mi_tm_reply([MiNode("", v) for v in (
            "200", "OK", got[15], "vm-tag", "Contact: <sip:vm@127.0.0.1>",
            SDP)])
    assert rpl.code == 200
    assert [first_line(d) for *_x, d in rec.sent] == ["SIP/2.0 200 OK"]
    assert header(rec.sent[0][-1], "Contact") == ["<sip:vm@127.0.0.1>"]
    assert rec.sent[0][-1].endswith(SDP.encode())
    assert p.stat("2xx_transactions") == 1
    sent = p.advance(5)                     # the 2xx retransmitted, no 408
    assert {first_line(d) for *_x, d in sent} == {"SIP/2.0 200 OK"}
    assert header(sent[0][-1], "To") == ["<sip:bob@example.com>;tag=vm-tag"]


def test_no_transaction_is_false(proxy_factory, app):
    p = proxy(proxy_factory, app.getsockname(), newtran="")
    sent = p.uac(request())
    assert [first_line(d) for *_x, d in sent] == \
        ["SIP/2.0 500 write failed"]
    app.settimeout(0.2)
    with pytest.raises(socket.timeout):
        app.recv(65535)


def test_unix_nobody_there_is_false(proxy_factory, sockdir):
    p = proxy(proxy_factory, os.path.join(sockdir, "none"))
    sent = p.uac(request())
    assert [first_line(d) for *_x, d in sent] == \
        ["SIP/2.0 500 write failed"]
    assert p.inuse() == 1 and p.advance(4) == []    # no blind branch


def test_unix_full_queue_waits_unix_tx_timeout(proxy_factory, app):
    p = proxy(proxy_factory, app.getsockname(),
              params='modparam("tm", "unix_tx_timeout", 1)\n')
    filler = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    filler.connect(app.getsockname())
    filler.setblocking(False)
    try:
        while True:
            filler.send(b"x" * 1024)
    except BlockingIOError:
        pass
    finally:
        filler.close()
    t0 = time.monotonic()
    sent = p.uac(request())
    took = time.monotonic() - t0
    assert [first_line(d) for *_x, d in sent] == \
        ["SIP/2.0 500 write failed"]
    assert 0.9 <= took < 5


def test_append_in_config_and_fifo(proxy_factory, sockdir):
    fifo = os.path.join(sockdir, "fifo")
    p = proxy_factory(
        'route { t_newtran(); if (!t_write_req("%s", "vm/Info")) '
        'sl_send_reply("500", "write failed"); }\n' % fifo,
        'modparam("tm", "tw_append", "info:ua=$hdr(User-Agent);'
        'x=$hdr(X-None)")\n')
    assert [first_line(d) for *_x, d in p.uac(request())] == \
        ["SIP/2.0 500 write failed"]       # not a FIFO yet
    os.mkfifo(fifo)
    assert [first_line(d) for *_x, d in p.uac(request(callid="c2"))] == \
        ["SIP/2.0 500 write failed"]       # nobody reading (ENXIO)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert p.uac(request(callid="c3", extra="User-Agent: ua/1\r\n")) \
            == []
        got = os.read(fd, 65536).decode().split("\n")
    finally:
        os.close(fd)
    assert got[1] == "sip_request.vm" and got[11] == "c3"
    assert got[18:21] == ["P-MsgFlags: 0", "ua: ua/1", "."]


def test_bad_tw_append_pv_fails_mod_init():
    with pytest.raises(ValueError, match="mod_init of module tm failed"):
        load_script(HEAD + 'modparam("tm", "tw_append", "a:x=$nosuchpv")\n'
                    'route { exit; }\n')
    # the next config does not inherit that definition
    p = Proxy('route { exit; }\n')
    try:
        assert TW.definitions() == []
    finally:
        p.close()
