"""Stream framing (RFC 3261 18.3: Content-Length is mandatory on streams;
RFC 3261 7.5 / RFC 5626 keep-alive CRLFs before a message)."""
import pytest

from openser_py.parser import SipParseError, parse_msg
from openser_py.parser.msg import skip_keepalive, stream_frame


def msg(body=b"", clen=None, extra=b""):
    cl = b"Content-Length: %d\r\n" % (len(body) if clen is None else clen)
    return (b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1"
            b"\r\n" + extra + cl + b"\r\n" + body)


def test_complete_message():
    m = msg(b"hello")
    assert stream_frame(m) == len(m)
    assert stream_frame(m + msg(b"next")) == len(m)
    assert stream_frame(bytearray(m + b"MESS")) == len(m)


def test_needs_more_bytes():
    m = msg(b"hello")
    for cut in (1, 10, m.find(b"\r\n\r\n") + 2, len(m) - 1):
        assert stream_frame(m[:cut]) is None
    assert stream_frame(b"") is None


def test_keepalives_are_skipped_and_counted():
    m = msg(b"x")
    assert stream_frame(b"\r\n\r\n" + m) == 4 + len(m)
    assert stream_frame(b"\r\n\r\n") is None
    assert stream_frame(b"\n") is None
    assert skip_keepalive(b"\r\n\r\nINVITE") == 4
    assert skip_keepalive(b"INVITE") == 0
    framed = (b"\r\n" + m)[:stream_frame(b"\r\n" + m)]
    assert parse_msg(framed, stream=True).body == b"x"


def test_compact_and_folded_content_length():
    m = msg(b"abc").replace(b"Content-Length: 3", b"l:3")
    assert stream_frame(m) == len(m)
    m = msg(b"abc").replace(b"Content-Length: 3", b"CONTENT-LENGTH :\r\n 3")
    assert stream_frame(m) == len(m)
    m = msg(b"abc", extra=b"Content-Length: 3\r\n")    # equal duplicate
    assert stream_frame(m) == len(m)


def test_bare_lf_headers():
    m = msg(b"abc").replace(b"\r\n", b"\n")
    assert stream_frame(m) == len(m)


@pytest.mark.parametrize("bad", [
    msg().replace(b"Content-Length: 0\r\n", b""),          # missing
    msg(clen=-1), msg(b"ab").replace(b": 2", b": two"),
    msg(b"ab", extra=b"l: 3\r\n"),                            # conflicting
    msg().replace(b"Content-Length: 0", b"Content-Length: 99999999999"),
])
def test_impossible_framing(bad):
    with pytest.raises(SipParseError):
        stream_frame(bad)


def test_size_limits():
    with pytest.raises(SipParseError) as err:
        stream_frame(b"INVITE " + b"x" * 70000)          # no end of headers
    assert err.value.status == 413
    with pytest.raises(SipParseError) as err:
        stream_frame(msg(clen=65535))                     # announced too big
    assert err.value.status == 413
    with pytest.raises(SipParseError):
        stream_frame(msg(b"abc"), max_size=20)
    assert stream_frame(b"INVITE " + b"x" * 100, max_size=200) is None


def test_stream_parse_roundtrip():
    data = msg(b"one") + b"\r\n\r\n" + msg(b"two!")
    out = []
    while True:
        n = stream_frame(data)
        if n is None:
            break
        out.append(parse_msg(data[:n], stream=True).body)
        data = data[n:]
    assert out == [b"one", b"two!"] and data == b""
