"""receive_msg: parsing, statistics, scripts, callbacks, stateless relaying."""
import textwrap

import pytest

from openser_py.core import (core_stats, forward, receive, script_cb,
                             statistics)
from openser_py.core.errors import E_SEND
from openser_py.core.ip_addr import PROTO_TCP, PROTO_UDP, ReceiveInfo
from openser_py.core.script_state import OSER_EC_PARSER, state
from openser_py.core.scriptrun import SendRecorder, load_script
from openser_py.modules.sl import sl_funcs, sl_stats

SRC = ("192.0.2.10", 5062)

OPTIONS = (b"OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
           b"Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKopt1\r\n"
           b"Max-Forwards: 70\r\n"
           b"From: <sip:alice@example.com>;tag=a1\r\n"
           b"To: <sip:127.0.0.1>\r\n"
           b"Call-ID: opt1@example.com\r\n"
           b"CSeq: 1 OPTIONS\r\n"
           b"Content-Length: 0\r\n\r\n")

INVITE = (b"INVITE sip:bob@example.com SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKinv1\r\n"
          b"Max-Forwards: 70\r\n"
          b"From: <sip:alice@example.com>;tag=a1\r\n"
          b"To: <sip:bob@example.com>\r\n"
          b"Call-ID: inv1@example.com\r\n"
          b"CSeq: 1 INVITE\r\n"
          b"Content-Length: 0\r\n\r\n")

REPLY = (b"SIP/2.0 180 Ringing\r\n"
         b"Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKprx\r\n"
         b"Via: SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKup;rport=6000"
         b";received=192.0.2.77\r\n"
         b"From: <sip:alice@example.com>;tag=a1\r\n"
         b"To: <sip:bob@example.com>;tag=b1\r\n"
         b"Call-ID: inv1@example.com\r\n"
         b"CSeq: 1 INVITE\r\n"
         b"Content-Length: 0\r\n\r\n")

# a third-party module (loaded from mpath): response_f and a function that
# reads headers without catching parse errors
RTEST = textwrap.dedent('''
    from openser_py.core.exports import (CmdExport, ModuleExports,
                                         REQUEST_ROUTE)
    seen = []

    def response_f(msg):
        seen.append(msg.status)
        return 0 if msg.status >= 200 else 1

    def w_read_contact(msg):
        return 1 if msg.contacts else -1

    def w_read_ruri(msg):
        return 1 if msg.parsed_ruri.host else -1

    exports = ModuleExports(
        name="rtest",
        cmds=(CmdExport("read_contact", w_read_contact, 0, None, None,
                        REQUEST_ROUTE),
              CmdExport("read_ruri", w_read_ruri, 0, None, None,
                        REQUEST_ROUTE)),
        response_f=response_f)
''')


@pytest.fixture(scope="module")
def mpath(tmp_path_factory):
    d = tmp_path_factory.mktemp("mods")
    (d / "rtest.py").write_text(RTEST)
    return str(d)


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    statistics.reset_registry()
    core_stats.init_core_stats()
    script_cb.reset_script_cbs()
    state.reset()
    monkeypatch.setattr(sl_stats.cfg, "enable_stats", 1)
    yield
    sl_funcs.sl_shutdown()
    script_cb.reset_script_cbs()
    statistics.reset_registry()
    core_stats.init_core_stats()
    state.reset()


def load(route, extra="", mpath=None):
    head = 'listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\n'
    if mpath:
        head += 'mpath="%s"\nloadmodule "rtest.so"\n' % mpath
    return load_script("%s%s\nroute {\n%s\n}\n" % (head, extra, route))


def rcv_for(script, proto=PROTO_UDP, src=SRC):
    return ReceiveInfo(src[0], src[1], "127.0.0.1", 5060, proto,
                       script.sockets[0] if script else None)


def feed(script, *msgs, **kw):
    """Run every message through receive_msg; return what was sent."""
    with SendRecorder() as rec:
        for data in msgs:
            receive.receive_msg(data, rcv_for(script, **kw))
    return rec.sent


def stat(name, group="core"):
    return statistics.get_stat(name, group).get()


def header(data, name):
    for line in data.split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line
    return None


# -- requests --------------------------------------------------------------

def test_request_routed_and_replied_by_sl():
    s = load('sl_send_reply("200", "OK");')
    sent = feed(s, OPTIONS)
    assert len(sent) == 1
    proto, ip, port, data = sent[0]
    assert (proto, ip, port) == (PROTO_UDP,) + SRC
    assert data.startswith(b"SIP/2.0 200 OK\r\n")
    assert header(data, b"Call-ID") == b"Call-ID: opt1@example.com"
    assert stat("rcv_requests") == 1
    assert stat("err_requests") == stat("bad_msg_hdr") == 0


def test_request_over_tcp_is_parsed_as_stream_and_answered_over_tcp():
    s = load('sl_send_reply("200", "OK");')
    sent = feed(s, OPTIONS, proto=PROTO_TCP)
    assert sent[0][:3] == (PROTO_TCP,) + SRC


def test_message_id_and_receive_info_set():
    s = load('$var(mi) = $mi; $var(si) = $si; $var(sp) = $sp;')
    feed(s, OPTIONS, OPTIONS)
    assert state.get_var("si") == SRC[0]
    assert int(state.get_var("sp")) == SRC[1]
    first = int(state.get_var("mi"))
    feed(s, OPTIONS)
    assert int(state.get_var("mi")) == first + 1


def test_unknown_method_counted_as_unsupported():
    s = load("exit;")
    feed(s, OPTIONS.replace(b"OPTIONS", b"FOO"))
    assert stat("rcv_requests") == 1 and stat("unsupported_methods") == 1


def test_stateless_forward_counted():
    s = load('forward("udp:192.0.2.200:5080");')
    sent = feed(s, INVITE)
    assert sent[0][:3] == (PROTO_UDP, "192.0.2.200", 5080)
    assert stat("fwd_requests") == 1 and stat("drop_requests") == 0


def test_failed_stateless_send_counted_as_drop(monkeypatch):
    s = load('forward("udp:192.0.2.200:5080");')
    monkeypatch.setattr(forward, "_sender", lambda *a: False)
    receive.receive_msg(INVITE, rcv_for(s))
    assert stat("fwd_requests") == 0 and stat("drop_requests") == 1
    assert forward.msg_send(None, PROTO_UDP, "192.0.2.1", 1, b"x") == E_SEND


# -- malformed requests ----------------------------------------------------

BAD_HDR = INVITE.replace(b"Max-Forwards: 70\r\n",
                         b"Max-Forwards: 70\r\nthis is no header\r\n")


def test_malformed_request_answered_400_to_source_and_worker_goes_on():
    s = load('sl_send_reply("200", "OK");')
    sent = feed(s, BAD_HDR, OPTIONS)
    assert len(sent) == 2
    proto, ip, port, data = sent[0]
    assert (proto, ip, port) == (PROTO_UDP,) + SRC
    lines = data.split(b"\r\n")
    assert lines[0] == b"SIP/2.0 400 Bad Request"
    assert lines[1] == b"Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKinv1"
    assert lines[2] == b"From: <sip:alice@example.com>;tag=a1"
    assert lines[3].startswith(b"To: <sip:bob@example.com>;tag=")
    assert lines[4:6] == [b"Call-ID: inv1@example.com", b"CSeq: 1 INVITE"]
    assert data.endswith(b"Content-Length: 0\r\n\r\n")
    assert b"\r\nServer: " in data
    assert sent[1][3].startswith(b"SIP/2.0 200 OK")
    assert stat("err_requests") == 1 and stat("bad_msg_hdr") == 1
    assert stat("rcv_requests") == 1        # only the good OPTIONS


def test_bad_version_answered_505():
    s = load("exit;")
    sent = feed(s, INVITE.replace(b"SIP/2.0\r\n", b"SIP/3.0\r\n", 1))
    assert sent[0][3].startswith(b"SIP/2.0 505 Version Not Supported\r\n")


def test_long_request_uri_answered_414_and_counted_as_bad_uri():
    data = INVITE.replace(b"sip:bob@example.com SIP",
                          b"sip:" + b"b" * 5000 + b"@example.com SIP", 1)
    sent = feed(load("exit;"), data)
    assert sent[0][3].startswith(b"SIP/2.0 414 ")
    assert stat("bad_URIs_rcvd") == 1 and stat("bad_msg_hdr") == 0
    assert stat("err_requests") == 1


def test_extra_whitespace_in_request_line_answered_400():
    sent = feed(load("exit;"), INVITE.replace(b"INVITE sip", b"INVITE  sip"))
    assert sent[0][3].startswith(b"SIP/2.0 400 Bad Request\r\n")


def test_bad_via_in_parsed_request_answered_400():
    data = INVITE.replace(b"Via: SIP/2.0/UDP 192.0.2.10:5062;",
                          b"Via: SIP/2.0/UDP 192.0.2.10:5062;;")
    sent = feed(load('sl_send_reply("200", "OK");'), data)
    assert len(sent) == 1 and sent[0][3].startswith(b"SIP/2.0 400 ")
    assert stat("rcv_requests") == 1 and stat("err_requests") == 1
    assert stat("bad_msg_hdr") == 1


def test_compact_folded_headers_and_existing_to_tag_echoed():
    data = (b"BYE sip:bob@example.com SIP/2.0\r\n"
            b"v: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbye\r\n"
            b"v: SIP/2.0/UDP 192.0.2.1\r\n ;branch=z9hG4bKup\r\n"
            b"f: <sip:alice@example.com>;tag=a1\r\n"
            b"t: <sip:bob@example.com>;tag=b1\r\n"
            b"i: bye1\r\nCSeq: 2 BYE\r\nbroken\r\n\r\n")
    lines = feed(load("exit;"), data)[0][3].split(b"\r\n")
    assert lines[1:7] == [
        b"v: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbye",
        b"v: SIP/2.0/UDP 192.0.2.1 ;branch=z9hG4bKup",
        b"f: <sip:alice@example.com>;tag=a1",
        b"t: <sip:bob@example.com>;tag=b1", b"i: bye1", b"CSeq: 2 BYE"]


def test_oversized_stream_message_answered_413():
    data = INVITE.replace(b"Content-Length: 0", b"Content-Length: 70000") \
        + b"x" * 70000
    sent = feed(load("exit;"), data, proto=PROTO_TCP)
    assert sent[0][:3] == (PROTO_TCP,) + SRC
    assert sent[0][3].startswith(b"SIP/2.0 413 Request Entity Too Large")


def test_bad_cseq_answered_400_before_the_script():
    s = load('$var(runs) = 1; sl_send_reply("200", "OK");')
    sent = feed(s, INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: x INVITE"))
    assert len(sent) == 1 and sent[0][3].startswith(b"SIP/2.0 400 ")
    assert b"\r\nCSeq: x INVITE\r\n" in sent[0][3]
    assert state.get_var("runs") == 0
    assert stat("rcv_requests") == 1 and stat("err_requests") == 1


def test_cseq_method_mismatch_answered_400():
    sent = feed(load("exit;"), INVITE.replace(b"CSeq: 1 INVITE",
                                              b"CSeq: 1 BYE"))
    assert sent[0][3].startswith(b"SIP/2.0 400 ")


def test_request_without_from_dropped():
    data = INVITE.replace(b"From: <sip:alice@example.com>;tag=a1\r\n", b"")
    assert feed(load('sl_send_reply("200", "OK");'), data) == []
    assert stat("err_requests") == 1 and stat("bad_msg_hdr") == 1


def test_request_without_via_dropped():
    data = b"".join(ln + b"\r\n" for ln in INVITE.split(b"\r\n")
                    if not ln.startswith(b"Via"))[:-2]
    sent = feed(load('sl_send_reply("200", "OK");'), data)
    assert sent == [] and stat("err_requests") == 1


@pytest.mark.parametrize("data", [
    b"\x00\x01\x02 this is not SIP at all\r\n\r\n",
    b"INVITE sip:bob@example.com SIP/2.0\r\nVia: broken\r\nFrom: x\r\n\r\n",
    BAD_HDR.replace(b"INVITE sip", b"ACK sip").replace(b" INVITE\r\n",
                                                       b" ACK\r\n"),
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=1\r\nbroken line\r\n\r\n",
])
def test_unreadable_or_unanswerable_message_dropped(data):
    s = load('sl_send_reply("200", "OK");')
    sent = feed(s, data, OPTIONS)
    assert len(sent) == 1 and sent[0][3].startswith(b"SIP/2.0 200 OK")
    assert stat("bad_msg_hdr") == 1


def test_malformed_reply_counted_as_err_replies():
    data = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=1\r\nbroken\r\n\r\n"
    feed(load("exit;"), data)
    assert stat("err_replies") == 1 and stat("err_requests") == 0


# -- callbacks and the sl ACK filter --------------------------------------

def test_ack_to_sl_reply_absorbed_by_filter():
    s = load('$var(runs) = $var(runs) + 1;'
             'if (method == "INVITE") sl_send_reply("404", "Not Here");')
    sent = feed(s, INVITE)
    to = header(sent[0][3], b"To")
    ack = (INVITE.replace(b"INVITE sip", b"ACK sip")
           .replace(b"1 INVITE", b"1 ACK")
           .replace(b"To: <sip:bob@example.com>", to))
    assert feed(s, ack) == []
    assert int(state.get_var("runs")) == 1          # not run for the ACK
    assert stat("drop_requests") == 1
    assert stat("received_ACKs", "sl") == 1
    other = ack.replace(b";tag=", b";tag=x")
    feed(s, other)
    assert int(state.get_var("runs")) == 2


def test_pre_and_post_callbacks_order_and_drop():
    s = load("$var(runs) = $var(runs) + 1;")
    log = []

    def post(msg):
        log.append("post")

    def pre(msg):
        log.append("pre")
        return msg.method != "FOO"

    script_cb.register_script_cb(post, script_cb.POST_SCRIPT_CB
                                 | script_cb.REQ_TYPE_CB)
    script_cb.register_script_cb(pre, script_cb.PRE_SCRIPT_CB
                                 | script_cb.REQ_TYPE_CB)
    feed(s, OPTIONS, OPTIONS.replace(b"OPTIONS", b"FOO"))
    assert log == ["pre", "post", "pre"]
    assert int(state.get_var("runs")) == 1 and stat("drop_requests") == 1


def test_callback_registration_rules():
    def cb(msg):
        raise RuntimeError("module bug")
    assert script_cb.register_script_cb(cb, script_cb.PRE_SCRIPT_CB) == -1
    assert script_cb.register_script_cb(cb, script_cb.REQ_TYPE_CB) == -1
    assert script_cb.register_script_cb("x", script_cb.PRE_SCRIPT_CB
                                        | script_cb.REQ_TYPE_CB) == -1
    flags = (script_cb.PRE_SCRIPT_CB | script_cb.REQ_TYPE_CB
             | script_cb.RPL_TYPE_CB)
    assert script_cb.register_script_cb(cb, flags) == 0
    assert script_cb.register_script_cb(cb, flags) == 0     # no duplicate
    assert script_cb._pre_req == (cb,) and script_cb._pre_rpl == (cb,)
    assert script_cb.exec_pre_req_cb(None) is True     # exception: go on
    assert not script_cb.has_callbacks(script_cb.POST_SCRIPT_CB
                                       | script_cb.REQ_TYPE_CB)


def test_sl_mod_init_registers_ack_filter():
    load("exit;")
    assert sl_funcs.sl_filter_ACK in script_cb._pre_req


# -- replies ---------------------------------------------------------------

def test_reply_forwarded_statelessly_to_via2_received_rport():
    s = load("exit;")
    sent = feed(s, REPLY)
    assert len(sent) == 1
    proto, ip, port, data = sent[0]
    assert (proto, ip, port) == (PROTO_UDP, "192.0.2.77", 6000)
    assert data.startswith(b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP "
                           b"10.0.0.5:5070;")
    assert b"z9hG4bKprx" not in data
    assert stat("rcv_replies") == 1 and stat("fwd_replies") == 1


def test_reply_without_second_via_dropped():
    data = b"".join(ln + b"\r\n" for ln in REPLY.split(b"\r\n")
                    if b"10.0.0.5" not in ln)[:-2]
    assert feed(load("exit;"), data) == []
    assert stat("drop_replies") == 1 and stat("fwd_replies") == 0


def test_drop_in_default_onreply_route_drops_reply():
    s = load("exit;", extra='onreply_route { if (status == "180") drop; }')
    assert feed(s, REPLY) == []
    assert stat("drop_replies") == 1
    assert len(feed(s, REPLY.replace(b"180 Ringing", b"183 Progress"))) == 1


def test_onreply_route_runs_before_forwarding():
    s = load("exit;", extra="onreply_route { $var(seen) = $rs; }")
    feed(s, REPLY)
    assert int(state.get_var("seen")) == 180


def test_response_f_consumes_reply(mpath):
    s = load("exit;", mpath=mpath)
    mod = s.registry.get("rtest").pymod
    del mod.seen[:]
    sent = feed(s, REPLY, REPLY.replace(b"180 Ringing", b"200 OK"))
    assert mod.seen == [180, 200]
    assert len(sent) == 1 and sent[0][3].startswith(b"SIP/2.0 180 ")
    assert stat("fwd_replies") == 1 and stat("rcv_replies") == 2


# -- error_route -----------------------------------------------------------

ERR_ROUTE = ('error_route { $var(cls) = $err.class; $var(rc) = $err.rcode;'
             ' $var(rr) = $err.rreason; $var(info) = $err.info;'
             ' sl_send_reply("$err.rcode", "$err.rreason"); exit; }')
BAD_CONTACT = INVITE.replace(b"Max-Forwards: 70\r\n",
                             b"Max-Forwards: 70\r\n"
                             b"Contact: <sip:alice@192.0.2.10\r\n")


def test_error_route_on_parse_error_in_script(mpath):
    s = load('read_contact(); sl_send_reply("200", "OK");', extra=ERR_ROUTE,
             mpath=mpath)
    sent = feed(s, BAD_CONTACT)
    assert [d[3].split(b"\r\n")[0] for d in sent] == [
        b"SIP/2.0 400 Bad Request"]          # main route stopped by exit
    assert int(state.get_var("cls")) == OSER_EC_PARSER
    assert int(state.get_var("rc")) == 400
    assert state.get_var("rr") == "Bad Request"
    assert state.get_var("info")
    assert stat("bad_msg_hdr") == 1


def test_error_route_416_for_unsupported_request_uri_scheme(mpath):
    s = load('read_ruri(); sl_send_reply("200", "OK");', extra=ERR_ROUTE,
             mpath=mpath)
    data = INVITE.replace(b"INVITE sip:bob@example.com",
                          b"INVITE http://example.com/bob")
    sent = feed(s, data)
    assert sent[0][3].startswith(b"SIP/2.0 416 Unsupported URI Scheme\r\n")
    assert stat("bad_URIs_rcvd") == 1


def test_error_route_without_exit_lets_the_route_go_on(mpath):
    s = load('read_contact(); $var(after) = $err.class;'
             'sl_send_reply("200", "OK");',
             extra="error_route { $var(er) = 1; }", mpath=mpath)
    sent = feed(s, BAD_CONTACT)
    assert int(state.get_var("er")) == 1
    assert int(state.get_var("after")) == 0       # error info cleared
    assert [d[3][:14] for d in sent] == [b"SIP/2.0 200 OK"]


def test_no_error_route_function_fails_and_route_goes_on(mpath):
    s = load('if (!read_contact()) $var(neg) = 1; sl_send_reply("200", "OK");',
             mpath=mpath)
    sent = feed(s, BAD_CONTACT)
    assert int(state.get_var("neg")) == 1 and len(sent) == 1
    assert state.err.eclass == OSER_EC_PARSER


def test_script_exception_never_escapes(monkeypatch):
    s = load('sl_send_reply("200", "OK");')

    def boom(msg):
        raise RuntimeError("bug")
    monkeypatch.setattr(receive, "_exec_post_req", boom)
    sent = feed(s, OPTIONS, OPTIONS)
    assert len(sent) == 2
