"""name-addr / addr-spec values: To, From, Route, Record-Route, Path...

RFC 3261 20.10 and 25.1::

    name-addr  = [ display-name ] LAQUOT addr-spec RAQUOT
    addr-spec  = SIP-URI / SIPS-URI / absoluteURI
    display-name = *(token LWS) / quoted-string

In the addr-spec form (no angle brackets) everything after the first
``;`` is a header parameter and the URI ends at ``;`` or ``,`` (RFC 3261
20).  A ``?`` there is tolerated like OpenSER does (RFC 4475 3.1.2.13
allows inferring the brackets).  URIs are kept as text; only
``NameAddr.parsed_uri()`` calls the URI parser.
"""
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_URI
from openser_py.parser.parse_param import (
    WS, TOKEN_WS, get_param, latin1_except, lead_lws as _lead, parse_params,
    quoted_end, split_commas, unquote)

__all__ = ["NameAddr", "ToBody", "parse_nameaddr", "parse_to",
           "parse_nameaddr_list"]

_T = r"A-Za-z0-9\-.!%*_+`'~"

# fast path: the common shapes  "Quoted" <uri>;p=v   Tok Tok <uri>   <uri>
# groups: quoted display, token display, uri, params text, tag (if first).
# Possessive quantifiers: no repetition needs to give characters back
# (sre then keeps no backtracking state).
# Negated classes are written as positive latin-1 ones (half the cost in
# sre; see parse_param.latin1_except).
_PVAL = latin1_except(';, \t\r\n"<>')
# Optional parts are written ``(?:X|)`` rather than ``(?:X)?+`` (sre runs
# a general repeat for a group, a cheaper branch for the alternation; no
# backtracking into it can produce another match: what follows each one
# cannot start with what it matched), and the token display name is one
# class repetition (``1*(token LWS)`` followed by "<" is exactly a token
# character then token characters and LWS; the display property strips
# the trailing LWS).
_PTEXT_BODY = (r'((?:;tag=(%s++)|)'
               r'(?:;[%s]++(?:=%s++|))*+)' % (_PVAL, _T, _PVAL))
_PTEXT = _PTEXT_BODY + r'\Z'
_NAME_ADDR = (
    r'(?:"(%s*+)"[ \t]*+|([%s][%s \t]*+)|)'
    r'<([A-Za-z][A-Za-z0-9+.\-]{0,31}+:%s{0,%d}+)>'
    % (latin1_except('"\\'), _T, _T, latin1_except('<>" \t\r\n'),
       MAX_URI - 40) + _PTEXT_BODY)
_FAST = re.compile(_NAME_ADDR + r'\Z')
# fast path for the addr-spec form:  sip:user@host;tag=x
_FAST_SPEC = re.compile(
    r'([A-Za-z][A-Za-z0-9+.\-]{0,31}+:%s{1,%d}+)'
    % (latin1_except('<>" \t\r\n;,'), MAX_URI - 40)
    + _PTEXT)
_FAST_MATCH = _FAST.match
# package-internal name for the hot accessors in msg.py
FAST_MATCH = _FAST_MATCH
# ``_FAST`` on a raw header value (surrounding LWS allowed, so msg.py's
# accessors need not strip it); offsets read from such a match are made
# relative to the stripped value (``_lead``).
FAST_RAW = re.compile(
    r'[ \t\r\n]*+' + _NAME_ADDR + r'[ \t\r\n]*+\Z').match

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_BAD_IN_BRACKETS = re.compile(r'[ \t\r\n<>"]')
_BAD_IN_SPEC = re.compile(r'[ \t\r\n<>",]')
_FORM = re.compile(r'[<;"]')
# display names may carry UTF-8 (seen as latin-1) even unquoted; we accept
# those bytes but no separators (RFC 4475 3.1.2.15: "Bell, Alexander")
_DISPLAY_OK = TOKEN_WS.union(chr(c) for c in range(0x80, 0x100))


class NameAddr:
    """A parsed name-addr or addr-spec.

    ``display``: display name, quotes removed and escapes resolved (""
    if absent); ``uri``: the URI text; ``params``: ordered list of
    ``(name, value|None)`` header parameters; ``uri_start``/``uri_end``:
    offsets of the URI in the text that was parsed.
    """

    __slots__ = ("display", "uri", "_params", "uri_start", "uri_end",
                 "_puri")

    def __init__(self, display, uri, params, uri_start, uri_end, tag=None):
        # ``params``: a list, or validated ";a=b" text split on first use
        self.display = display
        self.uri = uri
        self._params = params
        self.uri_start = uri_start
        self.uri_end = uri_end
        self._puri = None

    @property
    def params(self):
        """Ordered list of (name, value|None) header parameters."""
        p = self._params
        if p.__class__ is str:
            p = self._params = _simple_params(p)
        return p

    @property
    def name(self):
        """Alias of :attr:`display` (OpenSER calls it ``name``)."""
        return self.display

    def get_param(self, name: str, default=None):
        """Value of a parameter (name case-insensitive); a parameter
        without value gives None, an absent one ``default``."""
        return get_param(self.params, name.lower(), default)

    def has_param(self, name: str) -> bool:
        """True if the parameter is present (with or without value)."""
        marker = object()
        return get_param(self.params, name.lower(), marker) is not marker

    def parsed_uri(self):
        """The URI parsed by ``parse_uri.parse_uri`` (cached)."""
        if self._puri is None:
            from openser_py.parser.parse_uri import parse_uri
            self._puri = parse_uri(self.uri)
        return self._puri

    def __repr__(self):
        return "%s(%r, %r, %r)" % (type(self).__name__, self.display,
                                   self.uri, self.params)


class ToBody(NameAddr):
    """To/From value: a NameAddr plus its ``tag`` (None if absent)."""

    __slots__ = ("tag",)

    def __init__(self, display, uri, params, uri_start, uri_end, tag=None):
        self.display = display
        self.uri = uri
        self._params = params
        self.uri_start = uri_start
        self.uri_end = uri_end
        self._puri = None
        if tag is None and params:
            for n, v in self.params:
                if n == "tag" or n.lower() == "tag":
                    if v is None:
                        raise SipParseError("empty tag")
                    tag = v
        self.tag = tag


class _Matched:
    """Mixin for values made by the regex fast path: ``display``,
    ``uri``, ``uri_start``, ``uri_end`` and the parameter text are read
    from the match ``_m`` of ``_FAST`` on demand (it validated them).
    The classes are called without arguments (``object.__init__``:
    cheaper than ``object.__new__``), then their slots filled."""

    __slots__ = ()
    __init__ = object.__init__

    @property
    def display(self):
        """Display name ("" if absent)."""
        m = self._m
        q = m[1]
        return q if q is not None else (m[2] or "").rstrip(" \t")

    uri = property(lambda self: self._m[3], doc="URI text.")
    uri_start = property(lambda self: self._m.start(3) - _lead(self._m),
                         doc="Offset of the URI in the parsed text.")
    uri_end = property(lambda self: self._m.end(3) - _lead(self._m),
                       doc="End offset of the URI in the parsed text.")

    @property
    def params(self):
        """Ordered list of (name, value|None) header parameters."""
        p = self._params
        if p is None:
            p = self._params = _simple_params(self._m[4])
        return p


class _MatchedNameAddr(_Matched, NameAddr):
    __slots__ = ("_m",)


class _MatchedToBody(_Matched, ToBody):
    __slots__ = ("_m",)


# they stand for their public classes (repr, error messages)
_MatchedNameAddr.__name__ = _MatchedNameAddr.__qualname__ = "NameAddr"
_MatchedToBody.__name__ = _MatchedToBody.__qualname__ = "ToBody"
# package-internal: msg.py's accessors fill them themselves
MatchedNameAddr = _MatchedNameAddr
MatchedToBody = _MatchedToBody



def to_body_from_match(m):
    """The ToBody of a ``_FAST`` match of the whole value (package-
    internal: the hot path, also called by msg.py's ``from_``/``to``)."""
    to = _MatchedToBody()
    to._m = m
    to._puri = None
    tag = m[5]
    if tag is None:
        ptext = m[4]
        if ptext:   # a tag later on or in another case: split and look
            params = to._params = _simple_params(ptext)
            for n, v in params:
                if n == "tag" or n.lower() == "tag":
                    if v is None:
                        raise SipParseError("empty tag")
                    tag = v
            to.tag = tag
            return to
    to._params = None
    to.tag = tag
    return to


def nameaddr_from_match(m):
    """The NameAddr of a ``_FAST`` match of the whole text."""
    na = _MatchedNameAddr()
    na._m = m
    na._params = None
    na._puri = None
    return na


def _simple_params(ptext):
    """Split an already validated ``;a=b;c`` string."""
    if not ptext:
        return []
    out = []
    for p in ptext[1:].split(";"):
        n, eq, v = p.partition("=")
        out.append((n, v if eq else None))
    return out


def _check_uri(uri, bad_re):
    if not uri:
        raise SipParseError("empty URI")
    if len(uri) > MAX_URI:
        raise SipParseError("URI too long")
    if bad_re.search(uri) is not None or _SCHEME.match(uri) is None:
        raise SipParseError("bad URI in name-addr")


def _fast(sub, base, cls):
    """The regex fast paths (URI length bounded there), or None."""
    m = _FAST_MATCH(sub)
    if m is not None:
        q, tok, uri, ptext, tag = m.groups()
        return cls(q if q is not None else (tok or "").rstrip(" \t"),
                   uri, ptext,
                   base + m.start(3), base + m.end(3), tag)
    m = _FAST_SPEC.match(sub)
    if m is not None:
        uri, ptext, tag = m.groups()
        return cls("", uri, ptext, base, base + len(uri), tag)
    return None


def _parse_element(s, i, j, cls):
    """Parse ``s[i:j]`` (one list element) into ``cls``."""
    sub = s[i:j]
    stripped = sub.lstrip(WS)
    base = i + len(sub) - len(stripped)
    sub = stripped.rstrip(WS)
    r = _fast(sub, base, cls)
    return r if r is not None else _parse_slow(sub, base, cls)


def _parse_slow(sub, base, cls):
    """General name-addr / addr-spec parser (LWS, escapes, odd forms)."""
    if not sub:
        raise SipParseError("empty name-addr")
    lt = -1
    display = ""
    if sub[0] == '"':
        q = quoted_end(sub, 0)
        display = unquote(sub[1:q - 1])
        lt = len(sub) - len(sub[q:].lstrip(WS))
        if sub[lt:lt + 1] != "<":
            raise SipParseError("display name without <URI>")
    else:
        m = _FORM.search(sub)
        if m is not None and m.group() == "<":
            lt = m.start()
            display = sub[:lt].rstrip(WS)
            if not _DISPLAY_OK.issuperset(display):
                raise SipParseError("bad display name")
    if lt >= 0:
        gt = sub.find(">", lt + 1)
        if gt < 0:
            raise SipParseError("missing >")
        uri = sub[lt + 1:gt]
        _check_uri(uri, _BAD_IN_BRACKETS)
        rest = sub[gt + 1:].lstrip(WS)
        if not rest:
            params = []
        elif rest[0] == ";":
            params = parse_params(rest, 1)
        else:
            raise SipParseError("garbage after >")
        return cls(display, uri, params, base + lt + 1, base + gt)
    # addr-spec form: parameters after the first ';' belong to the header
    semi = sub.find(";")
    uri = (sub if semi < 0 else sub[:semi]).rstrip(WS)
    _check_uri(uri, _BAD_IN_SPEC)
    params = [] if semi < 0 else parse_params(sub, semi + 1)
    return cls("", uri, params, base, base + len(uri))


def parse_nameaddr(text: str) -> NameAddr:
    """Parse one name-addr or addr-spec with its parameters."""
    r = _fast(text, 0, NameAddr)
    return r if r is not None else _parse_element(text, 0, len(text),
                                                  NameAddr)


def parse_to(text: str) -> ToBody:
    """Parse a To/From header value (a single name-addr with tag)."""
    m = _FAST_MATCH(text)
    if m is not None:
        return to_body_from_match(m)
    r = _fast(text, 0, ToBody)
    return r if r is not None else _parse_element(text, 0, len(text), ToBody)


def parse_nameaddr_list(text: str, cls=NameAddr):
    """Parse a comma-separated list of name-addrs (Route, Record-Route,
    Path...).  An empty value is an error."""
    if "," not in text:
        if cls is NameAddr:
            m = _FAST_MATCH(text)
            if m is not None:
                return [nameaddr_from_match(m)]
        r = _fast(text, 0, cls)
        if r is not None:
            return [r]
    return [_parse_element(text, i, j, cls) for i, j in split_commas(text)]
