"""Authorization / Proxy-Authorization credentials (RFC 2617 3.2.2,
RFC 3261 22.4, RFC 4475 3.3.7)."""
import pytest

from openser_py.parser import SipParseError, parse_msg
from openser_py.parser.digest import DIGEST_FIELDS, parse_credentials

FULL = ('Digest username="bob@biloxi.com", realm="biloxi.com", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
        'uri="sip:bob@biloxi.com", qop=auth, nc=00000001, '
        'cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", '
        'opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=MD5, '
        'x-ext="a\\"b"')


def test_full_digest():
    c = parse_credentials(FULL)
    assert c.is_digest and c.scheme == "Digest"
    assert c.username == "bob@biloxi.com"
    assert (c.user, c.domain) == ("bob", "biloxi.com")
    assert c.realm == "biloxi.com" and c.uri == "sip:bob@biloxi.com"
    assert c.nonce == "dcd98b7102dd2f0e8b11d0f600bfb0c093"
    assert (c.qop, c.nc, c.cnonce) == ("auth", "00000001", "0a4f113b")
    assert c.response == "6629fae49393a05397450978507c4ef1"
    assert c.opaque == "5ccc069c403ebaf9f0171e9517f40e41"
    assert c.algorithm == "MD5"
    assert c.other == [("x-ext", 'a"b')]
    assert [n for n, _ in c.params][:2] == ["username", "realm"]
    assert c.missing() == []


def test_minimal_and_odd_spacing():
    c = parse_credentials('digest   username = "a" ,realm="r",nonce="n" , '
                          'uri="sip:r",response="00"')
    assert c.is_digest and c.username == "a" and c.user == "a"
    assert c.domain is None and c.qop is None and c.missing() == []
    c = parse_credentials('Digest username="a", realm="r"')
    assert c.missing() == ["nonce", "uri", "response"]
    assert all(getattr(c, f) is None
               for f in DIGEST_FIELDS if f not in ("username", "realm"))


def test_other_schemes_are_kept_raw():
    c = parse_credentials("NoOneKnowsThisScheme opaque-data=here")
    assert not c.is_digest and c.raw == "opaque-data=here"
    assert parse_credentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").raw == \
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


@pytest.mark.parametrize("bad", [
    "", "Digest", "Digest ", "Digest username", 'Digest username="a',
    'Digest username="a",', 'Digest username="a",,realm="b"',
    'Digest username="a" realm="b"', 'Digest username="a", username="b"',
    '"Digest" username="a"'])
def test_bad_credentials(bad):
    with pytest.raises(SipParseError):
        parse_credentials(bad)


def test_message_accessors():
    raw = (b"REGISTER sip:biloxi.com SIP/2.0\r\n"
           b"Via: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"
           b"To: <sip:bob@biloxi.com>\r\nFrom: <sip:bob@biloxi.com>;tag=1\r\n"
           b"Call-ID: c\r\nCSeq: 2 REGISTER\r\n"
           b"Authorization: " + FULL.encode() + b"\r\n"
           b"Authorization: Digest username=\"b\", realm=\"other\"\r\n"
           b"Proxy-Authorization: Digest username=\"p\", realm=\"px\"\r\n"
           b"Content-Length: 0\r\n\r\n")
    msg = parse_msg(raw)
    assert [c.realm for c in msg.authorization] == ["biloxi.com", "other"]
    assert msg.proxy_authorization[0].username == "p"
    msg.parse_all()
    bad = raw.replace(b'realm="px"', b'realm="px')
    with pytest.raises(SipParseError):
        parse_msg(bad).proxy_authorization
