"""RFC 2617 digest computations (auth/rfc2617.py)."""
import hashlib

from openser_py.modules.auth import rfc2617

# RFC 2617 §3.5 example
USER, REALM, PASSWD = "Mufasa", "testrealm@host.com", "Circle Of Life"
NONCE = "dcd98b7102dd2f0e8b11d0f600bfb0c093"
URI, METHOD = "/dir/index.html", "GET"
NC, CNONCE = "00000001", "0a4f113b"
RFC_RESPONSE = "6629fae49393a05397450978507c4ef1"   # published in the RFC


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def test_rfc2617_example_qop_auth():
    ha1 = md5("%s:%s:%s" % (USER, REALM, PASSWD))
    ha2 = md5("%s:%s" % (METHOD, URI))
    by_hand = md5(":".join((ha1, NONCE, NC, CNONCE, "auth", ha2)))
    assert rfc2617.calc_ha1(USER, REALM, PASSWD) == ha1
    assert rfc2617.calc_ha2(METHOD, URI) == ha2
    got = rfc2617.calc_response(ha1, NONCE, METHOD, URI, "auth", NC, CNONCE)
    assert got == by_hand == RFC_RESPONSE


def test_no_qop_rfc2069_form():
    ha1 = rfc2617.calc_ha1(USER, REALM, PASSWD)
    expected = md5("%s:%s:%s" % (ha1, NONCE, md5("GET:" + URI)))
    assert rfc2617.calc_response(ha1, NONCE, METHOD, URI) == expected
    assert expected != RFC_RESPONSE


def test_auth_int_hashes_the_body():
    body = b"v=0\r\n"
    ha1 = rfc2617.calc_ha1(USER, REALM, PASSWD)
    ha2 = md5("%s:%s:%s" % (METHOD, URI, hashlib.md5(body).hexdigest()))
    expected = md5(":".join((ha1, NONCE, NC, CNONCE, "auth-int", ha2)))
    assert rfc2617.calc_response(ha1, NONCE, METHOD, URI, "auth-int", NC,
                                 CNONCE, body) == expected
    assert rfc2617.calc_response(ha1, NONCE, METHOD, URI, "auth-int", NC,
                                 CNONCE, b"other") != expected


def test_md5_sess():
    plain = md5("%s:%s:%s" % (USER, REALM, PASSWD))
    sess = md5("%s:%s:%s" % (plain, NONCE, CNONCE))
    assert rfc2617.calc_ha1(USER, REALM, PASSWD, rfc2617.ALG_MD5_SESS, NONCE,
                            CNONCE) == sess


def test_response_matches_is_case_insensitive_and_exact():
    assert rfc2617.response_matches(RFC_RESPONSE, RFC_RESPONSE.upper())
    assert not rfc2617.response_matches(RFC_RESPONSE, RFC_RESPONSE[:-1] + "0")
    assert not rfc2617.response_matches(RFC_RESPONSE, None)
    assert not rfc2617.response_matches(RFC_RESPONSE, "")


def test_api_calculate_response_on_parsed_credentials():
    from openser_py.modules.auth.api import API
    from openser_py.parser.digest import parse_credentials
    cred = parse_credentials(
        'Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=auth, '
        'nc=%s, cnonce="%s", response="%s"'
        % (USER, REALM, NONCE, URI, NC, CNONCE, RFC_RESPONSE))
    ha1 = md5("%s:%s:%s" % (USER, REALM, PASSWD))
    assert API.calculate_response(cred, METHOD, ha1) == RFC_RESPONSE
    assert API.check_response(cred, METHOD, ha1)
    assert not API.check_response(cred, "POST", ha1)
