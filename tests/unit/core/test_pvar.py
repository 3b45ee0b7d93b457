"""Pseudo-variables read from real parsed messages, writes, formats."""
import os
import time

import pytest

from openser_py.core import dset, pv_core, pvar, usr_avp
from openser_py.core.exports import PvExport
from openser_py.core.ip_addr import ReceiveInfo, SocketInfo, PROTO_TCP
from openser_py.core.pv_msg import AUTHORIZED_CRED_KEY
from openser_py.core.pvar import (
    COLONEQ, IntStr, PvError, parse_pv_format, parse_pv_spec, pv_int)
from openser_py.core.script_state import state
from openser_py.parser.msg import parse_msg

INVITE = (
    b"INVITE sip:bob@example.com:5070;transport=tcp SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n"
    b"v: SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK2\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@example.com>\r\n"
    b"From: \"Alice A\" <sip:alice@atlanta.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.com>;expires=60\r\n"
    b"User-Agent: X-Lite release 1105x\r\n"
    b"Remote-Party-ID: \"Al\" <sip:+1555@atlanta.com>;party=calling\r\n"
    b"Diversion: <sip:div@example.net>;reason=unconditional\r\n"
    b"P-Asserted-Identity: <sip:pai@atlanta.com>\r\n"
    b"P-Preferred-Identity: \"Pref\" <sip:ppi@pref.example>\r\n"
    b"Proxy-Authorization: Digest username=\"alice@atlanta.com\", "
    b"realm=\"atlanta.com\", nonce=\"n\", uri=\"sip:bob@example.com\", "
    b"response=\"0123456789abcdef0123456789abcdef\"\r\n"
    b"X-Foo: one\r\nx-foo: two\r\nX-FOO: three\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n\r\nv=0\n")

REFER = (
    b"REFER sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK3\r\n"
    b"To: <sip:bob@example.com>\r\nFrom: sip:carol@c.example;tag=9\r\n"
    b"Call-ID: r1\r\nCSeq: 7 REFER\r\n"
    b"r: <sip:target@t.example?Replaces=x>\r\n"
    b"Authorization: Digest username=\"carol\", realm=\"c.example\", "
    b"nonce=\"n\", uri=\"sip:bob@example.com\", response=\"r\"\r\n"
    b"\r\n")

REPLY = (
    b"SIP/2.0 486 Busy Here\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
    b"To: <sip:bob@example.com>;tag=xyz\r\n"
    b"From: <sip:alice@atlanta.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    b"CSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture(autouse=True)
def _clean():
    usr_avp.reset_avps()
    dset.clear_branches()
    state.reset()
    yield
    usr_avp.reset_avps()
    dset.clear_branches()
    state.reset()
    state.clock = time.time


def mk(buf=INVITE, proto=1):
    msg = parse_msg(buf)
    msg.rcv = ReceiveInfo("10.0.0.1", 5062, "192.168.1.1", 5060, proto)
    msg.id = 17
    return msg


def get(text, msg):
    return parse_pv_spec(text).get(msg)


# -- reads on a request -----------------------------------------------------

REQUEST_VALUES = {
    "$ru": "sip:bob@example.com:5070;transport=tcp",
    "$ruri": "sip:bob@example.com:5070;transport=tcp",
    "$rU": "bob", "$ruri.user": "bob",
    "$rd": "example.com", "$ruri.domain": "example.com",
    "$rp": "5070", "$rP": "tcp",
    "$ou": "sip:bob@example.com:5070;transport=tcp",
    "$ouri": "sip:bob@example.com:5070;transport=tcp",
    "$oU": "bob", "$od": "example.com", "$op": "5070", "$oP": "tcp",
    "$fu": "sip:alice@atlanta.com", "$from": "sip:alice@atlanta.com",
    "$fU": "alice", "$from.user": "alice",
    "$fd": "atlanta.com", "$from.domain": "atlanta.com",
    "$fn": "\"Alice A\"", "$ft": "1928301774",
    "$tu": "sip:bob@example.com", "$to": "sip:bob@example.com",
    "$tU": "bob", "$to.user": "bob", "$td": "example.com",
    "$to.domain": "example.com", "$tn": "Bob",
    "$ci": "a84b4c76e66710@pc33.atlanta.com", "$cs": "314159",
    "$rm": "INVITE", "$ct": "<sip:alice@pc33.atlanta.com>;expires=60",
    "$cT": "application/sdp", "$cl": "4", "$ua": "X-Lite release 1105x",
    "$re": "sip:+1555@atlanta.com", "$di": "sip:div@example.net",
    "$ai": "sip:pai@atlanta.com", "$pu": "sip:ppi@pref.example",
    "$pU": "ppi", "$pd": "pref.example", "$pn": "\"Pref\"",
    "$adu": "sip:bob@example.com", "$ar": "atlanta.com", "$au": "alice",
    "$aU": "alice@atlanta.com", "$Au": "alice@atlanta.com",
    "$si": "10.0.0.1", "$src_ip": "10.0.0.1", "$sp": "5062",
    "$Ri": "192.168.1.1", "$Rp": "5060", "$pr": "UDP", "$proto": "UDP",
    "$rb": "v=0\n", "$hdr(User-Agent)": "X-Lite release 1105x",
    "$hdr(Via)": "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds",
    "$hdr(x-foo)": "one",
}


@pytest.mark.parametrize("name", sorted(REQUEST_VALUES))
def test_request_reads(name):
    assert get(name, mk()) == REQUEST_VALUES[name]


def test_int_typed_and_dual_values():
    msg = mk()
    rp = get("$rp", msg)
    assert isinstance(rp, IntStr) and rp.ri == 5070
    assert pv_int(get("$rP", msg)) == 2
    assert pv_int(get("$rm", msg)) == 1                 # METHOD_INVITE
    assert pv_int(get("$cl", msg)) == 4
    assert pv_int(get("$sp", msg)) == 5062
    assert pv_int(get("$pr", msg)) == 1
    assert get("$ml", msg) == str(len(INVITE)) and \
        get("$ml", msg).ri == len(INVITE)
    assert get("$mb", msg) == INVITE.decode("latin-1")
    assert get("$mi", msg) == 17
    assert get("$rs", msg) is None and get("$rr", msg) is None
    assert get("$pp", msg) == os.getpid()
    assert pv_int("x") is None and pv_int(None) is None


def test_defaults_when_uri_has_no_port_or_transport():
    msg = mk(REFER)
    assert get("$rp", msg) == "5060" and get("$rp", msg).ri == 5060
    assert get("$rP", msg) == "UDP" and get("$rP", msg).ri == 1
    assert get("$fn", msg) is None and get("$tn", msg) is None
    assert get("$tt", msg) is None


def test_refer_and_authorization():
    msg = mk(REFER)
    assert get("$rt", msg) == "sip:target@t.example?Replaces=x"
    assert get("$au", msg) == "carol" and get("$aU", msg) == "carol"
    assert get("$ar", msg) == "c.example"
    assert get("$Au", msg) == "carol@c.example"        # From user@host
    assert get("$re", msg) is None and get("$di", msg) is None
    assert get("$ai", msg) is None and get("$pu", msg) is None
    assert get("$pn", msg) is None and get("$ua", msg) is None
    assert get("$ct", msg) is None and get("$cT", msg) is None
    assert get("$cl", msg) is None and get("$rb", msg) is None


def test_Au_uses_authorized_credentials():
    msg = mk()
    msg.ctx[AUTHORIZED_CRED_KEY] = msg.proxy_authorization[0]
    assert get("$Au", msg) == "alice@atlanta.com"


def test_no_receive_info_gives_null():
    msg = parse_msg(INVITE)
    for name in ("$si", "$sp", "$Ri", "$Rp", "$pr"):
        assert get(name, msg) is None


def test_received_on_socket_and_tcp():
    msg = mk(proto=PROTO_TCP)
    msg.rcv.sock = SocketInfo(PROTO_TCP, "10.1.1.1", 5080)
    assert get("$Ri", msg) == "10.1.1.1"
    assert get("$Rp", msg).ri == 5080
    assert get("$pr", msg) == "TCP"
    msg.rcv.proto = "tls"
    assert get("$pr", msg) == "TLS" and get("$pr", msg).ri == 3


# -- reads on a reply -------------------------------------------------------

def test_reply_reads():
    msg = mk(REPLY)
    assert get("$rs", msg) == 486 and type(get("$rs", msg)) is int
    assert get("$rr", msg) == "Busy Here"
    assert get("$rm", msg) == "INVITE" and get("$rm", msg).ri == 1
    assert get("$tt", msg) == "xyz"
    assert get("$ci", msg) == "a84b4c76e66710@pc33.atlanta.com"
    assert get("$cs", msg) == "314159"
    for name in ("$ru", "$rU", "$rd", "$rp", "$ou", "$oU", "$br", "$bR",
                 "$ds", "$ua", "$adu"):
        assert get(name, msg) is None, name
    assert get("$rb", msg) == ""                # Content-Length: 0
    assert get("$cl", msg) == "0"


# -- $hdr -------------------------------------------------------------------

def test_hdr_indexes_and_compact_forms():
    msg = mk()
    assert get("$(hdr(X-Foo)[0])", msg) == "one"
    assert get("$(hdr(X-Foo)[2])", msg) == "three"
    assert get("$(hdr(X-Foo)[-1])", msg) == "three"
    assert get("$(hdr(X-Foo)[-3])", msg) == "one"
    assert get("$(hdr(X-Foo)[3])", msg) is None
    assert get("$(hdr(X-Foo)[-4])", msg) is None
    assert get("$(hdr(X-Foo)[*])", msg) == "one, two, three"
    assert get("$hdr(X-Foo)[1]", msg) == "two"            # shorthand
    assert get("$(hdr(via)[-1])", msg) == \
        "SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK2"           # 'v:' is Via
    assert get("$(hdr(v)[*])", msg).count("SIP/2.0") == 2
    assert get("$hdr(X-Missing)", msg) is None
    state.vars["i"] = 1
    state.vars["h"] = "x-foo"
    assert get("$(hdr(X-Foo)[$var(i)])", msg) == "two"
    assert get("$hdr($var(h))", msg) == "one"
    state.vars["i"] = "one"
    assert get("$(hdr(X-Foo)[$var(i)])", msg) is None


# -- writes -----------------------------------------------------------------

def test_write_ruri_parts():
    msg = mk()
    parse_pv_spec("$rU").set(msg, "carol")
    assert msg.new_uri == "sip:carol@example.com:5070;transport=tcp"
    parse_pv_spec("$rd").set(msg, "x.org")
    assert get("$ru", msg) == "sip:carol@x.org:5070;transport=tcp"
    assert get("$rd", msg) == "x.org" and get("$rU", msg) == "carol"
    assert get("$ou", msg) == "sip:bob@example.com:5070;transport=tcp"
    assert get("$od", msg) == "example.com"
    parse_pv_spec("$rU").set(msg, None)
    assert msg.new_uri == "sip:x.org:5070;transport=tcp"
    assert get("$rU", msg) is None
    parse_pv_spec("$ru").set(msg, "sips:dave@d.example")
    assert get("$ru", msg) == "sips:dave@d.example"
    parse_pv_spec("$rU").set(msg, "eve")
    assert msg.new_uri == "sips:eve@d.example"   # sips kept (1.3.1 wrote sip:)


def test_write_errors():
    msg = mk()
    for text, value in (("$ru", 5), ("$ru", None), ("$rd", None),
                        ("$rU", 7), ("$du", 1), ("$br", None), ("$br", "")):
        with pytest.raises(PvError):
            parse_pv_spec(text).set(msg, value)
    for text in ("$rp", "$fu", "$ci", "$hdr(Via)", "$rm", "$(ru{uri.user})",
                 "$ou", "$Ts", "$mf"):
        spec = parse_pv_spec(text)
        assert not spec.writable
        with pytest.raises(PvError, match="read-only"):
            spec.set(msg, "x")
    msg.new_uri = "not a uri"
    with pytest.raises(PvError):
        parse_pv_spec("$rU").set(msg, "x")
    assert get("$ru", msg) is None          # unparsable R-URI reads null


def test_write_du():
    msg = mk()
    spec = parse_pv_spec("$du")
    assert spec.get(msg) is None and get("$dd", msg) is None
    spec.set(msg, "sip:proxy.example:5090;transport=tls")
    assert msg.dst_uri == "sip:proxy.example:5090;transport=tls"
    assert get("$duri", msg) == msg.dst_uri
    assert get("$dd", msg) == "proxy.example"
    assert get("$dp", msg).ri == 5090
    assert get("$dP", msg) == "tls" and get("$dP", msg).ri == 3
    spec.set(msg, "sip:p2")
    assert get("$dp", msg) == "5060" and get("$dP", msg) == "UDP"
    spec.set(msg, None)
    assert msg.dst_uri is None and spec.get(msg) is None
    msg.dst_uri = "garbage"
    assert get("$dd", msg) is None


def test_branches_and_dset_pvs():
    msg = mk()
    assert get("$br", msg) is None and get("$bR", msg) is None
    assert get("$ds", msg) is None
    parse_pv_spec("$br").set(msg, "sip:b1@x")
    dset.append_branch(msg, "sip:b2@x", q=500)
    assert get("$br", msg) == "sip:b1@x"
    assert get("$bR", msg) == "sip:b1@x, <sip:b2@x>;q=0.5"
    assert get("$ds", msg) == "Contact: sip:b1@x, <sip:b2@x>;q=0.5"
    for i in range(9):
        dset.append_branch(msg, "sip:f%d@x" % i)
    with pytest.raises(PvError):
        parse_pv_spec("$br").set(msg, "sip:overflow@x")


def test_force_socket():
    msg = mk()
    spec = parse_pv_spec("$fs")
    assert spec.get(msg) is None
    sock = SocketInfo(PROTO_TCP, "10.0.0.9", 5061)
    seen = []

    def lookup(host, port, proto):
        seen.append((host, port, proto))
        return sock if host == "10.0.0.9" else None
    pv_core.set_socket_lookup(lookup)
    try:
        spec.set(msg, "tcp:10.0.0.9:5061")
        assert spec.get(msg) == "tcp:10.0.0.9:5061"
        spec.set(msg, "10.9.9.9")                   # no match: unchanged
        assert msg.force_send_socket is sock
        spec.set(msg, "udp:[::1]:5060")
        assert seen == [("10.0.0.9", 5061, 2), ("10.9.9.9", 0, 0),
                        ("::1", 5060, 1)]
        with pytest.raises(PvError):
            spec.set(msg, "tcp:host:port")
        spec.set(msg, None)
        assert msg.force_send_socket is None
    finally:
        pv_core.set_socket_lookup(None)


def test_avp_assignments():
    msg = mk()
    spec = parse_pv_spec("$avp(s:x)")
    assert spec.get(msg) is None
    spec.set(msg, "a")
    spec.set(msg, 2)
    spec.set(msg, IntStr("3", 3))          # str-typed: stored as str
    assert spec.get(msg) == "3" and type(spec.get(msg)) is str
    assert get("$(avp(s:x)[1])", msg) == 2
    assert get("$(avp(s:x)[-1])", msg) == "a"
    assert get("$avp(s:x)[2]", msg) == "a"
    assert get("$(avp(s:x)[5])", msg) is None
    assert get("$(avp(s:x)[*])", msg) == "3, 2, a"
    assert get("$avp(S:X)", msg) == "3"            # names case-insensitive
    spec.set(msg, None)                            # = null: newest only
    assert get("$(avp(s:x)[*])", msg) == "2, a"
    spec.set(msg, "only", COLONEQ)                 # := replaces all
    assert get("$(avp(s:x)[*])", msg) == "only"
    spec.set(msg, None, COLONEQ)                   # := null: delete all
    assert spec.get(msg) is None
    with pytest.raises(PvError):
        spec.set(msg, 1.5)


def test_avp_int_names_flags_and_aliases():
    msg = mk()
    usr_avp.add_avp_galias_str("caller=i:12")
    try:
        parse_pv_spec("$avp(caller)").set(msg, 99)
        assert get("$avp(i:12)", msg) == 99 and type(get("$avp(i:12)",
                                                         msg)) is int
        parse_pv_spec("$avp(i3:12)").set(msg, "flagged")
        assert get("$avp(i3:12)", msg) == "flagged"
        assert get("$avp(i:12)", msg) == "flagged"
        assert get("$avp(i4:12)", msg) is None
        with pytest.raises(PvError):
            parse_pv_spec("$avp(nosuchalias)")
    finally:
        usr_avp.clear_avp_galiases()


def test_avp_dynamic_name_and_list_switch():
    msg = mk()
    state.vars["n"] = "dyn"
    parse_pv_spec("$avp($var(n))").set(msg, "v")
    assert usr_avp.get_avp_list().search("dyn") == "v"
    state.vars["n"] = 7
    parse_pv_spec("$avp($var(n))").set(msg, "seven")
    assert get("$avp(i:7)", msg) == "seven"
    state.vars["n"] = ""
    assert get("$avp($var(n))", msg) is None
    with pytest.raises(PvError):
        parse_pv_spec("$avp($var(n))").set(msg, 1)
    other = usr_avp.AvpList()
    old = usr_avp.set_avp_list(other)
    assert get("$avp(s:dyn)", msg) is None
    usr_avp.set_avp_list(old)
    assert get("$avp(s:dyn)", msg) == "v"


def test_var_semantics():
    msg = mk()
    spec = parse_pv_spec("$var(i)")
    assert spec.get(msg) == 0                      # never set: int 0
    spec.set(msg, "text")
    assert spec.get(msg) == "text"
    spec.set(msg, IntStr("5", 5))
    assert type(spec.get(msg)) is str
    spec.set(msg, 5)
    assert spec.get(msg) == 5
    spec.set(msg, None)
    assert spec.get(msg) == 0
    spec.set(msg, 41)
    assert parse_pv_spec("$var(i)").get(mk(REPLY)) == 41   # persists
    assert get("$var(I)", msg) == 0                # names case-sensitive
    with pytest.raises(PvError):
        spec.set(msg, [1])


# -- state-based PVs --------------------------------------------------------

def test_time_pvs_cached_per_message():
    clock = [1000000000.7]
    state.clock = lambda: clock[0]
    msg = mk()
    assert get("$Ts", msg) == 1000000000
    clock[0] += 10
    assert get("$Ts", msg) == 1000000000             # same message
    assert get("$Tf", msg) == time.ctime(1000000000)
    assert get("$Ts", mk()) == 1000000010            # new message


def test_retcode_flags_and_errinfo():
    msg = mk()
    state.retcode = -2
    assert get("$rc", msg) == -2 and get("$retcode", msg) == -2
    msg.flags = 0x11
    assert get("$mf", msg) == "17" and get("$mf", msg).ri == 17
    assert get("$mF", msg) == "00000011"
    msg.ctx["bflags0"] = 255
    assert get("$bf", msg) == "255" and get("$bF", msg) == "000000ff"
    state.sflags = 1 << 31
    assert get("$sf", msg).ri == 1 << 31 and get("$sF", msg) == "80000000"
    assert get("$err.class", msg) == 0 and get("$err.info", msg) is None
    state.err.set_info(1, 1, "error parsing Via")
    state.err.set_reply(400, "bad Via header")
    assert get("$err.class", msg) == 1 and get("$err.level", msg) == 1
    assert get("$err.info", msg) == "error parsing Via"
    assert get("$err.rcode", msg) == 400
    assert get("$err.rreason", msg) == "bad Via header"


# -- parsing errors ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "$nope", "$rz", "$xavp(x)", "$", "$(", "$(ru", "$ru(x)", "$avp",
    "$hdr", "$var", "$avp()", "$(avp(s:x)[])", "$(avp(s:x)[a])",
    "$(var(x)[1])", "$(ru[1])", "$(hdr(Via)", "$(ru)x", "ru", "",
    "$avp(s:)", "$avp(i:0)", "$ru x", "$(hdr(X)[1]x)", "$avp($nope)",
])
def test_parse_errors(text):
    with pytest.raises(PvError):
        parse_pv_spec(text)


def test_unknown_name_message():
    with pytest.raises(PvError, match=r"unknown pseudo-variable \$foo"):
        parse_pv_spec("$foo")


def test_spec_forms_and_attributes():
    spec = parse_pv_spec("$(avp(s:x)[-2]{s.len})")
    assert (spec.name, spec.inner, spec.index.kind, spec.index.value) == \
        ("avp", "s:x", "int", -2)
    assert len(spec.trans) == 1 and not spec.writable
    assert parse_pv_spec("$(avp(s:x)[-2])").writable
    assert parse_pv_spec("$(ru)").get(mk()) == REQUEST_VALUES["$ru"]
    assert parse_pv_spec("$(fu{uri.user})").get(mk()) == "alice"
    assert parse_pv_spec("$$").get(mk()) == "$"
    assert parse_pv_spec("$($)").get(mk()) == "$"
    with pytest.raises(PvError):                 # '.' is a name char
        pvar.parse_pv_spec_at("x $rU.y", 2)
    spec, end = pvar.parse_pv_spec_at("$(rU).y", 0)
    assert (spec.name, end) == ("rU", 5)
    assert repr(parse_pv_spec("$ci")) == "PvSpec('$ci')"
    assert parse_pv_spec("$ci").get_str(mk()) == REQUEST_VALUES["$ci"]
    assert parse_pv_spec("$rs").get_int(mk(REPLY)) == 486


# -- formats ----------------------------------------------------------------

def test_formats():
    msg = mk()
    fmt = parse_pv_format("$rm from $fu to $(ru{uri.user}) [$hdr(X-No)]")
    assert not fmt.is_static and len(fmt.specs) == 3 + 1
    assert fmt.format(msg) == ("INVITE from sip:alice@atlanta.com to bob "
                               "[<null>]")
    static = parse_pv_format("no vars, 5$$ only")
    assert static.is_static and static.text == "no vars, 5$ only"
    assert static.format(msg) == "no vars, 5$ only"
    assert parse_pv_format("").format(msg) == ""
    assert parse_pv_format("$rs").format(mk(REPLY)) == "486"
    # in a format $avp(s:x)[1] is the AVP followed by the text "[1]"
    usr_avp.add_avp("x", "v")
    assert parse_pv_format("$avp(s:x)[1]").format(msg) == "v[1]"
    assert parse_pv_format("$(rU)@$(rd)").format(msg) == "bob@example.com"


@pytest.mark.parametrize("text", ["cost 5$", "a $ b", "$nope here",
                                  "$(ru{s.nope})"])
def test_format_errors(text):
    with pytest.raises(PvError):
        parse_pv_format(text)


# -- registry ---------------------------------------------------------------

def test_core_table_complete():
    names = set(pvar.pv_names())
    for name in ("ru", "ruri", "rU", "rd", "rp", "rP", "ou", "oU", "od",
                 "op", "oP", "du", "duri", "dd", "dp", "dP", "br", "bR",
                 "ds", "fu", "fU", "fd", "fn", "ft", "tu", "tU", "td", "tn",
                 "tt", "ci", "cs", "rm", "rs", "rr", "ct", "cT", "cl", "ua",
                 "re", "rt", "di", "ai", "pu", "pU", "pd", "pn", "adu", "ar",
                 "au", "aU", "Au", "si", "sp", "Ri", "Rp", "pr", "proto",
                 "fs", "mb", "ml", "rb", "mi", "mf", "mF", "bf", "bF", "sf",
                 "sF", "pp", "rc", "retcode", "Ts", "Tf", "hdr", "avp", "var",
                 "err.class", "err.level", "err.info", "err.rcode",
                 "err.rreason", "src_ip", "from", "to"):
        assert name in names, name


def test_register_module_pvs():
    store = {}

    def getter(msg, param):
        return store.get(param, param)

    def setter(msg, param, value, op):
        store[param] = value

    def parse_name(text):
        if text == "bad":
            raise ValueError("no")
        return text.upper()
    pvar.register_pv_exports([
        PvExport("T_test_idx", lambda msg, param: 3, doc="x"),
        PvExport("C_test", getter, setter, parse_name)])
    try:
        msg = mk()
        assert get("$T_test_idx", msg) == 3
        spec = parse_pv_spec("$C_test(rb)")
        assert spec.get(msg) == "RB"
        spec.set(msg, "val")
        assert spec.get(msg) == "val"
        assert parse_pv_format("<$C_test(rb)>").format(msg) == "<val>"
        with pytest.raises(PvError):
            parse_pv_spec("$C_test(bad)")
        with pytest.raises(PvError):
            parse_pv_spec("$C_test")
        with pytest.raises(PvError):
            parse_pv_spec("$T_test_idx").set(msg, 1)
        with pytest.raises(PvError):
            pvar.register_pv("T_test_idx", getter, owner="other")  # taken
        with pytest.raises(PvError):
            pvar.register_pv("ru", getter)              # core name
        with pytest.raises(PvError):
            pvar.register_pv("bad name", getter)
        pvar.unregister_pv("ru")                         # core: kept
        assert "ru" in pvar.pv_names()
    finally:
        pvar.unregister_pv("T_test_idx")
        pvar.unregister_pv("C_test")
    with pytest.raises(PvError):
        parse_pv_spec("$T_test_idx")


def test_get_is_a_direct_closure():
    spec = parse_pv_spec("$ci")
    assert spec.get is spec.raw_get                  # no wrapper at all
    assert spec.get.__name__ == "_get_ci"
