"""Lexical helpers shared by the header parsers: parameters, quoted
strings and comma-separated lists (RFC 3261 25.1).

All scanners here are linear: they jump with ``str.find`` / anchored
regex matches whose repetitions are unambiguous (e.g. the unrolled
quoted-string loop ``"[^"\\]*(?:\\.[^"\\]*)*"``), so hostile input cannot
make them backtrack.
"""
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_LIST, MAX_PARAMS

__all__ = ["WS", "TOKEN_WS", "parse_params", "get_param", "quoted_end",
           "unquote", "split_commas", "latin1_except", "lead_lws"]

# Whitespace of the SIP grammar.  str.strip() without arguments would also
# strip latin-1 images of UTF-8 bytes (\x85, \xa0), so always pass WS.
WS = " \t\r\n"



_WS_START = (" ", "\t", "\r", "\n")


def lead_lws(m):
    """Leading LWS of the text regex match ``m`` matched in: 0 unless it is
    a raw header value matched by a ``FAST_RAW`` pattern (offsets are made
    relative to the stripped value, which is what ``HdrField.body`` holds;
    used by parse_via and parse_nameaddr)."""
    s = m.string
    if s[:1] in _WS_START:
        return len(s) - len(s.lstrip(WS))
    return 0


def latin1_except(excluded: str) -> str:
    """A regex class of every latin-1 character not in *excluded*.

    The fast-path regexes use it instead of ``[^...]``: sre tests a
    negated set through a nested call (~44 instructions a character in
    CPython 3.11, ~24 for a positive bitmap).  Characters above U+00FF
    never match: message text is latin-1, and other input falls back to
    the general parsers, which are the reference."""
    out = []
    c = 0
    while c < 256:
        if chr(c) in excluded:
            c += 1
            continue
        start = c
        while c < 256 and chr(c) not in excluded:
            c += 1
        out.append("\\x%02x" % start if c - 1 == start
                   else "\\x%02x-\\x%02x" % (start, c - 1))
    return "[" + "".join(out) + "]"


# RFC 3261 25.1 token characters, as a regex class body
_TOK = r"A-Za-z0-9\-.!%*_+`'~"
TOKEN_WS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789-.!%*_+`'~ \t")

# one generic-param (RFC 3261 25.1): token [ EQUAL gen-value ], preceded
# by optional LWS, followed by LWS and either ";" or the end of the text.
# gen-value = token / host / quoted-string; host covers IPv6 references,
# so the unquoted value is any run of non-separator characters.
_PARAM_RE = re.compile(
    r'[ \t]*([%s]+)[ \t]*(?:=[ \t]*("[^"\\]*(?:\\.[^"\\]*)*"|[^ \t\r\n;,"]+))?'
    r'[ \t]*(;|\Z)' % _TOK, re.S)

_QSPECIAL = re.compile(r'["\\]')
_LIST_SPECIAL = re.compile(r'[",<]')
_UNESCAPE = re.compile(r"\\(.)", re.S)


def quoted_end(s: str, i: int) -> int:
    """``s[i]`` is a double quote: return the index just past the matching
    closing quote (quoted-pairs honoured, RFC 3261 25.1)."""
    j = i + 1
    while True:
        m = _QSPECIAL.search(s, j)
        if m is None:
            raise SipParseError("unterminated quoted string")
        k = m.start()
        if s[k] == '"':
            return k + 1
        j = k + 2


def unquote(inner: str) -> str:
    """Resolve the quoted-pairs of a quoted-string's content."""
    if "\\" not in inner:
        return inner
    return _UNESCAPE.sub(r"\1", inner)


def parse_params(text: str, start: int = 0):
    """Parse ``name[=value]`` pairs separated by ``;``.

    ``text[start:]`` is the parameter list without its leading ``;``.
    Returns an ordered list of ``(name, value)``; ``value`` is None for a
    parameter without ``=``; quoted values are returned without their
    quotes (escapes kept as written, like OpenSER).  Empty parameters
    (``;;``) and a trailing ``;`` are errors (RFC 4475 3.1.2.1).
    """
    out = []
    end = len(text)
    pos = start
    match = _PARAM_RE.match
    while True:
        m = match(text, pos)
        if m is None:
            raise SipParseError("bad parameter")
        name, value, sep = m.groups()
        if value is not None and value[:1] == '"':
            value = value[1:-1]
        out.append((name, value))
        if not sep:
            return out
        pos = m.end()
        if pos >= end:
            raise SipParseError("empty parameter")
        if len(out) >= MAX_PARAMS:
            raise SipParseError("too many parameters")


def get_param(params, name: str, default=None):
    """Value of parameter ``name`` (case-insensitive) in a params list;
    ``default`` if absent (a valueless parameter gives None)."""
    for n, v in params:
        if n == name or n.lower() == name:
            return v
    return default


def split_commas(s: str):
    """Split a header value at top-level commas (RFC 3261 7.3.1).

    Commas inside quoted strings and inside ``<...>`` do not separate.
    Returns a list of ``(start, end)`` index pairs into ``s`` (not
    stripped).  Unbalanced quotes or ``<`` raise SipParseError.
    """
    if "," not in s:
        return [(0, len(s))]
    out = []
    start = 0
    i = 0
    search = _LIST_SPECIAL.search
    while True:
        m = search(s, i)
        if m is None:
            break
        c = m.group()
        j = m.start()
        if c == ",":
            out.append((start, j))
            if len(out) >= MAX_LIST:
                raise SipParseError("too many list elements")
            start = i = j + 1
        elif c == '"':
            i = quoted_end(s, j)
        else:
            k = s.find(">", j)
            if k < 0:
                raise SipParseError("unbalanced <")
            i = k + 1
    out.append((start, len(s)))
    return out
