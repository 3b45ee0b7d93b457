"""CSeq, Max-Forwards, Expires, Content-Length, Call-ID, option tags, Date,
header names, methods and errors."""
import pytest

from openser_py.parser import (
    HDR_ACCEPT_CONTACT, HDR_CALLID, HDR_CONTACT, HDR_CONTENTLENGTH, HDR_OTHER,
    HDR_VIA, METHOD_INVITE, METHOD_OTHER, SipParseError)
from openser_py.parser.hf import canonical_name, hdr_type, is_token
from openser_py.parser.methods import Method, method_id
from openser_py.parser.parse_cseq import parse_cseq
from openser_py.parser.parse_misc import (
    parse_callid, parse_content_length, parse_date, parse_expires,
    parse_max_forwards, parse_option_tags)


def test_cseq():
    cs = parse_cseq("314159 INVITE")
    assert (cs.num, cs.num_str, cs.method) == (314159, "314159", "INVITE")
    assert parse_cseq("0009 INVITE").num == 9             # RFC 4475 wsinv
    assert parse_cseq("4294967295 NEWMETHOD").num == 2 ** 32 - 1
    cs = parse_cseq("139122385 !interesting-Method0123456789_*+`.%indeed'~")
    assert cs.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert parse_cseq("1 \t BYE").method == "BYE"


@pytest.mark.parametrize("bad", [
    "", "INVITE", "1", "1INVITE", "-1 INVITE", "a INVITE", "1 INV ITE",
    "4294967296 INVITE", "36893488147419103232 REGISTER", "1 INVITE x",
    "1 INV@ITE", "\xb2 INVITE"])
def test_bad_cseq(bad):
    with pytest.raises(SipParseError):
        parse_cseq(bad)


def test_max_forwards():
    assert parse_max_forwards("0068") == 68                # RFC 4475 wsinv
    assert parse_max_forwards("0") == 0
    assert parse_max_forwards("255") == 255
    for bad in ("256", "300", "-1", "", "7 0", "0x10", "\xb9", "1" * 40):
        with pytest.raises(SipParseError):
            parse_max_forwards(bad)


def test_expires_and_content_length():
    assert parse_expires("3600") == 3600
    assert parse_expires("4294967295") == 2 ** 32 - 1
    assert parse_content_length("0") == 0
    assert parse_content_length("000150") == 150
    for bad in ("", "-999", "1.5", "4294967296", "1" + "0" * 100, "ten"):
        with pytest.raises(SipParseError):
            parse_expires(bad)
        with pytest.raises(SipParseError):
            parse_content_length(bad)


def test_callid():
    odd = "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"    # RFC 4475
    assert parse_callid(odd) == odd
    for bad in ("", "a b", "a\tb"):
        with pytest.raises(SipParseError):
            parse_callid(bad)


def test_option_tags():
    assert parse_option_tags("100rel") == ["100rel"]
    assert parse_option_tags("nothingSupportsThis, nothingSupportsThisEither"
                             ) == ["nothingSupportsThis",
                                   "nothingSupportsThisEither"]
    assert parse_option_tags("") == []
    for bad in ("a,,b", "a b", ",", "a,", "a;b"):
        with pytest.raises(SipParseError):
            parse_option_tags(bad)


def test_date():
    assert parse_date("Sat, 15 Oct 2005 04:44:56 GMT") == (2005, 10, 15, 4,
                                                           44, 56)
    for bad in ("Fri, 01 Jan 2010 16:00:00 EST", "", "Sat, 15 Oct 2005",
                "Sat, 32 Oct 2005 04:44:56 GMT"):
        with pytest.raises(SipParseError):
            parse_date(bad)


def test_header_names():
    assert hdr_type("Via") == HDR_VIA == hdr_type("v") == hdr_type("V")
    assert hdr_type("vIa ") == HDR_VIA
    assert hdr_type("call-ID") == HDR_CALLID == hdr_type("i")
    assert hdr_type("m") == HDR_CONTACT and hdr_type("l") == HDR_CONTENTLENGTH
    assert hdr_type("a") == HDR_ACCEPT_CONTACT
    assert hdr_type("C%6Fntact") == HDR_OTHER                # RFC 4475 esc02
    assert canonical_name("cseq") == "CSeq"
    assert canonical_name("X-Foo") == "X-Foo"
    assert is_token("!%*_+`'~.-aZ9") and not is_token("a b")
    assert not is_token("")


def test_methods():
    assert method_id("INVITE") == METHOD_INVITE == 1
    assert method_id("invite") == METHOD_OTHER
    assert method_id("RE%47IST%45R") == METHOD_OTHER          # RFC 4475
    assert int(Method.PUBLISH) == 8192 and int(Method.OTHER) == 16384
    assert (Method.INVITE | Method.ACK) & Method.ACK


def test_errors():
    e = SipParseError("bad Via header")
    assert (e.status, e.reason, e.reply_reason) == (400, "bad Via header",
                                                    "Bad Request")
    assert SipParseError("x", 505).reply_reason == "Version Not Supported"
    assert SipParseError("x", 413).reply_reason == "Request Entity Too Large"
    assert SipParseError("x", 416).reply_reason == "Unsupported URI Scheme"
    assert not e.unsupported_scheme
    assert isinstance(e, ValueError)
