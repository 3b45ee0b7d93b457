"""The hot accessors match their regexes on the raw header value.

``msg.via1``, ``msg.from_``, ``msg.to`` and ``msg.routes`` run the fast
regexes (``parse_via.FAST_RAW``, ``parse_nameaddr.FAST_RAW``) on the value
as split from the line -- leading LWS and the CR included -- instead of
stripping it first.  Every field, offsets included, must still be what
the general parsers give for the stripped value (``HdrField.body``).
"""
import pytest

from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HdrType
from openser_py.parser.msg import parse_msg
from openser_py.parser.parse_nameaddr import (
    NameAddr, ToBody, _parse_slow as nameaddr_slow)
from openser_py.parser.parse_param import latin1_except
from openser_py.parser.parse_via import _parse_slow as via_slow, parse_via

VIA_FIELDS = ("proto_name", "version", "transport", "host", "port",
              "port_str", "params", "branch", "received", "rport", "maddr",
              "comment", "start", "end", "params_end", "sent_by")
NA_FIELDS = ("display", "uri", "params", "uri_start", "uri_end")

# (Via value, From value, To value, Route value) as written on the wire
VALUES = [
    (b" SIP/2.0/UDP h:5060;branch=z9hG4bKx;rport",
     b' "A" <sip:a@a>;tag=1', b" <sip:b@b>", b" <sip:r;lr>"),
    (b"   SIP/2.0/UDP h;branch=z9hG4bKx \t",
     b"\t\tA B  <sip:a@a>;x=1;tag=2  ", b"<sip:b@b>;tag=3", b"\t<sip:r>  "),
    (b"SIP/2.0/TCP [2001:db8::1]:5061;rport;branch=z9hG4bKy",
     b" <sip:a@a>;foo;TAG=late", b' "" <sip:b@b>', b" <sip:r;lr>;x=y"),
]


def _fields(obj, names):
    return {n: getattr(obj, n) for n in names}


def _message(via, frm, to, route):
    return (b"INVITE sip:b@b SIP/2.0\r\nVia:" + via + b"\r\nFrom:" + frm
            + b"\r\nTo:" + to + b"\r\nRoute:" + route
            + b"\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
            b"Content-Length: 0\r\n\r\n")


@pytest.mark.parametrize("values", VALUES)
def test_raw_matches_equal_general_parsers(values):
    msg = parse_msg(_message(*values))
    body = msg.get_hdr(HdrType.VIA).body
    slow, _end, _more = via_slow(body, 0)
    assert _fields(msg.via1, VIA_FIELDS) == _fields(slow, VIA_FIELDS)
    # the offsets point into the stripped value (HdrField.body)
    assert body[msg.via1.start:msg.via1.end] == body
    for attr, t, cls in (("from_", HdrType.FROM, ToBody),
                         ("to", HdrType.TO, ToBody)):
        body = msg.get_hdr(t).body
        fast = getattr(msg, attr)
        ref = nameaddr_slow(body, 0, cls)
        assert _fields(fast, NA_FIELDS) == _fields(ref, NA_FIELDS), attr
        assert fast.tag == ref.tag
        assert body[fast.uri_start:fast.uri_end] == fast.uri
    body = msg.get_hdr(HdrType.ROUTE).body
    (route,) = msg.routes
    ref = nameaddr_slow(body, 0, NameAddr)
    assert _fields(route, NA_FIELDS) == _fields(ref, NA_FIELDS)
    assert body[route.uri_start:route.uri_end] == route.uri


def test_raw_match_still_validates():
    # a bad character in the URI: the raw regex fails, the general parser
    # decides (and refuses)
    msg = parse_msg(_message(b" SIP/2.0/UDP h;branch=x", b" <sip:a b@a>",
                             b" <sip:b@b>", b" <sip:r>"))
    with pytest.raises(SipParseError):
        msg.from_


def test_latin1_except_is_the_complement():
    import re
    cls = re.compile(latin1_except(';, \t\r\n"()'))
    for c in map(chr, range(256)):
        assert (cls.fullmatch(c) is None) == (c in ';, \t\r\n"()')
    assert cls.fullmatch("\u0100") is None


def test_non_latin1_values_take_the_general_path():
    # above U+00FF the fast classes do not match; the result is the
    # general parser's
    text = "SIP/2.0/UDP h;branch=z9hG4bK\u20ac"
    (via,) = parse_via(text)
    slow, _end, _more = via_slow(text, 0)
    assert _fields(via, VIA_FIELDS) == _fields(slow, VIA_FIELDS)
