"""Digest computations of RFC 2617 §3.2.2 (OpenSER ``auth/rfc2617.c``).

Pure functions on ``str`` (latin-1, the parser's byte mapping) returning
32 lowercase hex digits::

    HA1 = MD5(username ":" realm ":" password)                 (§3.2.2.2)
    HA1 = MD5(HA1 ":" nonce ":" cnonce)       for MD5-sess
    HA2 = MD5(method ":" digest-uri)                            (§3.2.2.3)
    HA2 = MD5(method ":" digest-uri ":" MD5(entity-body))       qop=auth-int
    response = MD5(HA1 ":" nonce ":" HA2)                       no qop (RFC 2069)
    response = MD5(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)
"""
import hashlib
import hmac

__all__ = ["md5_hex", "calc_ha1", "calc_ha2", "calc_response",
           "response_matches"]

ALG_MD5 = "md5"
ALG_MD5_SESS = "md5-sess"


def md5_hex(data):
    """Lowercase hex MD5 of *data* (str is encoded latin-1)."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    return hashlib.md5(data).hexdigest()


def calc_ha1(username, realm, password, alg=ALG_MD5, nonce="", cnonce=""):
    """HA1 from the clear-text *password* (RFC 2617 §3.2.2.2)."""
    ha1 = md5_hex("%s:%s:%s" % (username, realm, password))
    if alg == ALG_MD5_SESS:
        ha1 = sess_ha1(ha1, nonce, cnonce)
    return ha1


def sess_ha1(ha1, nonce, cnonce):
    """MD5-sess: HA1 = MD5(H(user:realm:pw) ":" nonce ":" cnonce)."""
    return md5_hex("%s:%s:%s" % (ha1, nonce, cnonce))


def calc_ha2(method, uri, qop=None, body=b""):
    """HA2 (RFC 2617 §3.2.2.3); the body's MD5 is included for auth-int."""
    if qop and qop.lower() == "auth-int":
        return md5_hex("%s:%s:%s" % (method, uri, md5_hex(body)))
    return md5_hex("%s:%s" % (method, uri))


def calc_response(ha1, nonce, method, uri, qop=None, nc=None, cnonce=None,
                  body=b""):
    """The request-digest (RFC 2617 §3.2.2.1) for the given HA1."""
    ha2 = calc_ha2(method, uri, qop, body)
    if qop:
        return md5_hex("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop,
                                              ha2))
    return md5_hex("%s:%s:%s" % (ha1, nonce, ha2))


def response_matches(expected, received):
    """Constant-time, case-insensitive comparison of two hex responses."""
    if received is None:
        return False
    return hmac.compare_digest(expected.lower().encode("latin-1"),
                               received.lower().encode("latin-1", "replace"))
