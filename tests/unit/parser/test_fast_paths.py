"""The parser's fast paths give the same results as its general paths.

The hot path (benchmarks/bench_parser.py) takes shortcuts: an inlined
construction for plain requests, regex fast paths whose value objects read
their fields from the match on demand, and a slice-based serializer when
there are no lumps.  Each shortcut is checked here against the general
code it bypasses.
"""
import itertools

import pytest

from openser_py.parser import SipParseError, data_lump as dl
from openser_py.parser import msg_translator as mt
from openser_py.parser.msg import parse_msg
from openser_py.parser.parse_cseq import CSeqBody, parse_cseq
from openser_py.parser.parse_nameaddr import (
    NameAddr, ToBody, _parse_slow as nameaddr_slow, parse_nameaddr_list,
    parse_to)
from openser_py.parser.parse_via import (
    ViaBody, _parse_slow as via_slow, parse_via)

VIA_FIELDS = ("proto_name", "version", "transport", "host", "port",
              "port_str", "params", "branch", "received", "rport", "maddr",
              "ttl", "i", "comment", "start", "end", "params_end", "sent_by")
NA_FIELDS = ("display", "name", "uri", "params", "uri_start", "uri_end")

VIAS = [
    "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;rport",
    "SIP/2.0/UDP h",
    "SIP/2.0/TCP 10.0.0.1:5070;received=1.2.3.4;branch=z9hG4bK99",
    "SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKa;maddr=224.0.0.1;ttl=1",
    "SIP/2.0/UDP h;Branch=z9hG4bKcase;i=7",
    "SIP/2.0/UDP h:0;branch=x",
    "SIP/2.0/UDP h:65535;branch=x",
    "SIP/2.0/UDP h:05060;branch=x;rport=5062",
    "SIP/2.0/SCTP h.example.com;lr;branch=z9hG4bK1;x=\"y\"",
]


def _fields(obj, names):
    return {n: getattr(obj, n) for n in names}


@pytest.mark.parametrize("text", VIAS)
def test_fast_via_equals_general_grammar(text):
    fast = parse_via(text)
    assert len(fast) == 1
    slow, end, more = via_slow(text, 0)
    assert end == len(text) and not more
    assert _fields(fast[0], VIA_FIELDS) == _fields(slow, VIA_FIELDS)
    assert isinstance(fast[0], ViaBody)
    assert type(fast[0]).__name__ == "ViaBody"
    assert fast[0].get_param("BRANCH") == slow.get_param("branch")


def test_fast_via_in_a_list():
    text = "SIP/2.0/UDP a:1;branch=z9hG4bKa , SIP/2.0/TCP b;branch=z9hG4bKb"
    a, b = parse_via(text)
    assert (a.host, a.port, a.start, a.end) == ("a", 1, 0, 31)
    assert (b.host, b.transport, b.start) == ("b", "TCP", 34)
    assert text[b.start:b.end] == "SIP/2.0/TCP b;branch=z9hG4bKb"


@pytest.mark.parametrize("port, ok", [
    ("0", True), ("9", True), ("5060", True), ("9999", True),
    ("10000", True), ("59999", True), ("60000", True), ("64999", True),
    ("65000", True), ("65499", True), ("65529", True), ("65535", True),
    ("00000", True), ("06553", True), ("65536", False), ("65540", False),
    ("65600", False), ("70000", False), ("99999", False),
    ("123456", False)])
def test_via_port_range(port, ok):
    text = "SIP/2.0/UDP h:%s;branch=z9hG4bKp" % port
    if ok:
        v = parse_via(text)[0]
        assert (v.port, v.port_str) == (int(port), port)
    else:
        with pytest.raises(SipParseError):
            parse_via(text)


def test_fast_via_branch_without_value_is_an_error():
    with pytest.raises(SipParseError):
        parse_via("SIP/2.0/UDP h;rport;branch")


NAMEADDRS = [
    '"Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    "Bob <sip:bob@biloxi.example.com>",
    "Bob Smith  <sip:bob@b.example.com;transport=tcp>;x=1;tag=abc",
    "<sip:proxy2.biloxi.example.com;lr>",
    "<sip:a@b>;foo;TAG=late",
    "<tel:+1-212-555-1212>;tag=t",
    '"" <sip:empty@display>',
]


@pytest.mark.parametrize("text", NAMEADDRS)
def test_fast_to_body_equals_general_parser(text):
    fast = parse_to(text)
    slow = nameaddr_slow(text, 0, ToBody)
    assert _fields(fast, NA_FIELDS) == _fields(slow, NA_FIELDS)
    assert fast.tag == slow.tag
    assert isinstance(fast, ToBody) and type(fast).__name__ == "ToBody"
    assert repr(fast) == repr(slow)


@pytest.mark.parametrize("text", NAMEADDRS)
def test_fast_route_equals_general_parser(text):
    (fast,) = parse_nameaddr_list(text)
    slow = nameaddr_slow(text, 0, NameAddr)
    assert _fields(fast, NA_FIELDS) == _fields(slow, NA_FIELDS)
    assert type(fast).__name__ == "NameAddr" and repr(fast) == repr(slow)
    assert fast.has_param("lr") == slow.has_param("lr")


def test_fast_to_body_empty_tag_is_an_error():
    with pytest.raises(SipParseError):
        parse_to("<sip:a@b>;x=1;tag")


def test_fast_cseq():
    cs = parse_cseq("42 INVITE")
    assert (cs.num, cs.num_str, cs.method) == (42, "42", "INVITE")
    assert isinstance(cs, CSeqBody) and repr(cs) == "CSeqBody(42, 'INVITE')"


# -- construction: the inlined fast path vs the general path --------------

MESSAGES = [
    (b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
     b"Via: SIP/2.0/UDP a.example.com:5060;branch=z9hG4bK1;rport\r\n"
     b"Max-Forwards: 69\r\n"
     b"Route: <sip:p1.example.com;lr>\r\n"
     b"From: \"A\" <sip:a@a.example.com>;tag=1\r\n"
     b"To: B <sip:b@b.example.com>\r\n"
     b"Call-ID: c1@a\r\n"
     b"CSeq: 2 INVITE\r\n"
     b"X-Unknown : value\r\n"
     b"v:SIP/2.0/TCP second;branch=z9hG4bK2\r\n"
     b"Content-Length: 4\r\n\r\nbody"),
    (b"BYE sip:b@b SIP/2.0\r\n"
     b"f: <sip:a@a>;tag=1\r\nt: <sip:b@b>;tag=2\r\ni: x\r\n"
     b"CSeq: 9 BYE\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
     b"l: 0\r\n\r\n"),
    (b"OPTIONS sip:h SIP/2.0\r\nCall-ID: y\r\n\r\n"),
]


@pytest.mark.parametrize("raw", MESSAGES)
def test_fast_construction_equals_general_path(raw):
    fast = parse_msg(raw)
    general = parse_msg(bytearray(raw))     # not bytes: the general path
    for name in ("buf", "hdr_text", "body", "body_offset", "is_request",
                 "method", "method_id", "ruri", "ruri_start", "ruri_end",
                 "version", "status", "reason", "first_line_end",
                 "content_length", "callid", "max_forwards"):
        assert getattr(fast, name) == getattr(general, name), name
    assert [(h.name, h.type, h.body, h.start, h.end, h.body_start)
            for h in fast.headers] == [
        (h.name, h.type, h.body, h.start, h.end, h.body_start)
        for h in general.headers]
    for name in ("vias", "routes"):
        assert [repr(v) for v in getattr(fast, name)] == [
            repr(v) for v in getattr(general, name)]
    for name in ("from_", "to", "cseq"):
        assert repr(getattr(fast, name)) == repr(getattr(general, name))


# -- serialization: slices vs the lump machinery ---------------------------

RECEIVED_VIAS = [
    b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx",
    b"SIP/2.0/UDP 10.0.0.1",
    b"SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKx;received=1.1.1.1",
    b"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx;rport",
    b"SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx",
    b"SIP/2.0/UDP 10.0.0.1;rport=1;received=2.2.2.2;branch=z9hG4bKx",
    b"SIP/2.0/UDP 10.0.0.1;received=2.2.2.2;rport=1",
    b"SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKx",
    b"SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bKx",
    b"SIP/2.0/UDP 10.0.0.1 ; rport ; branch=z9hG4bKx , SIP/2.0/UDP b",
]

REQUEST = (b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
           b"Via: %s\r\n"
           b"To: <sip:bob@biloxi.example.com>\r\n"
           b"From: <sip:alice@atlanta.example.com>;tag=1\r\n"
           b"Call-ID: x@y\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")


class Rcv:
    """Stand-in for the transport's ReceiveInfo."""

    def __init__(self, src_ip, src_port):
        self.src_ip = src_ip
        self.src_port = src_port


@pytest.mark.parametrize("via, src, force, extra", list(itertools.product(
    RECEIVED_VIAS, (None, "192.0.2.99", "10.0.0.1"), (False, True),
    ("", ";i=1"))))
def test_slice_serializer_equals_lumps(via, src, force, extra):
    ours = "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKo\r\n"
    fast = parse_msg(REQUEST % via)
    slow = parse_msg(REQUEST % via)
    for m in (fast, slow):
        m.rcv = Rcv(src, 5062) if src else None
    dl.anchor(slow, 0)      # a text-less lump: forces the Plan machinery
    assert mt.build_req_buf(fast, ours, extra, force) == mt.build_req_buf(
        slow, ours, extra, force)
    assert fast.lumps is None       # nothing was recorded


def test_via_param_edits_match_lumps():
    m = parse_msg(REQUEST % b"SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx")
    edits = dl.via_param_edits(m, "192.0.2.99", "5062")
    lumps = dl.via_param_lumps(m, "192.0.2.99", "5062")
    assert [(lp.offset, lp.offset + lp.length, "".join(lp.after))
            for lp in lumps] == sorted(edits)
    assert edits == sorted(edits)
