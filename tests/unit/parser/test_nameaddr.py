"""name-addr / addr-spec, To/From tags, lists and Contact (RFC 3261 20.10,
20.20, 20.39, 25.1; RFC 4475 3.1.1.1-3.1.1.6, 3.1.2.6, 3.1.2.13-15)."""
import pytest

from openser_py.parser import SipParseError
from openser_py.parser.parse_contact import parse_contacts, parse_q
from openser_py.parser.parse_nameaddr import (
    NameAddr, ToBody, parse_nameaddr, parse_nameaddr_list, parse_to)
from openser_py.parser.parse_param import parse_params, split_commas


def test_name_addr_forms():
    na = parse_nameaddr('"Alice" <sip:alice@atlanta.com>;x=1;y')
    assert isinstance(na, NameAddr)
    assert (na.display, na.uri) == ("Alice", "sip:alice@atlanta.com")
    assert na.params == [("x", "1"), ("y", None)]
    assert na.get_param("X") == "1" and na.get_param("y") is None
    assert na.has_param("y") and not na.has_param("z")
    assert na.name == "Alice"
    na = parse_nameaddr("Bob Smith <sips:bob@b.com>")
    assert na.display == "Bob Smith" and na.uri == "sips:bob@b.com"
    na = parse_nameaddr("<tel:+1-201-555-0123>")
    assert na.display == "" and na.uri == "tel:+1-201-555-0123"


def test_addr_spec_params_belong_to_header():
    na = parse_to("sip:alice@atlanta.com;tag=88sja8x;user=phone")
    assert na.uri == "sip:alice@atlanta.com"
    assert na.tag == "88sja8x" and na.get_param("user") == "phone"
    # inside <> the ;params are URI parameters
    na = parse_to("<sip:alice@atlanta.com;user=phone>;tag=1")
    assert na.uri == "sip:alice@atlanta.com;user=phone" and na.tag == "1"


def test_uri_offsets():
    text = '  "A" <sip:a@b>;tag=1'
    na = parse_nameaddr_list(text)[0]
    assert text[na.uri_start:na.uri_end] == "sip:a@b"
    text = "sip:x@y ;tag=2"
    na = parse_to(text)
    assert text[na.uri_start:na.uri_end] == "sip:x@y"


def test_wsinv_to_from():
    # RFC 4475 3.1.1.1 (after unfolding)
    to = parse_to("sip:vivekg@chair-dnrc.example.com ;   tag    = "
                  "1918181833n")
    assert to.uri == "sip:vivekg@chair-dnrc.example.com"
    assert to.tag == "1918181833n"
    fr = parse_to('"J Rosenberg \\\\\\""       <sip:jdrosen@example.com>   '
                  ';     tag = 98asjd8')
    assert fr.display == 'J Rosenberg \\"'
    assert fr.tag == "98asjd8"


def test_quoted_display_escapes_and_utf8():
    na = parse_nameaddr('"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:a@b>')
    assert na.display == "BEL:\x07 NUL:\x00 DEL:\x7f"
    utf8 = "Bj\u00f6rn".encode("utf-8").decode("latin-1")
    assert parse_nameaddr('"%s" <sip:b@c>' % utf8).display == utf8
    assert parse_nameaddr('"%Z%45" <sip:a@b>').display == "%Z%45"


def test_token_display_names():
    na = parse_to("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;"
                  "fromParam''~+*_!.-%=\"\xd1\x80\";tag=_token~1'+`*%!-.")
    assert na.display == "token1~` token2'+_ token3*%!.-"
    assert na.tag == "_token~1'+`*%!-."
    assert na.get_param("fromparam''~+*_!.-%") == "\xd1\x80"
    assert parse_to("caller<sip:caller@example.com>;tag=323").display == \
        "caller"                                   # RFC 4475 3.1.1.6


def test_tags():
    assert parse_to("<sip:a@b>").tag is None
    assert parse_to("<sip:a@b>;foo=1;TAG=xy").tag == "xy"
    assert isinstance(parse_to("<sip:a@b>"), ToBody)
    with pytest.raises(SipParseError):
        parse_to("<sip:a@b>;tag")


@pytest.mark.parametrize("bad", [
    '"Mr. J. User <sip:j.user@example.com>',       # RFC 4475 3.1.2.6
    "Bell, Alexander <sip:a.g.bell@example.com>",  # RFC 4475 3.1.2.15
    '"Watson, Thomas" < sip:t.watson@example.org >',  # RFC 4475 3.1.2.14
    "<sip:a@b", "sip:a@b>", "<>", "", "   ", "<sip:a@b> x", '"a" sip:a@b',
    "<sip:a@b>;;tag=1", "<sip:a@b>;", "nocolon", "<nocolon>",
    "<sip:a@b> <sip:c@d>", "sip:a b@c", "<sip:a@b>;tag=x y",
])
def test_bad_name_addrs(bad):
    with pytest.raises(SipParseError):
        parse_to(bad)


def test_unknown_schemes_accepted_in_headers():
    # RFC 4475 3.3.3 / 3.3.4: header URIs are not interpreted here
    assert parse_to("isbn:2983792873").uri == "isbn:2983792873"
    assert parse_to("<http://www.example.com>;tag=3").uri == \
        "http://www.example.com"
    # RFC 4475 3.1.2.13: a ? in an addr-spec is tolerated (OpenSER style)
    assert parse_to("sip:user@example.com?Route=%3Csip:x%3E").uri == \
        "sip:user@example.com?Route=%3Csip:x%3E"


def test_lists_and_commas():
    text = ('"Doe, John" <sip:j@d.com;x=a,b>;p="q,r", sip:second@x.com,'
            '<sip:third@y.com>')
    items = parse_nameaddr_list(text)
    assert [i.uri for i in items] == ["sip:j@d.com;x=a,b", "sip:second@x.com",
                                      "sip:third@y.com"]
    assert items[0].display == "Doe, John"
    assert items[0].get_param("p") == "q,r"
    assert split_commas("a,b") == [(0, 1), (2, 3)]
    for bad in ('"a,b', "<a,b", "<sip:a@b>,,<sip:c@d>", "<sip:a@b>,"):
        with pytest.raises(SipParseError):
            parse_nameaddr_list(bad)


def test_parse_params():
    assert parse_params("a=1;b;c = \"x;y\" ; d=[::1]") == [
        ("a", "1"), ("b", None), ("c", "x;y"), ("d", "[::1]")]
    for bad in ("", ";", "a;", "a;;b", "a=", "a=b c", '"a"', "a=\"b"):
        with pytest.raises(SipParseError):
            parse_params(bad)


def test_contacts():
    cl = parse_contacts('"Quoted string \\"\\"" <sip:jdrosen@example.com> ; '
                        'newparam =       newvalue ;   secondparam ; '
                        'q = 0.33')                 # RFC 4475 3.1.1.1
    c = cl.contacts[0]
    assert not cl.star and c.display == 'Quoted string ""'
    assert c.q == 330 and c.expires is None
    assert c.get_param("newparam") == "newvalue"
    cl = parse_contacts("<sip:a@b>;expires=3600;q=1, sip:c@d;expires=0")
    assert [(c.uri, c.expires, c.q) for c in cl] == [
        ("sip:a@b", 3600, 1000), ("sip:c@d", 0, None)]
    assert len(cl) == 2


def test_contact_star_and_addr_spec_params():
    cl = parse_contacts(" * ")
    assert cl.star and cl.contacts == []
    # RFC 4475 3.3.13 cparam01: the param is a contact param
    c = parse_contacts(
        "sip:+19725552222@gw1.example.net;unknownparam").contacts[0]
    assert c.uri == "sip:+19725552222@gw1.example.net"
    assert c.has_param("unknownparam")


@pytest.mark.parametrize("bad", [
    "*, <sip:a@b>", '"Joe" <sip:joe@example.org>;;;;',  # RFC 4475 3.1.2.1
    "<sip:a@b>;expires=abc", "<sip:a@b>;expires=99999999999",
    "<sip:a@b>;q=2", "<sip:a@b>;q=x", "<sip:a@b>;q", "<sip:a@b>;q=0.1234",
])
def test_bad_contacts(bad):
    with pytest.raises(SipParseError):
        parse_contacts(bad)


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("1", 1000), ("0.5", 500), ("0.33", 330), ("0.001", 1),
    ("1.0", 1000), ("1.000", 1000), ("0.", 0), ("00.7", 700)])
def test_q_values(text, value):
    assert parse_q(text) == value


@pytest.mark.parametrize("text, reason", [
    ("", "Empty q parameter"), ("1.5", "q parameter too big"),
    ("2", "q parameter too big"), ("a", "Invalid character in q parameter"),
    (".5", "Decimal part missing in q")])
def test_q_errors(text, reason):
    with pytest.raises(SipParseError) as err:
        parse_q(text)
    assert err.value.reason == reason


def test_parsed_uri_helper():
    pytest.importorskip("openser_py.parser.parse_uri")
    uri = parse_nameaddr("<sip:bob@b.example.com:5062>").parsed_uri()
    assert uri.host == "b.example.com" and uri.port_no == 5062
