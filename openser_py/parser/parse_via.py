"""Via header values (RFC 3261 20.42 and 25.1)::

    Via           = ( "Via" / "v" ) HCOLON via-parm *(COMMA via-parm)
    via-parm      = sent-protocol LWS sent-by *( SEMI via-params )
    sent-protocol = protocol-name SLASH protocol-version SLASH transport
    sent-by       = host [ COLON port ]

SLASH and COLON allow whitespace around them.  Unknown transports are
kept (upper-cased).  An RFC 2543 style comment ``( ... )`` may follow the
parameters (OpenSER keeps it in ``comment``).
"""
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_PARAMS, MAX_VIA
from openser_py.parser.parse_param import (get_param, latin1_except,
                                           lead_lws as _lead)

__all__ = ["ViaBody", "parse_via"]

_T = r"A-Za-z0-9\-.!%*_+`'~"
_HOST = r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+)"

# fast path: "SIP/2.0/UDP host:port;branch=x;a=b;c" then "," or the end;
# groups: transport, host, port, params text, branch (if first), separator.
# The port alternatives accept exactly 0..65535 (up to 5 digits, as the
# general grammar).  Possessive quantifiers: no repetition here ever needs
# to give characters back (each is followed by a character it cannot
# match), so sre keeps no backtracking state for them.
_PORT = (r"[0-9]{1,4}+(?![0-9])|6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}"
         r"|6[0-4][0-9]{3}|[0-5][0-9]{4}")
# Value characters: ``[^;, \t\r\n"()]`` written as a positive latin-1
# class (half the cost in sre; see parse_param.latin1_except).
_VAL = latin1_except(';, \t\r\n"()')
# Optional parts are ``(?:X|)``, not ``(?:X)?+`` (an sre branch is cheaper
# than a general repeat; what follows each one cannot start with what it
# matched, so backtracking into it never makes another match).
_FAST_PARM = (
    r"SIP/2\.0/([A-Z]++) %s(?::(%s)|)"
    r"((?:;branch=(%s++)|)"
    r"(?:;[%s]++(?:=%s++|))*+)" % (_HOST, _PORT, _VAL, _T, _VAL))
_FAST = re.compile(_FAST_PARM + r"[ \t]*+(,[ \t]*+|\Z)")
# the whole (stripped) value is one via-parm: the usual case
_FAST_ONE = re.compile(_FAST_PARM + r"\Z").match
# the same on a raw header value (surrounding LWS allowed, so the caller
# need not strip it): msg.py's ``via1``.  Offsets read from such a match
# are made relative to the stripped value (``_lead``).
FAST_RAW = re.compile(
    r"[ \t\r\n]*+" + _FAST_PARM + r"[ \t\r\n]*+\Z").match
# package-internal name for the hot accessor in msg.py
FAST_ONE = _FAST_ONE

# general grammar, one piece at a time (anchored matches only)
_PROTO = re.compile(
    r"[ \t]*([%s]+)[ \t]*/[ \t]*([%s]+)[ \t]*/[ \t]*([%s]+)[ \t]+"
    % (_T, _T, _T))
_SENT_BY = re.compile(_HOST + r"(?:[ \t]*:[ \t]*([0-9]{1,5}))?")
_PARAM = re.compile(
    r'[ \t]*;[ \t]*([%s]+)(?:[ \t]*=[ \t]*'
    r'("[^"\\]*(?:\\.[^"\\]*)*"|[^ \t\r\n;,"()]+))?' % _T, re.S)
_COMMENT_START = re.compile(r"[ \t]*\(")
_COMMENT_SPECIAL = re.compile(r"[()\\]")
_SEP = re.compile(r"[ \t]*(,[ \t]*|\Z)")


class ViaBody:
    """One via-parm.

    ``proto_name`` ("SIP"), ``version`` ("2.0"), ``transport`` (upper
    case), ``host`` (IPv6 with brackets), ``port`` (int, 0 if absent),
    ``port_str``, ``params`` (ordered ``(name, value|None)``), ``branch``,
    ``comment``; ``received``, ``rport``, ``maddr``, ``ttl``, ``i`` are
    looked up in ``params`` (None if absent, "" for ``rport`` without
    value).  ``start``/``end``: offsets of the via-parm in the parsed text;
    ``params_end``: offset where new parameters are appended.

    The regex fast path of :func:`parse_via` returns a subclass that reads
    most fields from the match on demand (``_MatchedVia``); treat parsed
    values as read-only.
    """

    __slots__ = ("proto_name", "version", "transport", "host", "port_str",
                 "_params", "branch", "comment", "start", "end",
                 "params_end")

    def __init__(self, proto_name, version, transport, host, port_str,
                 params, branch, start, end, params_end, comment=None):
        # ``params`` is a list, or the validated ";a=b;c" text (split lazily)
        self.proto_name = proto_name
        self.version = version
        self.transport = transport
        self.host = host
        if port_str:
            if int(port_str) > 65535:
                raise SipParseError("bad Via port")
            self.port_str = port_str
        else:
            self.port_str = ""
        self._params = params
        self.branch = branch
        self.start = start
        self.end = end
        self.params_end = params_end
        self.comment = comment

    @property
    def port(self):
        """Port number (int), 0 if absent."""
        p = self.port_str
        return int(p) if p else 0

    @property
    def params(self):
        """Ordered list of (name, value|None)."""
        p = self._params
        if p.__class__ is str:
            p = self._params = _split_params(p)[0] if p else []
        return p

    def get_param(self, name: str, default=None):
        """Value of a parameter (name case-insensitive); None for a
        parameter without value, ``default`` if absent."""
        return get_param(self.params, name.lower(), default)

    def _get(self, name):
        return get_param(self.params, name)

    @property
    def received(self):
        """Value of ``received`` (None if absent)."""
        return self._get("received")

    @property
    def rport(self):
        """None if absent, "" if present without value, else the value."""
        marker = object()
        v = get_param(self.params, "rport", marker)
        if v is marker:
            return None
        return "" if v is None else v

    @property
    def maddr(self):
        """Value of ``maddr`` (None if absent)."""
        return self._get("maddr")

    @property
    def ttl(self):
        """Value of ``ttl`` (None if absent)."""
        return self._get("ttl")

    @property
    def i(self):
        """Value of ``i`` (OpenSER TCP connection alias id)."""
        return self._get("i")

    @property
    def sent_by(self):
        """``host[:port]`` as written (port only if present)."""
        return self.host + (":" + self.port_str if self.port_str else "")

    def __repr__(self):
        return "ViaBody(%s/%s/%s %s:%s %r)" % (
            self.proto_name, self.version, self.transport, self.host,
            self.port_str, self.params)


class _MatchedVia(ViaBody):
    """A ViaBody made by the regex fast path (:func:`via_from_match`):
    only ``branch``, ``start`` and the match are stored, the other fields
    are read from the match when asked for (the match already validated
    them; most users read only the branch).

    Created by calling the class without arguments (``object.__init__``:
    cheaper than ``object.__new__``), then filling the slots."""

    __slots__ = ("_m",)
    __init__ = object.__init__

    proto_name = "SIP"
    version = "2.0"
    comment = None
    transport = property(lambda self: self._m[1],
                         doc="Transport (upper case).")
    host = property(lambda self: self._m[2], doc="Host as written.")
    port_str = property(lambda self: self._m[3] or "",
                        doc="Port as written, \"\" if absent.")
    end = property(lambda self: self._m.end(4) - _lead(self._m),
                   doc="End offset of the via-parm in the parsed text.")
    params_end = property(lambda self: self._m.end(4) - _lead(self._m),
                          doc="Offset where new parameters go.")

    @property
    def params(self):
        """Ordered list of (name, value|None)."""
        p = self._params
        if p is None:
            p = self._m[4]
            p = self._params = _split_params(p)[0] if p else []
        return p


_MatchedVia.__name__ = _MatchedVia.__qualname__ = "ViaBody"
# package-internal: msg.py's ``via1`` fills one itself
MatchedVia = _MatchedVia



def via_from_match(m, pos):
    """The ViaBody of a ``_FAST``/``_FAST_ONE`` match at ``pos``
    (package-internal: msg.py's ``via1`` calls it directly)."""
    via = _MatchedVia()
    via._m = m
    via.start = pos
    branch = m[5]
    if branch is None:
        ptext = m[4]
        if ptext:   # not first, maybe another case: split and look
            via._params, branch = _split_params(ptext)
            via.branch = branch
            return via
    via._params = None
    via.branch = branch
    return via


def _split_params(ptext):
    """``;a=b;c`` (already validated) -> (params, branch)."""
    params = []
    branch = None
    for p in ptext[1:].split(";"):
        n, eq, v = p.partition("=")
        if not eq:
            v = None
        params.append((n, v))
        if n == "branch" or n.lower() == "branch":
            if v is None:
                raise SipParseError("Via branch without value")
            branch = v
    if len(params) > MAX_PARAMS:
        raise SipParseError("too many Via parameters")
    return params, branch


def _parse_comment(s, pos):
    """``s[pos]`` is '(': return (comment text, index past ')')."""
    depth = 0
    i = pos
    while True:
        m = _COMMENT_SPECIAL.search(s, i)
        if m is None:
            raise SipParseError("unterminated Via comment")
        c = m.group()
        k = m.start()
        if c == "\\":
            i = k + 2
            continue
        depth += 1 if c == "(" else -1
        i = k + 1
        if depth == 0:
            return s[pos + 1:k], i


def _parse_slow(s, pos):
    """Parse one via-parm at ``s[pos:]`` with the full grammar."""
    m = _PROTO.match(s, pos)
    if m is None:
        raise SipParseError("bad Via sent-protocol")
    start = m.start(1)
    name, version, transport = m.groups()
    h = _SENT_BY.match(s, m.end())
    if h is None:
        raise SipParseError("bad Via sent-by")
    params = []
    i = params_end = h.end()
    while True:
        p = _PARAM.match(s, i)
        if p is None:
            break
        value = p.group(2)
        if value is not None and value[:1] == '"':
            value = value[1:-1]
        params.append((p.group(1), value))
        if len(params) > MAX_PARAMS:
            raise SipParseError("too many Via parameters")
        i = params_end = p.end()
    comment = None
    c = _COMMENT_START.match(s, i)
    if c is not None:
        comment, i = _parse_comment(s, c.end() - 1)
    e = _SEP.match(s, i)
    if e is None:
        raise SipParseError("bad Via header")
    branch = None
    for n, v in params:
        if n.lower() == "branch":
            if v is None:
                raise SipParseError("Via branch without value")
            branch = v
    via = ViaBody(name.upper(), version, transport.upper(), h.group(1),
                  h.group(2), params, branch, start,
                  i if comment else params_end, params_end, comment)
    return via, e.end(), e.group(1) != ""


def parse_via(body: str):
    """Parse a Via header value into a list of :class:`ViaBody`."""
    m = _FAST_ONE(body)
    if m is not None:
        # the common case: one well-formed via-parm
        return [via_from_match(m, 0)]
    return _parse_list(body)


def _parse_list(body):
    out = []
    pos = 0
    n = len(body)
    match = _FAST.match
    while True:
        m = match(body, pos)
        if m is not None:
            via = via_from_match(m, pos)
            pos = m.end()
            more = m[6] != ""
        else:
            via, pos, more = _parse_slow(body, pos)
        out.append(via)
        if len(out) > MAX_VIA:
            raise SipParseError("too many Via bodies")
        if not more:
            return out
        if pos >= n:
            raise SipParseError("empty Via after comma")
