"""Content-Type (RFC 3261 20.15) and multipart bodies (RFC 2046 5.1).

Bodies are bytes and stay bytes: part contents are sliced out of the
message body without decoding, so binary parts (S/MIME, RFC 4475
3.1.1.11) come back byte for byte.  Only part *headers* are decoded, with
latin-1 like the message headers.
"""
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_HEADERS, MAX_PARTS
from openser_py.parser.parse_param import WS, get_param, parse_params

__all__ = ["ContentType", "parse_content_type", "parse_multipart",
           "parse_part_headers"]

_T = r"A-Za-z0-9\-.!%*_+`'~"
_CTYPE = re.compile(r"([%s]+)[ \t]*/[ \t]*([%s]+)[ \t]*(;|\Z)" % (_T, _T))
_FOLD = re.compile(r"\r?\n[ \t]")
_HNAME = re.compile(r"[%s]+" % _T)


class ContentType:
    """``type``, ``subtype`` (as written), ``params`` ((name, value)
    list); ``mime`` is ``"type/subtype"`` in lower case."""

    __slots__ = ("type", "subtype", "params")

    def __init__(self, type_, subtype, params):
        self.type = type_
        self.subtype = subtype
        self.params = params

    @property
    def mime(self) -> str:
        """Lower-cased ``type/subtype``."""
        return ("%s/%s" % (self.type, self.subtype)).lower()

    @property
    def is_multipart(self) -> bool:
        """True for ``multipart/*``."""
        return self.type.lower() == "multipart"

    @property
    def boundary(self):
        """The ``boundary`` parameter (quotes removed) or None."""
        return get_param(self.params, "boundary")

    def get_param(self, name: str, default=None):
        """Parameter value, name case-insensitive."""
        return get_param(self.params, name.lower(), default)

    def __repr__(self):
        return "ContentType(%r, %r, %r)" % (self.type, self.subtype,
                                            self.params)


def parse_content_type(body: str) -> ContentType:
    """Parse ``type/subtype *(;param)``."""
    m = _CTYPE.match(body)
    if m is None:
        raise SipParseError("bad Content-Type header")
    params = parse_params(body, m.end()) if m.group(3) else []
    return ContentType(m.group(1), m.group(2), params)


def parse_part_headers(block: bytes):
    """Header block of a body part -> list of (name, value) str pairs."""
    text = _FOLD.sub(" ", block.decode("latin-1"))
    out = []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line:
            continue
        name, colon, value = line.partition(":")
        name = name.strip(" \t")
        if not colon or _HNAME.fullmatch(name) is None:
            raise SipParseError("bad header in body part")
        out.append((name, value.strip(WS)))
        if len(out) > MAX_HEADERS:
            raise SipParseError("too many headers in body part")
    return out


def _split_part(part: bytes):
    """One body part -> (headers, content)."""
    if part[:2] == b"\r\n":
        return [], part[2:]
    if part[:1] == b"\n":
        return [], part[1:]
    crlf = part.find(b"\r\n\r\n")
    lf = part.find(b"\n\n")
    if crlf < 0 and lf < 0:
        return parse_part_headers(part), b""
    if lf < 0 or (0 <= crlf < lf):
        return parse_part_headers(part[:crlf]), part[crlf + 4:]
    return parse_part_headers(part[:lf]), part[lf + 2:]


def _delimiter_end(body, pos, delim):
    """If ``body[pos:]`` starts a delimiter line return (end of line,
    is_close), else None."""
    i = pos + len(delim)
    close = body[i:i + 2] == b"--"
    if close:
        i += 2
    while body[i:i + 1] in (b" ", b"\t"):
        i += 1
    if body[i:i + 2] == b"\r\n":
        return i + 2, close
    if body[i:i + 1] == b"\n":
        return i + 1, close
    if i >= len(body):
        return i, True
    return None


def _next_delimiter(body, start, delim):
    """Find the next delimiter line at or after ``start`` (at the body
    start or after a line break).  Returns (pos, content_end, line_end,
    close) or None."""
    pos = start
    while True:
        pos = body.find(delim, pos)
        if pos < 0:
            return None
        if pos == 0 or body[pos - 1:pos] == b"\n":
            found = _delimiter_end(body, pos, delim)
            if found is not None:
                cend = pos
                if pos > 0:
                    cend -= 2 if body[pos - 2:pos] == b"\r\n" else 1
                return pos, max(cend, start), found[0], found[1]
        pos += len(delim)


def parse_multipart(body: bytes, boundary: str):
    """Split a multipart body -> list of (headers, content bytes).

    The preamble and epilogue are ignored; a missing close delimiter is
    tolerated, a body without any delimiter is an error."""
    if not boundary or len(boundary) > 70:
        raise SipParseError("bad multipart boundary")
    delim = b"--" + boundary.encode("latin-1")
    found = _next_delimiter(body, 0, delim)
    if found is None:
        raise SipParseError("multipart boundary not found")
    parts = []
    close = found[3]
    start = found[2]
    while not close:
        found = _next_delimiter(body, start, delim)
        if found is None:
            parts.append(_split_part(body[start:]))
            break
        parts.append(_split_part(body[start:found[1]]))
        if len(parts) > MAX_PARTS:
            raise SipParseError("too many body parts")
        start, close = found[2], found[3]
    return parts
