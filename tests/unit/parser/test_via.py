"""Via header values (RFC 3261 20.42, RFC 4475 3.1.1.1, 3.1.1.10)."""
import pytest

from openser_py.parser import SipParseError
from openser_py.parser.parse_via import parse_via


def one(text):
    vias = parse_via(text)
    assert len(vias) == 1
    return vias[0]


def test_common_via():
    v = one("SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776;rport")
    assert (v.proto_name, v.version, v.transport) == ("SIP", "2.0", "UDP")
    assert (v.host, v.port, v.port_str) == ("pc33.atlanta.com", 5066, "5066")
    assert v.branch == "z9hG4bK776"
    assert v.rport == "" and v.received is None
    assert v.params == [("branch", "z9hG4bK776"), ("rport", None)]
    assert v.sent_by == "pc33.atlanta.com:5066"


def test_no_port_no_params():
    v = one("SIP/2.0/UDP iftgw.example.com")      # RFC 4475 3.4.1 inv2543
    assert v.port == 0 and v.port_str == "" and v.branch is None
    assert v.params == [] and v.params_end == len(
        "SIP/2.0/UDP iftgw.example.com")


def test_all_known_params():
    v = one("SIP/2.0/TCP h;received=192.0.2.1;rport=5070;maddr=224.2.0.1;"
            "ttl=16;i=42;branch=z9hG4bKx")
    assert v.received == "192.0.2.1" and v.rport == "5070"
    assert v.maddr == "224.2.0.1" and v.ttl == "16" and v.i == "42"
    assert v.branch == "z9hG4bKx"


@pytest.mark.parametrize("transport", ["UDP", "TCP", "TLS", "SCTP",
                                       "UNKNOWN", "ws", "Tls"])
def test_transports(transport):
    v = one("SIP/2.0/%s t.example.com;branch=z9hG4bKa" % transport)
    assert v.transport == transport.upper()


def test_ipv6_sent_by_and_received():
    v = one("SIP/2.0/UDP [2001:db8::9:1]:5060;received=2001:db8::9:255;"
            "branch=z9hG4bKas3-111")
    assert v.host == "[2001:db8::9:1]" and v.port == 5060
    assert v.received == "2001:db8::9:255"


def test_tortuous_whitespace():
    # RFC 4475 3.1.1.1 wsinv (after unfolding)
    text = ("SIP  / 2.0  / TCP     spindle.example.com   ;   branch  =   "
            "z9hG4bK9ikj8  ,  SIP  /    2.0   / UDP  192.168.255.111   ; "
            "branch=  z9hG4bK30239")
    a, b = parse_via(text)
    assert (a.transport, a.host, a.branch) == ("TCP", "spindle.example.com",
                                               "z9hG4bK9ikj8")
    assert (b.transport, b.host, b.branch) == ("UDP", "192.168.255.111",
                                               "z9hG4bK30239")
    assert text[a.start:a.end].endswith("z9hG4bK9ikj8")
    assert text[b.start:b.end].startswith("SIP  /")
    assert text[b.start:b.end].endswith("z9hG4bK30239")


def test_multiple_and_offsets():
    text = ("SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "
            "SIP/2.0/TCP b.example.com:5061;branch=z9hG4bK2,SIP/2.0/TLS c")
    vias = parse_via(text)
    assert [v.host for v in vias] == ["a.example.com", "b.example.com", "c"]
    for v in vias:
        assert text[v.start:v.end].startswith("SIP/2.0/")
        assert text[v.params_end:v.params_end + 1] in (",", "")


def test_comment_and_quoted_param():
    v = one('SIP/2.0/UDP h;branch=z9hG4bKq;x="a;b,c" (a (nested) comment)')
    assert v.get_param("X") == "a;b,c"
    assert v.get_param("absent", "dflt") == "dflt"
    assert v.comment == "a (nested) comment"
    assert v.branch == "z9hG4bKq"


def test_lowercase_protocol_and_param_case():
    v = one("sip/2.0/udp h;BRANCH=z9hG4bKc")
    assert v.proto_name == "SIP" and v.transport == "UDP"
    assert v.branch == "z9hG4bKc"
    v = one("SIP/2.0/UDP h;rport;Branch=z9hG4bKd")
    assert v.branch == "z9hG4bKd"


@pytest.mark.parametrize("bad", [
    "", "SIP/2.0", "SIP/2.0/UDP", "SIP/2.0/UDP ", "SIP/2.0 UDP h",
    "SIP/2.0/UDP 192.0.2.15;;,;,,",              # RFC 4475 3.1.2.1
    "SIP/2.0/UDP h;", "SIP/2.0/UDP h,", "SIP/2.0/UDP h;branch",
    "SIP/2.0/UDP h;branch=", "SIP/2.0/UDP h:99999", "SIP/2.0/UDP h:",
    "SIP/2.0/UDP h garbage", "SIP/2.0/UDP h (unterminated",
    "SIP/2.0/UDP [::1", 'SIP/2.0/UDP h;x="open',
])
def test_bad_vias(bad):
    with pytest.raises(SipParseError):
        parse_via(bad)


def test_via_limits():
    with pytest.raises(SipParseError):
        parse_via(", ".join(["SIP/2.0/UDP h"] * 70))
    with pytest.raises(SipParseError):
        parse_via("SIP/2.0/UDP h" + ";p" * 200)
