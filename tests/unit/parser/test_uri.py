"""Unit tests for openser_py.parser.parse_uri (sip, sips and tel URIs)."""
import random
import time

import pytest

import openser_py.parser.parse_uri as parse_uri_mod
from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_URI
from openser_py.parser.parse_uri import SipUri, parse_uri, unescape, uri_equal

INTMETH_USER = "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
INTMETH_PASS = "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"


def parts(uri):
    """The main components of a parsed URI as a tuple."""
    return (uri.scheme, uri.user, uri.passwd, uri.host, uri.port,
            uri.port_no, uri.params, uri.headers)


# -- components ---------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("sip:alice@atlanta.com",
     ("sip", "alice", "", "atlanta.com", "", 0, "", "")),
    ("sip:atlanta.com", ("sip", "", "", "atlanta.com", "", 0, "", "")),
    ("sips:bob@biloxi.com:5061",
     ("sips", "bob", "", "biloxi.com", "5061", 5061, "", "")),
    ("sip:alice:secretword@atlanta.com;transport=tcp",
     ("sip", "alice", "secretword", "atlanta.com", "", 0,
      "transport=tcp", "")),
    ("sip:+1-212-555-1212:1234@gateway.com;user=phone",
     ("sip", "+1-212-555-1212", "1234", "gateway.com", "", 0,
      "user=phone", "")),
    ("sip:alice;day=tuesday@atlanta.com",
     ("sip", "alice;day=tuesday", "", "atlanta.com", "", 0, "", "")),
    ("sip:user;par=u%40example.net@example.com",
     ("sip", "user;par=u%40example.net", "", "example.com", "", 0, "", "")),
    ("sip:%s:%s@example.com" % (INTMETH_USER, INTMETH_PASS),
     ("sip", INTMETH_USER, INTMETH_PASS, "example.com", "", 0, "", "")),
    ("sip:alice@192.0.2.4", ("sip", "alice", "", "192.0.2.4", "", 0, "", "")),
    ("sip:192.0.2.4:0", ("sip", "", "", "192.0.2.4", "0", 0, "", "")),
    ("sip:h:65535", ("sip", "", "", "h", "65535", 65535, "", "")),
    ("sip:[2001:db8::10]", ("sip", "", "", "[2001:db8::10]", "", 0, "", "")),
    ("sip:bob@[2001:db8::10]:5070;lr",
     ("sip", "bob", "", "[2001:db8::10]", "5070", 5070, "lr", "")),
    ("sip:[::ffff:192.0.2.1]:5060",
     ("sip", "", "", "[::ffff:192.0.2.1]", "5060", 5060, "", "")),
    ("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com",
     ("sip", "", "", "atlanta.com", "", 0, "method=REGISTER",
      "to=alice%40atlanta.com")),
    ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
     ("sip", "alice", "", "atlanta.com", "", 0, "",
      "subject=project%20x&priority=urgent")),
    ("sip:user@example.com?Route=%3Csip:example.com%3E",
     ("sip", "user", "", "example.com", "", 0, "",
      "Route=%3Csip:example.com%3E")),
    ("sip:example.com.", ("sip", "", "", "example.com.", "", 0, "", "")),
    ("sip:_sip._udp.example.com",
     ("sip", "", "", "_sip._udp.example.com", "", 0, "", "")),
    ("sip:services.example.com;lr;unknownwith=value;unknown-no-value",
     ("sip", "", "", "services.example.com", "", 0,
      "lr;unknownwith=value;unknown-no-value", "")),
    ("sip:host;;a=1;", ("sip", "", "", "host", "", 0, ";a=1;", "")),
])
def test_components(text, expected):
    uri = parse_uri(text)
    assert parts(uri) == expected
    assert uri.text == text


@pytest.mark.parametrize("text, scheme", [
    ("SIP:alice@atlanta.com", "sip"), ("Sip:alice@atlanta.com", "sip"),
    ("SIPS:alice@atlanta.com", "sips"), ("TEL:+1234", "tel"),
    ("tels:+1234", "tels"),
])
def test_scheme_is_case_insensitive(text, scheme):
    uri = parse_uri(text)
    assert uri.scheme == scheme
    assert str(uri) == scheme + text[text.index(":"):]


def test_host_case_is_kept():
    assert parse_uri("sip:Bob@BiLoXi.COM").host == "BiLoXi.COM"


# -- parameters ---------------------------------------------------------------

def test_param_list_and_shortcuts():
    uri = parse_uri("sip:bob@biloxi.com;transport=TCP;ttl=15;user=phone;"
                    "maddr=239.255.255.1;method=INVITE;lr;r2=on;x=y;novalue")
    assert uri.param_list == [
        ("transport", "TCP"), ("ttl", "15"), ("user", "phone"),
        ("maddr", "239.255.255.1"), ("method", "INVITE"), ("lr", None),
        ("r2", "on"), ("x", "y"), ("novalue", None)]
    assert uri.transport == "TCP"
    assert uri.ttl == "15"
    assert uri.user_param == "phone"
    assert uri.maddr == "239.255.255.1"
    assert uri.method == "INVITE"
    assert uri.lr == ""
    assert uri.r2 == "on"
    assert uri.get_param("X") == "y"
    assert uri.get_param("novalue") == ""
    assert uri.get_param("missing") is None
    assert uri.get_param("missing", "dflt") == "dflt"
    assert uri.has_param("NOVALUE") and not uri.has_param("nope")


def test_shortcuts_absent():
    uri = parse_uri("sip:bob@biloxi.com")
    assert (uri.transport, uri.ttl, uri.user_param, uri.maddr, uri.method,
            uri.lr, uri.r2) == (None,) * 7
    assert uri.param_list == []


def test_shortcut_names_are_case_insensitive_first_wins():
    uri = parse_uri("sip:h;Transport=udp;TRANSPORT=tcp;LR")
    assert uri.transport == "udp"
    assert uri.lr == ""


def test_params_follow_reassignment():
    uri = parse_uri("sip:h;transport=udp")
    assert uri.transport == "udp"
    uri.params = "lr;transport=tls"
    assert uri.transport == "tls"
    assert uri.lr == ""
    assert str(uri) == "sip:h;lr;transport=tls"


def test_user_params_are_not_uri_params():
    uri = parse_uri("sip:alice;transport=tcp@atlanta.com")
    assert uri.user == "alice;transport=tcp"
    assert uri.transport is None


def test_header_list():
    uri = parse_uri("sip:a@b?subject=project%20x&priority=urgent&empty")
    assert uri.header_list == [("subject", "project%20x"),
                               ("priority", "urgent"), ("empty", "")]


# -- escapes ------------------------------------------------------------------

@pytest.mark.parametrize("text, user, unescaped", [
    ("sip:sips%3Auser%40example.com@example.net",
     "sips%3Auser%40example.com", "sips:user@example.com"),
    ("sip:%75se%72@example.com", "%75se%72", "user"),
    ("sip:I%20have%20spaces@example.net", "I%20have%20spaces",
     "I have spaces"),
    ("sip:null-%00-null@example.com", "null-%00-null", "null-\x00-null"),
    ("sip:%00@host5.example.com", "%00", "\x00"),
    ("sip:%00%00@host5.example.com", "%00%00", "\x00\x00"),
    ("sip:100%25@h", "100%25", "100%"),
    ("sip:bad%zz%4@h", "bad%zz%4", "bad%zz%4"),
    ("sip:%e2%82%ac@h", "%e2%82%ac", "\xe2\x82\xac"),
])
def test_escapes(text, user, unescaped):
    uri = parse_uri(text)
    assert uri.user == user
    assert uri.unescaped_user == unescaped
    assert str(uri) == text


def test_escaped_nul_does_not_truncate():
    uri = parse_uri("sip:null-%00-null@example.com")
    assert len(uri.unescaped_user) == len("null-?-null")
    assert uri.unescaped_user.split("\x00") == ["null-", "-null"]
    # both contacts of RFC 4475 escnull are distinct
    assert not uri_equal("sip:%00@host5.example.com",
                         "sip:%00%00@host5.example.com")


def test_escaped_params_are_kept():
    uri = parse_uri("sip:cal%6Cer@host5.example.net;%6C%72;"
                    "n%61me=v%61lue%25%34%31")
    assert uri.unescaped_user == "caller"
    assert uri.param_list == [("%6C%72", None), ("n%61me", "v%61lue%25%34%31")]
    # %6C%72 is "lr", but escaped parameter names are not decoded
    assert uri.lr is None


def test_unescape_helper():
    assert unescape("") == ""
    assert unescape("abc") == "abc"
    assert unescape("%41%42%43") == "ABC"
    assert unescape("%") == "%"
    assert unescape("%4g") == "%4g"
    assert parse_uri("sip:u:p%40ss@h").unescaped_passwd == "p@ss"


# -- tel URIs -----------------------------------------------------------------

@pytest.mark.parametrize("text, number, params", [
    ("tel:+1-201-555-0123", "+1-201-555-0123", ""),
    ("tel:+358-555-1234567;postd=pp22", "+358-555-1234567", "postd=pp22"),
    ("tel:7042;phone-context=example.com", "7042",
     "phone-context=example.com"),
    ("tel:863-1234;phone-context=+1-914-555", "863-1234",
     "phone-context=+1-914-555"),
    ("tel:*21#;phone-context=example.com", "*21#",
     "phone-context=example.com"),
    ("tel:(0)123.456;isub=12", "(0)123.456", "isub=12"),
    ("tel:+15551234567;ext=22;isub=1", "+15551234567", "ext=22;isub=1"),
])
def test_tel_uris(text, number, params):
    uri = parse_uri(text)
    assert uri.scheme == "tel"
    assert uri.is_tel
    assert uri.user == number
    assert uri.host == ""
    assert uri.params == params
    assert str(uri) == text


def test_tel_param_access():
    uri = parse_uri("tel:7042;phone-context=example.com;Ext=1")
    assert uri.get_param("phone-context") == "example.com"
    assert uri.get_param("ext") == "1"


@pytest.mark.parametrize("text", [
    "tel:", "tel:;phone-context=x", "tel:+", "tel:+-()", "tel:12 34",
    "tel:abc@example.com", "tel:12/34", "tel:+1<2>",
])
def test_bad_tel_uris(text):
    with pytest.raises(SipParseError) as err:
        parse_uri(text)
    assert err.value.status == 400
    assert not err.value.unsupported_scheme


# -- str() round trip ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "sip:alice@atlanta.com", "sips:alice:pw@atlanta.com:5061;lr?a=b",
    "sip:[2001:db8::10]:5070;transport=tcp",
    "sip:%s:%s@example.com" % (INTMETH_USER, INTMETH_PASS),
    "sip:user;par=u%40example.net@example.com",
    "sip:h;a;b=c?x=y&z", "tel:+1-201-555-0123;ext=1",
])
def test_str_round_trip(text):
    assert str(parse_uri(text)) == text
    assert repr(parse_uri(text)) == "SipUri(%r)" % text


def test_built_by_hand():
    uri = SipUri("sips", "bob", "", "biloxi.com", "5061", "lr", "h=v")
    assert str(uri) == "sips:bob@biloxi.com:5061;lr?h=v"
    assert uri.port_no == 5061 and uri.lr == "" and uri.text is None
    uri.host = "[::1]"
    uri.port = ""
    assert str(uri) == "sips:bob@[::1];lr?h=v"
    assert str(SipUri("tel", "+1234", params="ext=9")) == "tel:+1234;ext=9"


def test_slots():
    uri = parse_uri("sip:a@b")
    assert not hasattr(uri, "__dict__")
    with pytest.raises(AttributeError):
        uri.something_else = 1


# -- errors -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "", ":", "alice@atlanta.com", "atlanta.com", "sip", "sip:",
    "sip:@atlanta.com", "sip::pw@atlanta.com", "sip:alice@", "sip:alice@:5060",
    "sip:alice@atlanta.com:", "sip:alice@atlanta.com:65536",
    "sip:alice@atlanta.com:99999", "sip:alice@atlanta.com:123456",
    "sip:alice@atlanta.com:-1", "sip:alice@atlanta.com:50a",
    "sip:alice@atlanta.com:5060:5060", "sip:alice@at lanta.com",
    "sip:alice@atlanta.com; lr", "sip:alice @atlanta.com",
    "sip:alice@atlanta.com\r\n", "sip:alice@atlanta.com\x00",
    "sip:alice@atlanta.com\t", "sip:<alice@atlanta.com>",
    "<sip:alice@atlanta.com>", "sip:alice@atl\"anta.com",
    "sip:alice@-atlanta", "sip:alice@atl!anta.com", "sip:alice@atlanta.com/x",
    "sip:[2001:db8::10", "sip:[2001:db8::10]x", "sip:[2001:db8::10]:",
    "sip:[2001:db8::10]:70000", "sip:[2001:db8:::10:1:2:3:4:5]",
    "sip:[zz::1]", "sip:[]", "sip:2001:db8::10", "sip:256.1.1.1",
    "sip:1.2.3", "sip:1.2.3.4.5", "sip:1..2.3", "sip:a@b@c",
    "sip:alice@atlanta.com;lr?x=\x7f",
    "1sip:alice@atlanta.com", "s p:alice@atlanta.com",
])
def test_malformed(text):
    with pytest.raises(SipParseError) as err:
        parse_uri(text)
    assert err.value.status == 400
    assert err.value.unsupported_scheme is False


@pytest.mark.parametrize("text", [
    "http://www.example.com", "isbn:2983792873", "name:John_Smith",
    "nobodyKnowsThisScheme:totallyopaquecontent",
    "soap.beep://192.0.2.103:3002", "urn:service:sos", "mailto:a@b.c",
    "im:alice@atlanta.com", "Pres:x",
])
def test_unsupported_scheme(text):
    with pytest.raises(SipParseError) as err:
        parse_uri(text)
    assert err.value.status == 400
    assert err.value.unsupported_scheme is True


def test_error_messages_are_bounded():
    with pytest.raises(SipParseError) as err:
        parse_uri("sip:" + "a" * 3000 + " ")
    assert len(err.value.reason) < 200


def test_max_uri_length():
    host = "a" * (MAX_URI - 4)
    assert parse_uri("sip:" + host).host == host
    with pytest.raises(SipParseError) as err:
        parse_uri("sip:" + host + "a")
    assert err.value.status == 400


def test_only_sip_parse_error_escapes():
    """Random garbage made of URI characters never raises anything else."""
    rng = random.Random(4475)
    alphabet = "sip:tel@[]%;?&=.,:-_+!~*'()/$#0123456789abcdefABCDEF \x00\x7f"
    for _ in range(3000):
        text = rng.choice(["sip:", "sips:", "tel:", "", "x:"]) + "".join(
            rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        try:
            uri = parse_uri(text)
        except SipParseError:
            continue
        # what parses must rebuild to something that parses the same way
        again = parse_uri(str(uri))
        assert parts(again) == parts(uri)
        assert uri_equal(uri, again)


# -- speed / no backtracking --------------------------------------------------

PATHOLOGICAL = [
    "sip:" + ";" * 65536, "sip:" + "@" * 65536, "sip:" + "a" * 65536 + "!",
    "sip:" + ":" * 65536, "sip:" + "a:" * 32768, "sip:[" + ":" * 65536,
    "sip:a@" + "b" * 65536 + "?", "sip:" + "%" * 65536,
    "sip:" + "a;" * 32768 + " ", "sip:" + "a" * 65536 + " ",
    "sip:" + "a@" * 32768, "sip:u@h" + ";a" * 32768 + "\x00",
    "sip:u:" + "p" * 65536 + "@", "sip:" + "1." * 32768,
    "sip:h:" + "1" * 65536, "sip:" + "[a" * 32768, "tel:" + "+" * 65536,
    "tel:" + "1" * 65536 + " ", "x" * 65536 + ":", "sip:" + "a." * 32768 + "@",
    "sip:u@h?" + "&" * 65536 + " ", "sip:" + "%0" * 32768 + "@h",
    "sip:" + "a" * 65536 + "@" + "b" * 65536 + ":" + "1" * 65536,
    "sip:u@h;" + "a=" * 32768, "sip:" + "[" * 65536 + "]",
]


@pytest.mark.parametrize("text", PATHOLOGICAL,
                         ids=["p%d" % i for i in range(len(PATHOLOGICAL))])
def test_pathological_inputs_are_linear(text, monkeypatch):
    monkeypatch.setattr(parse_uri_mod, "MAX_URI", 1 << 22)
    start = time.perf_counter()
    try:
        uri = parse_uri(text)
        str(uri)
        uri.param_list
        uri.unescaped_user
        uri_equal(uri, uri)
    except SipParseError:
        pass
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("text", PATHOLOGICAL[:8])
def test_pathological_inputs_are_rejected_by_length(text):
    with pytest.raises(SipParseError):
        parse_uri(text)


def test_common_uri_is_fast():
    text = "sip:alice@192.0.2.1:5060;transport=udp;lr"
    start = time.perf_counter()
    for _ in range(10000):
        parse_uri(text)
    # about 2-3 microseconds each on a slow machine; allow a wide margin
    assert time.perf_counter() - start < 1.0


# -- comparison (RFC 3261 19.1.4) ---------------------------------------------

EQUAL = [
    ("sip:%61lice@atlanta.com;transport=TCP",
     "sip:alice@AtLanTa.CoM;Transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
    ("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"),
    ("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
     "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"),
    ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
     "sip:alice@atlanta.com?priority=urgent&subject=project%20x"),
    ("SIP:alice@atlanta.com", "sip:alice@atlanta.com"),
    ("sip:alice@atlanta.com;lr", "sip:alice@atlanta.com;LR"),
    ("sip:alice:pw@atlanta.com:5060", "sip:alice:p%77@ATLANTA.com:5060"),
    ("sip:[2001:db8::10]:5060", "sip:[2001:DB8:0:0::10]:5060"),
    ("sip:a@h;maddr=239.255.255.1", "sip:a@h;MADDR=239.255.255.1"),
    ("tel:+1-201-555-0123", "tel:+1.201.555.0123"),
    ("tel:+12015550123;ext=1;isub=2", "tel:+1(201)5550123;ISUB=2;ext=1"),
    ("tel:7042;phone-context=example.com",
     "tel:7042;phone-context=EXAMPLE.com"),
]

NOT_EQUAL = [
    ("SIP:ALICE@AtLanTa.CoM;Transport=udp",
     "sip:alice@AtLanTa.CoM;Transport=UDP"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
    ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ("sip:alice@atlanta.com", "sips:alice@atlanta.com"),
    ("sip:atlanta.com", "sip:alice@atlanta.com"),
    ("sip:alice@atlanta.com", "sip:alice:pw@atlanta.com"),
    ("sip:a@h;user=phone", "sip:a@h"),
    ("sip:a@h;ttl=1", "sip:a@h"),
    ("sip:a@h;method=INVITE", "sip:a@h"),
    ("sip:a@h;maddr=1.2.3.4", "sip:a@h"),
    ("sip:a@h;foo=1", "sip:a@h;foo=2"),
    ("sip:alice%3Bday@h", "sip:alice;day@h"),
    ("sip:a@h:5060", "sip:a@h:5070"),
    ("sip:a@h?x=1", "sip:a@h?x=2"),
    ("sip:[2001:db8::10]", "sip:[2001:db8::11]"),
    ("tel:+1-201-555-0123", "tel:+1-201-555-0124"),
    ("tel:+12015550123", "tel:+12015550123;ext=1"),
    ("tel:+12015550123", "sip:+12015550123@h"),
]


@pytest.mark.parametrize("a, b", EQUAL)
def test_equal(a, b):
    assert uri_equal(a, b)
    assert uri_equal(b, a)
    assert uri_equal(parse_uri(a), parse_uri(b))


@pytest.mark.parametrize("a, b", NOT_EQUAL)
def test_not_equal(a, b):
    assert not uri_equal(a, b)
    assert not uri_equal(b, a)


def test_equal_rejects_bad_text():
    with pytest.raises(SipParseError):
        uri_equal("sip:a@b", "sip:a@")
