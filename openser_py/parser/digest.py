"""Authorization / Proxy-Authorization credentials (RFC 3261 25.1,
RFC 2617 3.2.2)::

    Credentials     = ("Digest" LWS digest-response) / other-response
    digest-response = dig-resp *(COMMA dig-resp)
    auth-param      = auth-param-name EQUAL ( token / quoted-string )

Only the Digest scheme is taken apart; other schemes keep their text in
``raw`` (RFC 4475 3.3.7: an unknown scheme is not a syntax error).
"""
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_PARAMS
from openser_py.parser.parse_param import WS, unquote

__all__ = ["DigestCredentials", "parse_credentials", "DIGEST_FIELDS"]

_T = r"A-Za-z0-9\-.!%*_+`'~"
_SCHEME = re.compile(r"([%s]+)(?:[ \t]+|\Z)" % _T)
_AUTH_PARAM = re.compile(
    r'[ \t]*([%s]+)[ \t]*=[ \t]*("[^"\\]*(?:\\.[^"\\]*)*"|[^ \t,"]+)'
    r"[ \t]*(,|\Z)" % _T, re.S)

# dig-resp names with a field of their own (RFC 2617 3.2.2)
DIGEST_FIELDS = ("username", "realm", "nonce", "uri", "response",
                 "algorithm", "cnonce", "opaque", "qop", "nc")


class DigestCredentials:
    """Parsed credentials.

    ``scheme`` as written; for Digest every field of :data:`DIGEST_FIELDS`
    (str with quotes removed and escapes resolved, or None), ``params``
    (all ``(name, value)`` in order) and ``other`` (the unknown ones).
    ``raw`` is the text after the scheme.
    """

    __slots__ = ("scheme", "raw", "params", "other") + DIGEST_FIELDS

    def __init__(self, scheme, raw):
        self.scheme = scheme
        self.raw = raw
        self.params = []
        self.other = []
        for f in DIGEST_FIELDS:
            setattr(self, f, None)

    @property
    def is_digest(self) -> bool:
        """True for the Digest scheme (case-insensitive)."""
        return self.scheme.lower() == "digest"

    @property
    def user(self):
        """User part of ``username`` (before an ``@``), OpenSER style."""
        if self.username is None:
            return None
        return self.username.partition("@")[0]

    @property
    def domain(self):
        """Domain part of ``username`` (after ``@``), or None."""
        if self.username is None or "@" not in self.username:
            return None
        return self.username.partition("@")[2]

    def missing(self):
        """Names of the mandatory Digest fields that are absent."""
        need = ("username", "realm", "nonce", "uri", "response")
        return [f for f in need if getattr(self, f) is None]

    def __repr__(self):
        return "DigestCredentials(%s, %r)" % (self.scheme, self.params)


def _digest_params(cred, text, pos):
    known = set(DIGEST_FIELDS)
    seen = set()
    while True:
        m = _AUTH_PARAM.match(text, pos)
        if m is None:
            raise SipParseError("bad digest credentials")
        name, value, sep = m.groups()
        if value[:1] == '"':
            value = unquote(value[1:-1])
        low = name.lower()
        cred.params.append((name, value))
        if len(cred.params) > MAX_PARAMS:
            raise SipParseError("too many digest parameters")
        if low in known:
            if low in seen:
                raise SipParseError("duplicate digest parameter %s" % low)
            seen.add(low)
            setattr(cred, low, value)
        else:
            cred.other.append((name, value))
        if not sep:
            return
        pos = m.end()


def parse_credentials(body: str) -> DigestCredentials:
    """Parse an Authorization / Proxy-Authorization value."""
    body = body.strip(WS)
    m = _SCHEME.match(body)
    if m is None:
        raise SipParseError("bad credentials")
    cred = DigestCredentials(m.group(1), body[m.end():])
    if cred.is_digest:
        if m.end() >= len(body):
            raise SipParseError("empty digest credentials")
        _digest_params(cred, body, m.end())
    return cred
