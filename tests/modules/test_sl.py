"""The sl module: stateless replies, to-tags, ACK filter, statistics, API."""
import hashlib

import pytest

from openser_py.core import cfgload, forward, statistics
from openser_py.core.cfgload import load_config
from openser_py.core.ip_addr import PROTO_TCP, PROTO_UDP
from openser_py.core.script_state import state
from openser_py.core.scriptrun import (SendRecorder, load_script, make_msg,
                                       run_route)
from openser_py.modules.sl import sl_funcs, sl_stats
from openser_py.parser import data_lump, tags
from openser_py.sr_module import load_module_api
from openser_py.version import SERVER_HDR

SERVER = "Server: %s\r\n" % SERVER_HDR

INVITE = (b"INVITE sip:bob@example.com SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKabc123\r\n"
          b"Via: SIP/2.0/TCP 198.51.100.1;branch=z9hG4bKup\r\n"
          b"Record-Route: <sip:198.51.100.1;lr>\r\n"
          b"Max-Forwards: 70\r\n"
          b"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
          b"To: <sip:bob@example.com>\r\n"
          b"Call-ID: c1@example.com\r\n"
          b"CSeq: 7 INVITE\r\n"
          b"User-Agent: test\r\n"
          b"Content-Type: application/sdp\r\n"
          b"Content-Length: 4\r\n\r\nv=0\n")

VIA1 = "Via: SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKabc123;received=192.0.2.10\r\n"
VIA2 = "Via: SIP/2.0/TCP 198.51.100.1;branch=z9hG4bKup\r\n"
RR = "Record-Route: <sip:198.51.100.1;lr>\r\n"
FROM = "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
TAIL = "Call-ID: c1@example.com\r\nCSeq: 7 INVITE\r\n"


def sl_tag(ip="127.0.0.1", port=5060, via=("192.0.2.99", "5062",
                                            "z9hG4bKabc123")):
    """The expected sl To-tag, computed independently of the module."""
    md5 = hashlib.md5(("OpenSER-stateless%s%d" % (ip, port)).encode())
    return md5.hexdigest() + "." + tags.crcitt_string_array(via)


def reply(code, reason, to_tag=None, rr=False, extra=""):
    to = "To: <sip:bob@example.com>%s\r\n" % (
        ";tag=" + to_tag if to_tag else "")
    return (("SIP/2.0 %d %s\r\n" % (code, reason)) + VIA1 + VIA2
            + (RR if rr else "") + FROM + to + TAIL + extra + SERVER
            + "Content-Length: 0\r\n\r\n").encode()


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    statistics.reset_registry()
    state.reset()
    monkeypatch.setattr(sl_stats.cfg, "enable_stats", 1)
    yield
    sl_funcs.sl_shutdown()
    statistics.reset_registry()
    state.reset()


def load(body, extra="", listen="listen=udp:127.0.0.1:5060"):
    return load_script('%s\nloadmodule "sl.so"\n%s\nroute {\n%s\n}\n'
                       % (listen, extra, body))


def run(script, data=INVITE, prepare=None, **rcv):
    msg = make_msg(data, **rcv)
    if prepare is not None:
        prepare(msg)
    with SendRecorder() as rec:
        run_route(script, msg)
    return msg, rec.sent


def stat(name):
    return statistics.get_stat(name, "sl").get()


# -- reply layout -----------------------------------------------------------

def test_404_byte_exact_to_source_address():
    """OpenSER's update_sock_struct_from_ip: the source IP and, without
    rport, Via1's port (RFC 3261 §18.2.2)."""
    s = load('sl_send_reply("404", "Not Here");')
    _, sent = run(s, src_ip="192.0.2.10", src_port=5099)
    assert sent == [(PROTO_UDP, "192.0.2.10", 5062,
                     reply(404, "Not Here", to_tag=sl_tag()))]


def test_reply_port_is_source_port_with_rport_or_force_rport():
    """RFC 3581: with ;rport (or force_rport()) the reply goes back to the
    port the request came from."""
    data = INVITE.replace(b"branch=z9hG4bKabc123\r\n",
                          b"rport;branch=z9hG4bKabc123\r\n")
    _, sent = run(load('sl_send_reply("404", "Not Here");'), data,
                  src_port=5099)
    assert sent[0][:3] == (PROTO_UDP, "192.0.2.10", 5099)
    _, sent = run(load('force_rport(); sl_send_reply("404", "Not Here");'),
                  src_port=5099)
    assert sent[0][:3] == (PROTO_UDP, "192.0.2.10", 5099)
    no_port = INVITE.replace(b"192.0.2.99:5062;", b"192.0.2.99;")
    _, sent = run(load('sl_send_reply("404", "Not Here");'), no_port,
                  src_port=5099)
    assert sent[0][:3] == (PROTO_UDP, "192.0.2.10", 5060)


@pytest.mark.parametrize("code,tagged,rr", [
    (100, False, False), (179, False, False), (180, True, True),
    (183, True, True), (200, True, True), (299, True, True),
    (404, True, False), (500, True, False), (603, True, False)])
def test_to_tag_from_180_and_record_route_for_180_to_299(code, tagged, rr):
    s = load('sl_send_reply("%d", "Reason");' % code)
    _, sent = run(s)
    assert sent[0][3] == reply(code, "Reason", sl_tag() if tagged else None,
                               rr=rr)


def test_existing_to_tag_is_kept():
    data = INVITE.replace(b"To: <sip:bob@example.com>\r\n",
                          b"To: <sip:bob@example.com>;tag=b2\r\n")
    _, sent = run(load('sl_send_reply("486", "Busy Here");'), data)
    assert b"\r\nTo: <sip:bob@example.com>;tag=b2\r\nCall-ID" in sent[0][3]
    assert sent[0][3].count(b"tag=") == 2      # From's and To's only


def test_rport_filled_in_place_and_by_force_rport():
    data = INVITE.replace(b"branch=z9hG4bKabc123\r\n",
                          b"rport;branch=z9hG4bKabc123\r\n")
    _, sent = run(load('sl_send_reply("100", "Trying");'), data,
                  src_port=5070)
    assert sent[0][3].split(b"\r\n")[1] == (
        b"Via: SIP/2.0/UDP 192.0.2.99:5062;rport=5070;branch=z9hG4bKabc123"
        b";received=192.0.2.10")
    _, sent = run(load('force_rport(); sl_send_reply("100", "Trying");'),
                  src_port=5070)
    assert sent[0][3].split(b"\r\n")[1] == (
        b"Via: SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKabc123"
        b";rport=5070;received=192.0.2.10")


def test_tcp_request_replied_over_tcp():
    s = load('sl_send_reply("200", "OK");')
    _, sent = run(s, proto="tcp", src_port=40000)
    assert sent[0][:3] == (PROTO_TCP, "192.0.2.10", 40000)


def test_3xx_contact_from_destination_set_after_reply_lumps():
    s = load('rewriteuri("sip:bob@192.0.2.50");'
             'append_branch("sip:b1@192.0.2.51");'
             'append_branch("sip:b2@192.0.2.52", "0.5");'
             'sl_send_reply("302", "Moved Temporarily");')
    _, sent = run(s, prepare=lambda m: data_lump.add_rpl_lump(
        m, "X-Lump: 1\r\n"))
    contact = ("Contact: sip:bob@192.0.2.50, sip:b1@192.0.2.51, "
               "<sip:b2@192.0.2.52>;q=0.5\r\n")
    assert sent[0][3] == reply(302, "Moved Temporarily", sl_tag(),
                               extra="X-Lump: 1\r\n" + contact)


def test_contact_only_for_3xx():
    s = load('append_branch("sip:b1@192.0.2.51"); sl_send_reply("404", "NF");')
    _, sent = run(s)
    assert b"Contact" not in sent[0][3]


def test_reply_lumps_before_server_header():
    s = load('sl_send_reply("403", "Forbidden");')
    _, sent = run(s, prepare=lambda m: (
        data_lump.add_rpl_lump(m, "X-A: 1\r\n"),
        data_lump.add_rpl_lump(m, "X-B: 2\r\n")))
    assert sent[0][3] == reply(403, "Forbidden", sl_tag(),
                               extra="X-A: 1\r\nX-B: 2\r\n")


# -- parameters ---------------------------------------------------------------

def test_pseudo_variable_code_and_reason():
    s = load('$var(code) = 486; sl_send_reply("$var(code)", "Busy $rm $rU");')
    _, sent = run(s)
    assert sent[0][3] == reply(486, "Busy INVITE bob", sl_tag())


def test_err_pvs_as_in_error_route():
    s = load('sl_send_reply("$err.rcode", "$err.rreason");')
    state.err.set_reply(400, "Bad header")
    _, sent = run(s)
    assert sent[0][3] == reply(400, "Bad header", sl_tag())


@pytest.mark.parametrize("value", ["99", "700", "abc", "4o4"])
def test_bad_runtime_code_returns_false(value):
    s = load('$var(c) = "%s";'
             'if (!sl_send_reply("$var(c)", "X")) { $var(r) = $rc; }' % value)
    _, sent = run(s)
    assert sent == [] and state.vars["r"] == -1


def test_ack_is_never_replied():
    ack = INVITE.replace(b"INVITE sip", b"ACK sip").replace(b"7 INVITE",
                                                            b"7 ACK")
    s = load('if (!sl_send_reply("404", "X")) { $var(r) = $rc; }')
    _, sent = run(s, ack)
    assert sent == [] and state.vars["r"] == -1
    assert stat("sent_replies") == 0


def test_send_failure_returns_false():
    s = load('if (!sl_send_reply("404", "X")) { $var(r) = $rc; }')
    msg = make_msg(INVITE)
    msg.rcv = None                      # nowhere to send to
    run_route(s, msg)
    assert state.vars["r"] == -1 and stat("sent_replies") == 0


FIXUP_CASES = [
    ('sl_send_reply("99", "x");', "invalid reply code '99'"),
    ('sl_send_reply("700", "x");', "1xx - 6xx only"),
    ('sl_send_reply("abc", "x");', "invalid reply code 'abc'"),
    ('sl_send_reply("404", "");', "empty parameter 2"),
    ('sl_send_reply("$nosuchpv", "x");', "nosuchpv"),
]


@pytest.mark.parametrize("call,message", FIXUP_CASES)
def test_fixup_errors_have_file_line_col(tmp_path, call, message):
    path = str(tmp_path / "sl.cfg")
    text = 'loadmodule "sl.so"\nroute {\n    setflag(1);\n    %s\n}\n' % call
    script = load_config(path, text=text, check=True)
    (err,) = script.errors
    assert (err.file, err.line, err.col) == (path, 4, 5)
    assert "sl_send_reply()" in err.message and message in err.message


def test_route_type_checks(tmp_path):
    path = str(tmp_path / "sl.cfg")
    text = ('loadmodule "sl.so"\nroute { exit; }\n'
            'failure_route[1] {\n  sl_reply_error();\n'
            '  sl_send_reply("500", "x");\n}\n'
            'error_route {\n  sl_send_reply("$err.rcode", "$err.rreason");\n}\n')
    script = load_config(path, text=text, check=True)
    msgs = [(e.line, e.col, e.message) for e in script.errors]
    assert [m[:2] for m in msgs] == [(4, 3), (5, 3)]
    assert "cannot be used in failure_route" in msgs[0][2]


# -- sl_reply_error -----------------------------------------------------------

def test_reply_error_maps_previous_forward_error():
    s = load('rewriteuri("tel:+12125551212");'
             'if (!forward()) { sl_reply_error(); }')
    _, sent = run(s)
    assert sent[0][3] == reply(476, "Unresolvable destination (476/SL)",
                               sl_tag())
    assert (stat("sent_err_replies"), stat("4xx_replies"),
            stat("sent_replies")) == (1, 1, 1)


def test_reply_error_after_success_is_unspecified_500():
    _, sent = run(load('setflag(1); sl_reply_error();'))
    assert sent[0][3] == reply(500, "Server error occurred (1/SL)", sl_tag())
    assert stat("5xx_replies") == 1 and stat("sent_err_replies") == 1


def test_reply_error_to_ack_fails_and_is_not_counted():
    ack = INVITE.replace(b"INVITE sip", b"ACK sip").replace(b"7 INVITE",
                                                            b"7 ACK")
    _, sent = run(load('sl_reply_error();'), ack)
    assert sent == [] and stat("sent_err_replies") == 0


# -- statistics ---------------------------------------------------------------

def test_reply_class_statistics():
    s = load('sl_send_reply("$var(c)", "R");')
    for code in (100, 180, 200, 301, 404, 407, 503, 606):
        state.vars["c"] = code
        run(s)
    counts = {n: stat(n) for n in sl_stats.REPLY_CLASS_STATS}
    assert counts == {"1xx_replies": 2, "2xx_replies": 1, "3xx_replies": 1,
                      "4xx_replies": 2, "5xx_replies": 1, "6xx_replies": 1}
    assert stat("sent_replies") == 8 and stat("sent_err_replies") == 0
    assert stat("received_ACKs") == 0


def test_enable_stats_0_counts_nothing():
    s = load('sl_send_reply("404", "R"); ',
             extra='modparam("sl", "enable_stats", 0)')
    run(s)
    assert stat("sent_replies") == 0 and stat("4xx_replies") == 0


# -- to-tag and ACK filter ------------------------------------------------------

def test_tag_uses_first_udp_socket():
    s = load('sl_send_reply("404", "R");',
             listen="listen=tcp:127.0.0.1:5070\nlisten=udp:127.0.0.1:5080")
    _, sent = run(s)
    assert b";tag=" + sl_tag(port=5080).encode() + b"\r\n" in sent[0][3]


def test_tag_fallback_without_sockets(monkeypatch):
    monkeypatch.setattr(forward, "_sockets", [])
    sl_funcs.sl_startup()
    msg = make_msg(INVITE)
    assert sl_funcs.sl_get_reply_totag(msg) == sl_tag("127.0.0.1", 5060)


def ack_for(to_tag, branch=b"z9hG4bKabc123"):
    return (b"ACK sip:bob@example.com SIP/2.0\r\n"
            b"Via: SIP/2.0/UDP 192.0.2.99:5062;branch=" + branch + b"\r\n"
            b"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
            b"To: <sip:bob@example.com>;tag=" + to_tag.encode() + b"\r\n"
            b"Call-ID: c1@example.com\r\nCSeq: 7 ACK\r\n"
            b"Content-Length: 0\r\n\r\n")


def test_ack_filter_absorbs_within_2s_then_passes(monkeypatch):
    monkeypatch.setattr(state, "clock", lambda: 1000.0)
    s = load('sl_send_reply("486", "Busy");')
    _, sent = run(s)
    tag = sl_tag()
    assert b";tag=" + tag.encode() in sent[0][3]
    ack = make_msg(ack_for(tag))
    assert sl_funcs.sl_filter_ACK(ack, now=1000.5) is False
    assert sl_funcs.sl_filter_ACK(ack, now=1001.99) is False
    assert stat("received_ACKs") == 2
    assert sl_funcs.sl_filter_ACK(ack, now=1002.0) is True
    assert sl_funcs.sl_filter_ACK(ack, now=1010.0) is True
    assert stat("received_ACKs") == 2


def test_ack_filter_uses_the_injected_clock(monkeypatch):
    now = [50.0]
    monkeypatch.setattr(state, "clock", lambda: now[0])
    run(load('sl_send_reply("404", "NF");'))
    ack = make_msg(ack_for(sl_tag()))
    now[0] = 51.0
    assert sl_funcs.sl_filter_ACK(ack) is False
    now[0] = 52.5
    assert sl_funcs.sl_filter_ACK(ack) is True


def test_ack_filter_passes_foreign_acks_and_other_methods(monkeypatch):
    monkeypatch.setattr(state, "clock", lambda: 10.0)
    run(load('sl_send_reply("404", "NF");'))
    tag = sl_tag()
    other_branch = make_msg(ack_for(tag, branch=b"z9hG4bKother"))
    other_tag = make_msg(ack_for("x" * len(tag)))
    no_tag = make_msg(ack_for(tag).replace(b";tag=" + tag.encode(), b""))
    assert sl_funcs.sl_filter_ACK(other_branch, now=10.5) is True
    assert sl_funcs.sl_filter_ACK(other_tag, now=10.5) is True
    assert sl_funcs.sl_filter_ACK(no_tag, now=10.5) is True
    assert sl_funcs.sl_filter_ACK(make_msg(INVITE), now=10.5) is True
    assert stat("received_ACKs") == 0


def test_ack_filter_inactive_before_any_reply():
    load('exit;')
    assert sl_funcs.sl_filter_ACK(make_msg(ack_for(sl_tag())), now=0.5)


# -- API, callbacks, Server header ---------------------------------------------

def test_api_reply_and_callbacks():
    load('exit;')
    slb = load_module_api("sl")
    seen = []
    assert slb.register_slcb(slb.SLCB_REPLY_OUT, lambda p: seen.append(
        (p.code, p.reason, p.dst, p.param)), "P") == 0
    msg = make_msg(INVITE, src_port=5071)
    with SendRecorder() as rec:
        assert slb.reply(msg, 401, "Unauthorized") == 1
    assert rec.sent == [(PROTO_UDP, "192.0.2.10", 5062,
                         reply(401, "Unauthorized", sl_tag()))]
    assert seen == [(401, "Unauthorized", (PROTO_UDP, "192.0.2.10", 5062),
                     "P")]
    assert stat("4xx_replies") == 1 and stat("sent_replies") == 1
    assert slb.get_reply_totag(msg) == sl_tag()


def test_api_reply_dlg_uses_given_tag():
    load('exit;')
    msg = make_msg(INVITE)
    with SendRecorder() as rec:
        assert load_module_api("sl").reply_dlg(msg, 200, "OK", "mytag") == 1
    assert rec.sent[0][3] == reply(200, "OK", "mytag", rr=True)


class _FakeScript:
    def __init__(self, **params):
        self.params = params


def test_server_header_follows_core_params(monkeypatch):
    s = load('sl_send_reply("404", "NF");')
    monkeypatch.setattr(cfgload, "current_script",
                        _FakeScript(server_signature=False), raising=False)
    _, sent = run(s)
    assert b"Server:" not in sent[0][3]
    monkeypatch.setattr(cfgload, "current_script",
                        _FakeScript(server_signature=True,
                                    server_header="Server: Test 1.0"),
                        raising=False)
    _, sent = run(s)
    assert b"\r\nServer: Test 1.0\r\nContent-Length: 0\r\n" in sent[0][3]


def test_reply_counters_follow_a_registry_reset():
    """sl caches its reply counters; a new registry (reset, module loaded
    again) must get the new ones, not the forgotten objects."""
    s = load('sl_send_reply("404", "Not here");')
    run(s)
    assert stat("4xx_replies") == 1
    statistics.reset_registry()
    s = load('sl_send_reply("404", "Not here");')
    run(s)
    run(s)
    assert stat("4xx_replies") == 2 and stat("sent_replies") == 2
