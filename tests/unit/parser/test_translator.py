"""Message serialization (openser_py.parser.msg_translator).

Expected outputs are written out by hand, byte for byte.
"""
import pytest

from openser_py.parser import data_lump as dl
from openser_py.parser import msg_translator as mt
from openser_py.parser.hf import HdrType
from openser_py.parser.msg import parse_msg


class Rcv:
    """Stand-in for the transport's ReceiveInfo."""

    def __init__(self, src_ip, src_port):
        self.src_ip = src_ip
        self.src_port = src_port


INVITE = (b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP pc33.atlanta.example.com"
          b";branch=z9hG4bK776asdhds\r\n"
          b"Max-Forwards: 70\r\n"
          b"To: Bob <sip:bob@biloxi.example.com>\r\n"
          b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
          b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
          b"CSeq: 314159 INVITE\r\n"
          b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
          b"Content-Type: application/sdp\r\n"
          b"Content-Length: 4\r\n"
          b"\r\n"
          b"v=0\n")

REPLY = (b"SIP/2.0 200 OK\r\n"
         b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnashds8\r\n"
         b"Via: SIP/2.0/UDP pc33.atlanta.example.com"
         b";branch=z9hG4bK776asdhds;received=192.0.2.99\r\n"
         b"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
         b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
         b"Call-ID: a84b4c76e66710\r\n"
         b"CSeq: 314159 INVITE\r\n"
         b"Contact: <sip:bob@192.0.2.4>\r\n"
         b"Content-Length: 0\r\n"
         b"\r\n")

ROUND_TRIP = [
    INVITE,
    REPLY,
    # folding, compact forms, odd spacing, unknown headers
    (b"MESSAGE sip:u@h.example SIP/2.0\r\n"
     b"v: SIP/2.0/TCP  a.example:5070 ; branch=z9hG4bK1 ;rport\r\n"
     b"f: <sip:a@a.example>;tag=x\r\n"
     b"t: <sip:u@h.example>\r\n"
     b"i: 12@a\r\n"
     b"CSeq:   7 MESSAGE\r\n"
     b"Subject: a long\r\n"
     b"\tsubject line\r\n"
     b"X-Unknown:   spaced   \r\n"
     b"c: text/plain\r\n"
     b"l: 5\r\n"
     b"\r\n"
     b"hello"),
    # bare LF line ends
    (b"OPTIONS sip:h.example SIP/2.0\n"
     b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKlf\n"
     b"From: <sip:a@b>;tag=1\n"
     b"To: <sip:h.example>\n"
     b"Call-ID: lf\n"
     b"CSeq: 1 OPTIONS\n"
     b"\n"),
    # UTF-8 display name, binary body without Content-Length (datagram)
    (b"MESSAGE sip:u@h.example SIP/2.0\r\n"
     b"Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKv6\r\n"
     b"From: \"J\xc3\xb6rg\" <sip:j@h.example>;tag=9\r\n"
     b"To: <sip:u@h.example>\r\n"
     b"Call-ID: bin\r\n"
     b"CSeq: 2 MESSAGE\r\n"
     b"Content-Type: application/octet-stream\r\n"
     b"\r\n"
     b"\x00\xff\xfe\r\n\x80binary"),
]


@pytest.mark.parametrize("raw", ROUND_TRIP)
def test_unchanged_message_round_trips_byte_identical(raw):
    m = parse_msg(raw)
    assert mt.build_req_buf(m) == raw
    m.lumps = []
    assert mt.build_req_buf(m) == raw
    dl.anchor(m, 5)                  # a lump without text
    assert mt.build_req_buf(m) == raw


# -- forwarding requests -----------------------------------------------------

def test_via_inserted_before_first_via():
    m = parse_msg(INVITE)
    via = mt.make_via("udp", "192.0.2.10", 5060, "z9hG4bK776asdhds")
    assert mt.build_req_buf(m, via) == INVITE.replace(
        b"Via: SIP/2.0/UDP pc33",
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK776asdhds\r\n"
        b"Via: SIP/2.0/UDP pc33")


def test_extra_via_params_go_before_the_crlf():
    m = parse_msg(INVITE)
    via = mt.make_via("tcp", "192.0.2.10", 5070, "z9hG4bKy")
    assert mt.build_req_buf(m, via, extra_via_params=";i=a") == \
        INVITE.replace(b"Via: SIP/2.0/UDP pc33",
                       b"Via: SIP/2.0/TCP 192.0.2.10:5070;branch=z9hG4bKy"
                       b";i=a\r\nVia: SIP/2.0/UDP pc33")


def test_ruri_rewrite_touches_only_the_request_uri():
    m = parse_msg(INVITE)
    m.new_uri = "sip:bob@192.0.2.20:5080;transport=udp"
    assert mt.build_req_buf(m) == INVITE.replace(
        b"INVITE sip:bob@biloxi.example.com SIP/2.0",
        b"INVITE sip:bob@192.0.2.20:5080;transport=udp SIP/2.0")


def test_full_forward_record_route_above_our_via():
    m = parse_msg(INVITE)
    m.rcv = Rcv("192.0.2.99", 5062)
    m.new_uri = "sip:bob@192.0.2.20"
    dl.insert_before(m, m.headers[0].start,
                     "Record-Route: <sip:192.0.2.10;lr=on>\r\n")
    dl.add_header(m, "X-Fwd: 1\r\n")
    via = mt.make_via("udp", "192.0.2.10", 5060, "z9hG4bK776asdhds")
    assert mt.build_req_buf(m, via) == (
        b"INVITE sip:bob@192.0.2.20 SIP/2.0\r\n"
        b"Record-Route: <sip:192.0.2.10;lr=on>\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK776asdhds\r\n"
        b"Via: SIP/2.0/UDP pc33.atlanta.example.com;received=192.0.2.99"
        b";branch=z9hG4bK776asdhds\r\n"
        b"Max-Forwards: 70\r\n"
        b"To: Bob <sip:bob@biloxi.example.com>\r\n"
        b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
        b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
        b"CSeq: 314159 INVITE\r\n"
        b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Content-Length: 4\r\n"
        b"X-Fwd: 1\r\n"
        b"\r\n"
        b"v=0\n")
    # transient additions are not stored: the message is unchanged
    assert len(m.lumps) == 2
    m.new_uri = None
    m.lumps = None
    assert mt.build_req_buf(m) == INVITE


def test_path_becomes_route_after_last_via():
    m = parse_msg(INVITE)
    m.path_vec = "<sip:pcscf.example;lr>"
    assert mt.build_req_buf(m) == INVITE.replace(
        b"Max-Forwards", b"Route: <sip:pcscf.example;lr>\r\nMax-Forwards")


def test_path_goes_before_first_route():
    raw = INVITE.replace(b"Contact:", b"Route: <sip:r.example;lr>\r\nContact:")
    m = parse_msg(raw)
    m.path_vec = "<sip:p.example;lr>"
    assert mt.build_req_buf(m) == raw.replace(
        b"Route: <sip:r", b"Route: <sip:p.example;lr>\r\nRoute: <sip:r")


# -- Content-Length ----------------------------------------------------------

def test_header_lumps_leave_content_length_alone():
    m = parse_msg(INVITE)
    dl.add_header(m, "X-Long-Header: 1234567890\r\n")
    assert b"Content-Length: 4\r\n" in mt.build_req_buf(m)


def test_body_replacement_updates_content_length():
    m = parse_msg(INVITE)
    dl.delete(m, m.body_offset, m.body_offset + 4).insert_after(
        "v=0\r\no=x\r\n")
    assert mt.build_req_buf(m) == INVITE.replace(
        b"Content-Length: 4\r\n\r\nv=0\n",
        b"Content-Length: 10\r\n\r\nv=0\r\no=x\r\n")


def test_body_append_with_compact_content_length():
    raw = ROUND_TRIP[2]
    m = parse_msg(raw)
    dl.insert_after(m, len(m.buf), " world")
    assert mt.build_req_buf(m) == raw.replace(
        b"l: 5\r\n\r\nhello", b"Content-Length: 11\r\n\r\nhello world")


def test_body_removed_gives_zero():
    m = parse_msg(INVITE)
    dl.delete(m, m.body_offset, len(m.buf))
    assert mt.build_req_buf(m) == INVITE.replace(
        b"Content-Length: 4\r\n\r\nv=0\n", b"Content-Length: 0\r\n\r\n")


def test_same_length_body_change_keeps_header():
    m = parse_msg(INVITE)
    dl.delete(m, m.body_offset, m.body_offset + 1).insert_after("V")
    assert mt.build_req_buf(m) == INVITE.replace(b"v=0\n", b"V=0\n")


def test_body_change_udp_without_content_length_adds_none():
    raw = ROUND_TRIP[4]
    m = parse_msg(raw)
    dl.insert_after(m, len(m.buf), "!")
    assert mt.build_req_buf(m) == raw + b"!"


def test_stream_transport_adds_missing_content_length():
    raw = ROUND_TRIP[4]
    m = parse_msg(raw)
    dl.insert_after(m, len(m.buf), "!")
    assert mt.build_req_buf(m, proto="tcp") == raw.replace(
        b"octet-stream\r\n\r\n",
        b"octet-stream\r\nContent-Length: 13\r\n\r\n") + b"!"
    m.lumps = None
    via = mt.make_via("tcp", "192.0.2.10", 5060, "z9hG4bKt")
    assert mt.build_req_buf(m, via, proto="tcp") == raw.replace(
        b"Via:", b"Via: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bKt\r\nVia:"
    ).replace(b"octet-stream\r\n\r\n",
              b"octet-stream\r\nContent-Length: 12\r\n\r\n")


def test_removed_content_length_is_not_added_back():
    m = parse_msg(INVITE)
    dl.remove_header(m, m.get_hdr(HdrType.CONTENTLENGTH))
    dl.insert_after(m, len(m.buf), "a=1\n")
    assert mt.build_req_buf(m) == INVITE.replace(
        b"Content-Length: 4\r\n", b"") + b"a=1\n"


# -- received / rport (§17.2) -------------------------------------------------

def _req(via_value, src="192.0.2.99", port=5062):
    m = parse_msg(INVITE.replace(
        b"SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds",
        via_value))
    m.rcv = Rcv(src, port) if src else None
    return m


OUR_VIA = "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKo\r\n"


def _fwd_via(m, **kw):
    """The received (second) Via line of the forwarded request."""
    out = mt.build_req_buf(m, OUR_VIA, **kw)
    assert out.startswith(INVITE.split(b"\r\n")[0] + b"\r\n"
                          + OUR_VIA.encode())
    return out.split(b"\r\n")[2]


@pytest.mark.parametrize("via, src, kw, expected", [
    # host equals source address: nothing
    (b"SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKx", "192.0.2.99", {},
     b"Via: SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKx"),
    # host differs: received after host:port
    (b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx", "192.0.2.99", {},
     b"Via: SIP/2.0/UDP 10.0.0.1:5060;received=192.0.2.99;branch=z9hG4bKx"),
    # no params at all
    (b"SIP/2.0/UDP 10.0.0.1", "192.0.2.99", {},
     b"Via: SIP/2.0/UDP 10.0.0.1;received=192.0.2.99"),
    # existing received is replaced even if the host matches
    (b"SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKx;received=1.1.1.1",
     "192.0.2.99", {},
     b"Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKx;received=192.0.2.99"),
    # rport without value filled in place, received added up front
    (b"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx;rport", "192.0.2.99", {},
     b"Via: SIP/2.0/UDP 10.0.0.1;received=192.0.2.99;branch=z9hG4bKx"
     b";rport=5062"),
    # rport with a value replaced
    (b"SIP/2.0/UDP 192.0.2.99;rport=1234;branch=z9hG4bKx", "192.0.2.99",
     {}, b"Via: SIP/2.0/UDP 192.0.2.99;rport=5062;branch=z9hG4bKx"),
    # force_rport without rport: rport first, then received
    (b"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx", "192.0.2.99",
     {"force_rport": True},
     b"Via: SIP/2.0/UDP 10.0.0.1;rport=5062;received=192.0.2.99"
     b";branch=z9hG4bKx"),
    # maddr is compared instead of the host
    (b"SIP/2.0/UDP h.example;maddr=192.0.2.99;branch=z9hG4bKx",
     "192.0.2.99", {},
     b"Via: SIP/2.0/UDP h.example;maddr=192.0.2.99;branch=z9hG4bKx"),
    # whole-string compare: a prefix of the source IP is not equal
    (b"SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx", "192.0.2.99", {},
     b"Via: SIP/2.0/UDP 192.0.2.9;received=192.0.2.99;branch=z9hG4bKx"),
    # IPv6: bracketed reference, case-insensitive
    (b"SIP/2.0/UDP [2001:DB8::1]:5060;branch=z9hG4bKx", "2001:db8::1", {},
     b"Via: SIP/2.0/UDP [2001:DB8::1]:5060;branch=z9hG4bKx"),
    (b"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKx", "2001:db8::2", {},
     b"Via: SIP/2.0/UDP [2001:db8::1]:5060;received=2001:db8::2"
     b";branch=z9hG4bKx"),
    # no receive info: untouched
    (b"SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx", None, {},
     b"Via: SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx"),
])
def test_received_and_rport_on_forwarded_request(via, src, kw, expected):
    assert _fwd_via(_req(via, src), **kw) == expected


def test_via_received_params_values():
    m = _req(b"SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx")
    assert mt.via_received_params(m) == ("192.0.2.99", "5062")
    m = _req(b"SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKx")
    assert mt.via_received_params(m) == (None, None)
    assert mt.via_received_params(m, force_rport=True) == (None, "5062")
    m = _req(b"SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx", src=None)
    assert mt.via_received_params(m) == (None, None)


def test_no_received_without_our_via():
    m = _req(b"SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx")
    assert mt.build_req_buf(m) == m.buf


# -- make_via, branch, reasons ---------------------------------------------

@pytest.mark.parametrize("args, kw, expected", [
    (("udp", "192.0.2.1", 5060, "z9hG4bK1"), {},
     "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"),
    (("UDP", "192.0.2.1", "5060", "z9hG4bK1"), {},
     "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"),
    (("udp", "192.0.2.1", 5061, "z9hG4bK1"), {},
     "Via: SIP/2.0/UDP 192.0.2.1:5061;branch=z9hG4bK1\r\n"),
    (("udp", "sip.example.com", 5060, "z9hG4bK1"), {"force_port": True},
     "Via: SIP/2.0/UDP sip.example.com:5060;branch=z9hG4bK1\r\n"),
    (("udp", "2001:db8::1", 5060, "z9hG4bK1"), {},
     "Via: SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1\r\n"),
    (("tcp", "[2001:db8::1]", 5070, "z9hG4bK1"), {},
     "Via: SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK1\r\n"),
    (("sctp", "192.0.2.1", 5060, "z9hG4bK1"), {"extra_params": ";rport;i=5"},
     "Via: SIP/2.0/SCTP 192.0.2.1;branch=z9hG4bK1;rport;i=5\r\n"),
    (("tls", "h.example", 5061, None), {},
     "Via: SIP/2.0/TLS h.example:5061\r\n"),
    (("udp", "h.example", None, "0"), {},
     "Via: SIP/2.0/UDP h.example;branch=0\r\n"),
])
def test_make_via(args, kw, expected):
    assert mt.make_via(*args, **kw) == expected


def _branch_msg(*via_values):
    vias = b"".join(b"Via: " + v + b"\r\n" for v in via_values)
    return parse_msg(INVITE.replace(
        b"Via: SIP/2.0/UDP pc33.atlanta.example.com"
        b";branch=z9hG4bK776asdhds\r\n", vias))


def test_stateless_branch_rules():
    f = mt.build_stateless_branch
    assert f(_branch_msg(b"SIP/2.0/UDP a;branch=z9hG4bKabc",
                         b"SIP/2.0/UDP b;branch=z9hG4bKdef")) == "z9hG4bKabc"
    assert f(_branch_msg(b"SIP/2.0/UDP a;branch=1234",
                         b"SIP/2.0/UDP b;branch=z9hG4bKdef")) == "z9hG4bKdef"
    assert f(_branch_msg(b"SIP/2.0/UDP a;branch=aaa, SIP/2.0/UDP b"
                         b";branch=bbb")) == "bbb"
    # the last Via *with* a branch (OpenSER get_sl_branch)
    assert f(_branch_msg(b"SIP/2.0/UDP a;branch=aaa",
                         b"SIP/2.0/UDP b")) == "aaa"
    assert f(_branch_msg(b"SIP/2.0/UDP a", b"SIP/2.0/UDP b")) == "0"
    # the bare cookie does not count as an RFC 3261 branch
    assert f(_branch_msg(b"SIP/2.0/UDP a;branch=z9hG4bK",
                         b"SIP/2.0/UDP b;branch=old")) == "old"
    long = b"z9hG4bK" + b"x" * 60
    assert f(_branch_msg(b"SIP/2.0/UDP a;branch=" + long)) == \
        "z9hG4bK" + "x" * 51


def test_make_reason():
    assert mt.make_reason(100) == "Trying"
    assert mt.make_reason(200) == "OK"
    assert mt.make_reason(404) == "Not Found"
    assert mt.make_reason(408) == "Request Timeout"
    assert mt.make_reason(481) == "Call/Transaction Does Not Exist"
    assert mt.make_reason(487) == "Request Terminated"
    assert mt.make_reason(504) == "Server Time-out"
    assert mt.make_reason(499) == "Request Failure"
    assert mt.make_reason(999) == "Unknown"


# -- relaying replies ---------------------------------------------------------

def test_reply_relay_removes_first_via_header():
    m = parse_msg(REPLY)
    assert mt.build_res_buf(m) == REPLY.replace(
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnashds8\r\n", b"")


def test_reply_relay_removes_only_first_via_parm_and_comma():
    raw = REPLY.replace(b"z9hG4bKnashds8\r\nVia:", b"z9hG4bKnashds8, ")
    m = parse_msg(raw)
    assert mt.build_res_buf(m) == REPLY.replace(
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnashds8\r\n", b"")


def test_reply_relay_compact_via_with_spaces_around_comma():
    raw = REPLY.replace(
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnashds8\r\nVia:",
        b"v: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnashds8 ,\t ")
    m = parse_msg(raw)
    assert mt.build_res_buf(m) == REPLY.replace(
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnashds8\r\nVia:", b"v:")


def test_reply_relay_503_becomes_500():
    raw = REPLY.replace(b"200 OK", b"503 Service Unavailable")
    m = parse_msg(raw)
    expected = REPLY.replace(
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnashds8\r\n", b"")
    assert mt.build_res_buf(m) == expected.replace(
        b"200 OK", b"500 Service Unavailable")
    assert mt.build_res_buf(m, rewrite_503=False) == expected.replace(
        b"200 OK", b"503 Service Unavailable")


def test_reply_relay_applies_lumps():
    m = parse_msg(REPLY)
    dl.remove_header(m, m.get_hdr(HdrType.CONTACT))
    assert mt.build_res_buf(m) == REPLY.replace(
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnashds8\r\n", b""
    ).replace(b"Contact: <sip:bob@192.0.2.4>\r\n", b"")


# -- local replies (§17.3) ----------------------------------------------------

REQ = (b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
       b"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2d4790.1\r\n"
       b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds"
       b";received=192.0.2.1\r\n"
       b"Record-Route: <sip:proxy.example.com;lr>\r\n"
       b"Max-Forwards: 69\r\n"
       b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
       b"To: Bob <sip:bob@biloxi.example.com>\r\n"
       b"Call-ID: a84b4c76e66710\r\n"
       b"CSeq: 314159 INVITE\r\n"
       b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
       b"Content-Type: application/sdp\r\n"
       b"Content-Length: 4\r\n"
       b"\r\n"
       b"v=0\n")

VIAS = (b"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2d4790.1\r\n"
        b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds"
        b";received=192.0.2.1\r\n")
RR = b"Record-Route: <sip:proxy.example.com;lr>\r\n"
FROM = b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
TO = b"To: Bob <sip:bob@biloxi.example.com>"
DIALOG_END = b"Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\n"


def test_local_reply_layout_404():
    m = parse_msg(REQ)
    assert mt.build_local_reply(m, 404, "Not Found", to_tag="abc.1234") == (
        b"SIP/2.0 404 Not Found\r\n"
        b"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2d4790.1\r\n"
        b"Via: SIP/2.0/UDP pc33.atlanta.example.com"
        b";branch=z9hG4bK776asdhds;received=192.0.2.1\r\n"
        b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
        b"To: Bob <sip:bob@biloxi.example.com>;tag=abc.1234\r\n"
        b"Call-ID: a84b4c76e66710\r\n"
        b"CSeq: 314159 INVITE\r\n"
        b"Content-Length: 0\r\n"
        b"\r\n")


@pytest.mark.parametrize("code, with_rr", [
    (100, False), (180, True), (183, True), (200, True), (299, True),
    (300, False), (486, False)])
def test_record_route_only_for_180_to_299(code, with_rr):
    m = parse_msg(REQ)
    tag = b"" if code == 100 else b";tag=t"
    assert mt.build_local_reply(m, code, "R", to_tag="t") == (
        b"SIP/2.0 %d R\r\n" % code + VIAS + (RR if with_rr else b"")
        + FROM + TO + tag + b"\r\n" + DIALOG_END
        + b"Content-Length: 0\r\n\r\n")


def test_existing_to_tag_is_kept():
    raw = REQ.replace(TO, TO + b";tag=orig")
    m = parse_msg(raw)
    assert mt.build_local_reply(m, 200, "OK", to_tag="new") == (
        b"SIP/2.0 200 OK\r\n" + VIAS + RR + FROM + TO + b";tag=orig\r\n"
        + DIALOG_END + b"Content-Length: 0\r\n\r\n")


def test_no_tag_when_none_given():
    m = parse_msg(REQ)
    assert mt.build_local_reply(m, 500, "Server Error") == (
        b"SIP/2.0 500 Server Error\r\n" + VIAS + FROM + TO + b"\r\n"
        + DIALOG_END + b"Content-Length: 0\r\n\r\n")


def test_local_reply_full_layout():
    m = parse_msg(REQ)
    dl.add_rpl_lump(m, "Contact: <sip:bob@192.0.2.4>\r\n")
    dl.add_rpl_lump(m, "P-Registrar-Error: x\r\n")
    out = mt.build_local_reply(
        m, 200, "OK", to_tag="t1", extra_hdrs="Allow: INVITE, ACK\r\n",
        body=b"v=0\r\n",
        server_hdr="Server: OpenSER (1.3.1-notls (i386/linux))",
        warning='Warning: 392 192.0.2.10:5060 "Noisy feedback tells: pid=1"')
    assert out == (
        b"SIP/2.0 200 OK\r\n" + VIAS + RR + FROM + TO + b";tag=t1\r\n"
        + DIALOG_END
        + b"Contact: <sip:bob@192.0.2.4>\r\n"
        b"P-Registrar-Error: x\r\n"
        b"Allow: INVITE, ACK\r\n"
        b"Server: OpenSER (1.3.1-notls (i386/linux))\r\n"
        b"Content-Length: 5\r\n"
        b"Warning: 392 192.0.2.10:5060 \"Noisy feedback tells: pid=1\"\r\n"
        b"\r\n"
        b"v=0\r\n")


def test_local_reply_keeps_original_header_order():
    raw = REQ.replace(FROM, b"").replace(TO + b"\r\n", TO + b"\r\n" + FROM)
    m = parse_msg(raw)
    assert mt.build_local_reply(m, 486, "Busy Here") == (
        b"SIP/2.0 486 Busy Here\r\n" + VIAS + TO + b"\r\n" + FROM
        + DIALOG_END + b"Content-Length: 0\r\n\r\n")


def _reply_via(first_via, src="192.0.2.99", port=5062, **kw):
    m = parse_msg(REQ.replace(
        b"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2d4790.1\r\n",
        b"Via: " + first_via + b"\r\n"))
    m.rcv = Rcv(src, port)
    return mt.build_local_reply(m, 404, "Not Found", **kw).split(b"\r\n")[1]


@pytest.mark.parametrize("via, src, kw, expected", [
    (b"SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2d4790.1", "192.0.2.99",
     {}, b"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2d4790.1"
     b";received=192.0.2.99"),
    # rport filled in place, then received appended (OpenSER order)
    (b"SIP/2.0/UDP proxy.example.com;branch=z9hG4bKq;rport", "192.0.2.99",
     {}, b"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKq;rport=5062"
     b";received=192.0.2.99"),
    (b"SIP/2.0/UDP proxy.example.com;rport=9;branch=z9hG4bKq", "192.0.2.99",
     {}, b"Via: SIP/2.0/UDP proxy.example.com;rport=5062;branch=z9hG4bKq"
     b";received=192.0.2.99"),
    (b"SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKq", "192.0.2.99",
     {"force_rport": True},
     b"Via: SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKq;rport=5062"),
    # trailing whitespace dropped, CRLF written
    (b"SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKq  ", "192.0.2.99", {},
     b"Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKq"),
    # two via-parms in the first field: only the first one is changed
    (b"SIP/2.0/UDP a.example;branch=z9hG4bK1, SIP/2.0/UDP b.example"
     b";branch=z9hG4bK2", "192.0.2.99", {},
     b"Via: SIP/2.0/UDP a.example;branch=z9hG4bK1;received=192.0.2.99, "
     b"SIP/2.0/UDP b.example;branch=z9hG4bK2"),
    # IPv6
    (b"SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKv6;rport", "2001:db8::1",
     {}, b"Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKv6;rport=5062"),
    (b"SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKv6", "2001:db8::2",
     {}, b"Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKv6"
     b";received=2001:db8::2"),
])
def test_local_reply_first_via_params(via, src, kw, expected):
    assert _reply_via(via, src, **kw) == expected


def test_local_reply_folded_to_gets_tag_at_value_end():
    raw = REQ.replace(TO, b"To: Bob\r\n <sip:bob@biloxi.example.com>")
    m = parse_msg(raw)
    assert mt.build_local_reply(m, 404, "Not Found", to_tag="x") == (
        b"SIP/2.0 404 Not Found\r\n" + VIAS + FROM
        + b"To: Bob\r\n <sip:bob@biloxi.example.com>;tag=x\r\n"
        + DIALOG_END + b"Content-Length: 0\r\n\r\n")


def test_local_reply_lf_only_request():
    m = parse_msg(ROUND_TRIP[3])
    assert mt.build_local_reply(m, 200, "OK", to_tag="t") == (
        b"SIP/2.0 200 OK\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKlf\r\n"
        b"From: <sip:a@b>;tag=1\n"
        b"To: <sip:h.example>;tag=t\n"
        b"Call-ID: lf\n"
        b"CSeq: 1 OPTIONS\n"
        b"Content-Length: 0\r\n"
        b"\r\n")
