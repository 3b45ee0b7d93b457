"""Content-Type and multipart bodies, binary safe (RFC 3261 20.15,
RFC 2046 5.1, RFC 4475 3.1.1.11)."""
import pytest

from openser_py.parser import SipParseError, parse_msg
from openser_py.parser.parse_content import (
    parse_content_type, parse_multipart, parse_part_headers)

BINARY = bytes(range(256)) + b"\r\n--7a9cbec02ceef65\r\n--\r\n\x00"
MPART = (b"--7a9cbec02ceef655\r\n"
         b"Content-Type: text/plain\r\n"
         b"Content-Transfer-Encoding: binary\r\n\r\n"
         b"Hello\r\n"
         b"--7a9cbec02ceef655\r\n"
         b"Content-Type: application/octet-stream\r\n"
         b"Content-Transfer-Encoding: binary\r\n\r\n"
         + BINARY +
         b"\r\n--7a9cbec02ceef655--\r\n")


def test_content_type():
    ct = parse_content_type("application/sdp")
    assert (ct.type, ct.subtype, ct.params) == ("application", "sdp", [])
    assert ct.mime == "application/sdp" and not ct.is_multipart
    ct = parse_content_type('Multipart/Signed ; protocol="application/'
                            'pkcs7-signature";micalg=sha1;'
                            'boundary="----=_abc"')
    assert ct.is_multipart and ct.mime == "multipart/signed"
    assert ct.boundary == "----=_abc"
    assert ct.get_param("MICALG") == "sha1"
    assert parse_content_type("text / plain").subtype == "plain"


@pytest.mark.parametrize("bad", ["", "text", "text/", "/plain", "text/plain;",
                                 "text/plain x", "te xt/plain",
                                 "text/plain;;a=b"])
def test_bad_content_type(bad):
    with pytest.raises(SipParseError):
        parse_content_type(bad)


def test_multipart_binary_safe():
    parts = parse_multipart(MPART, "7a9cbec02ceef655")
    assert len(parts) == 2
    assert parts[0] == ([("Content-Type", "text/plain"),
                         ("Content-Transfer-Encoding", "binary")], b"Hello")
    assert parts[1][0][0] == ("Content-Type", "application/octet-stream")
    assert parts[1][1] == BINARY


def test_multipart_preamble_epilogue_and_no_headers():
    body = (b"preamble\r\n--b\r\n\r\nno headers\r\n--b\n"
            b"X: y\n\npart2\n--b--\r\nepilogue --b\r\n")
    parts = parse_multipart(body, "b")
    assert parts == [([], b"no headers"), ([("X", "y")], b"part2")]
    # boundary text inside a line is not a delimiter
    parts = parse_multipart(b"--b\r\n\r\nx--b\r\n--bb\r\n--b--", "b")
    assert parts == [([], b"x--b\r\n--bb")]
    # a missing close delimiter is tolerated
    assert parse_multipart(b"--b\r\n\r\nlast", "b") == [([], b"last")]


def test_bad_multipart():
    for body, boundary in ((b"no delimiter", "b"), (MPART, ""),
                           (MPART, "x" * 71),
                           (b"--b\r\nbad header line\r\n\r\nx\r\n--b--", "b")):
        with pytest.raises(SipParseError):
            parse_multipart(body, boundary)
    with pytest.raises(SipParseError):
        parse_multipart(b"--b\r\n" * 100, "b")       # too many parts


def test_part_headers_folding():
    assert parse_part_headers(b"A: 1\r\n 2\r\nB:3") == [
        ("A", "1 2"), ("B", "3")]


def test_message_parts():
    raw = (b"MESSAGE sip:kumiko@example.org SIP/2.0\r\n"
           b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d8754z-1;rport\r\n"
           b"To: <sip:kumiko@example.org>\r\n"
           b"From: <sip:fluffy@example.com>;tag=2fb0dcc9\r\n"
           b"Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\r\n"
           b"CSeq: 1 MESSAGE\r\n"
           b"Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\r\n"
           b"Date: Sat, 15 Oct 2005 04:44:56 GMT\r\n"
           b"Content-Length: %d\r\n\r\n" % len(MPART)) + MPART
    msg = parse_msg(raw)
    msg.parse_all()
    assert msg.body == MPART
    parts = msg.parts()
    assert parts[1][1] == BINARY and msg.parts() is parts
    assert msg.date == (2005, 10, 15, 4, 44, 56)
