"""Header field types, names and the :class:`HdrField` record.

Header names are case-insensitive (RFC 3261 7.3.1) and many have a compact
form (RFC 3261 7.3.3 plus extensions: o, r, u, x, b, y, d, a, j, n).
``hdr_type(name)`` classifies a name as written; unknown names are
``HDR_OTHER`` and are compared by their lower-cased text.
"""
from enum import IntEnum
from itertools import repeat
from operator import itemgetter

from openser_py.parser.errors import SipParseError

__all__ = ["HdrType", "HdrField", "hdr_type", "canonical_name",
           "HDR_NAMES", "COMPACT_FORMS", "is_token", "blank_line",
           "split_header_block", "unfold", "classify_slow", "FAST_CODE",
           "UNKNOWN_CODE", "TYPE_BY_CODE"]


class HdrType(IntEnum):
    """Header field type (OpenSER ``hdr_types_t``, without the _T)."""

    OTHER = 0
    VIA = 1
    TO = 2
    FROM = 3
    CSEQ = 4
    CALLID = 5
    CONTACT = 6
    MAXFORWARDS = 7
    ROUTE = 8
    RECORDROUTE = 9
    PATH = 10
    CONTENTTYPE = 11
    CONTENTLENGTH = 12
    AUTHORIZATION = 13
    EXPIRES = 14
    PROXYAUTH = 15
    SUPPORTED = 16
    REQUIRE = 17
    PROXYREQUIRE = 18
    UNSUPPORTED = 19
    ALLOW = 20
    EVENT = 21
    ACCEPT = 22
    ACCEPTLANGUAGE = 23
    ORGANIZATION = 24
    PRIORITY = 25
    SUBJECT = 26
    USERAGENT = 27
    SERVER = 28
    ACCEPTDISPOSITION = 29
    CONTENTDISPOSITION = 30
    DIVERSION = 31
    RPID = 32
    REFER_TO = 33
    SESSIONEXPIRES = 34
    MIN_SE = 35
    PPI = 36
    PAI = 37
    PRIVACY = 38
    RETRY_AFTER = 39
    WWW_AUTHENTICATE = 40
    PROXY_AUTHENTICATE = 41
    DATE = 42
    CONTENTENCODING = 43
    ALLOWEVENTS = 44
    REFERRED_BY = 45
    IDENTITY = 46
    IDENTITY_INFO = 47
    REQUEST_DISPOSITION = 48
    ACCEPT_CONTACT = 49
    REJECT_CONTACT = 50
    MIN_EXPIRES = 51
    WARNING = 52
    AUTHENTICATION_INFO = 53
    CALLINFO = 54
    TIMESTAMP = 55
    REPLY_TO = 56
    IN_REPLY_TO = 57
    MIME_VERSION = 58
    ALERT_INFO = 59
    ERROR_INFO = 60
    CONTENTLANGUAGE = 61
    SUBSCRIPTION_STATE = 62
    RSEQ = 63
    RACK = 64


# module level HDR_* aliases (HDR_VIA, HDR_TO, ...)
for _m in HdrType:
    globals()["HDR_" + _m.name] = _m
    __all__.append("HDR_" + _m.name)
del _m

# canonical spelling of every known header
HDR_NAMES = {
    HdrType.VIA: "Via", HdrType.TO: "To", HdrType.FROM: "From",
    HdrType.CSEQ: "CSeq", HdrType.CALLID: "Call-ID",
    HdrType.CONTACT: "Contact", HdrType.MAXFORWARDS: "Max-Forwards",
    HdrType.ROUTE: "Route", HdrType.RECORDROUTE: "Record-Route",
    HdrType.PATH: "Path", HdrType.CONTENTTYPE: "Content-Type",
    HdrType.CONTENTLENGTH: "Content-Length",
    HdrType.AUTHORIZATION: "Authorization", HdrType.EXPIRES: "Expires",
    HdrType.PROXYAUTH: "Proxy-Authorization",
    HdrType.SUPPORTED: "Supported", HdrType.REQUIRE: "Require",
    HdrType.PROXYREQUIRE: "Proxy-Require",
    HdrType.UNSUPPORTED: "Unsupported", HdrType.ALLOW: "Allow",
    HdrType.EVENT: "Event", HdrType.ACCEPT: "Accept",
    HdrType.ACCEPTLANGUAGE: "Accept-Language",
    HdrType.ORGANIZATION: "Organization", HdrType.PRIORITY: "Priority",
    HdrType.SUBJECT: "Subject", HdrType.USERAGENT: "User-Agent",
    HdrType.SERVER: "Server",
    HdrType.ACCEPTDISPOSITION: "Accept-Disposition",
    HdrType.CONTENTDISPOSITION: "Content-Disposition",
    HdrType.DIVERSION: "Diversion", HdrType.RPID: "Remote-Party-ID",
    HdrType.REFER_TO: "Refer-To", HdrType.SESSIONEXPIRES: "Session-Expires",
    HdrType.MIN_SE: "Min-SE", HdrType.PPI: "P-Preferred-Identity",
    HdrType.PAI: "P-Asserted-Identity", HdrType.PRIVACY: "Privacy",
    HdrType.RETRY_AFTER: "Retry-After",
    HdrType.WWW_AUTHENTICATE: "WWW-Authenticate",
    HdrType.PROXY_AUTHENTICATE: "Proxy-Authenticate",
    HdrType.DATE: "Date", HdrType.CONTENTENCODING: "Content-Encoding",
    HdrType.ALLOWEVENTS: "Allow-Events", HdrType.REFERRED_BY: "Referred-By",
    HdrType.IDENTITY: "Identity", HdrType.IDENTITY_INFO: "Identity-Info",
    HdrType.REQUEST_DISPOSITION: "Request-Disposition",
    HdrType.ACCEPT_CONTACT: "Accept-Contact",
    HdrType.REJECT_CONTACT: "Reject-Contact",
    HdrType.MIN_EXPIRES: "Min-Expires", HdrType.WARNING: "Warning",
    HdrType.AUTHENTICATION_INFO: "Authentication-Info",
    HdrType.CALLINFO: "Call-Info", HdrType.TIMESTAMP: "Timestamp",
    HdrType.REPLY_TO: "Reply-To", HdrType.IN_REPLY_TO: "In-Reply-To",
    HdrType.MIME_VERSION: "MIME-Version", HdrType.ALERT_INFO: "Alert-Info",
    HdrType.ERROR_INFO: "Error-Info",
    HdrType.CONTENTLANGUAGE: "Content-Language",
    HdrType.SUBSCRIPTION_STATE: "Subscription-State",
    HdrType.RSEQ: "RSeq", HdrType.RACK: "RAck",
}

# RFC 3261 7.3.3 compact forms, plus RFC 3265 (o, u), 3515 (r), 4028 (x),
# 3892 (b), 4474 (y, n), 3841 (d, a, j)
COMPACT_FORMS = {
    "i": HdrType.CALLID, "m": HdrType.CONTACT, "e": HdrType.CONTENTENCODING,
    "l": HdrType.CONTENTLENGTH, "c": HdrType.CONTENTTYPE,
    "f": HdrType.FROM, "s": HdrType.SUBJECT, "k": HdrType.SUPPORTED,
    "t": HdrType.TO, "v": HdrType.VIA, "o": HdrType.EVENT,
    "r": HdrType.REFER_TO, "u": HdrType.ALLOWEVENTS,
    "x": HdrType.SESSIONEXPIRES, "b": HdrType.REFERRED_BY,
    "y": HdrType.IDENTITY, "d": HdrType.REQUEST_DISPOSITION,
    "a": HdrType.ACCEPT_CONTACT, "j": HdrType.REJECT_CONTACT,
    "n": HdrType.IDENTITY_INFO,
}

# lower-cased name -> type (full and compact forms)
_BY_LOWER = {name.lower(): t for t, name in HDR_NAMES.items()}
_BY_LOWER.update(COMPACT_FORMS)

# exact spellings seen on the wire -> type (the fast path, no lower())
FAST_NAMES = {}
for _t, _n in HDR_NAMES.items():
    for _v in (_n, _n.lower(), _n.upper(), _n.title()):
        FAST_NAMES[_v] = _t
for _c, _t in COMPACT_FORMS.items():
    FAST_NAMES[_c] = _t
    FAST_NAMES[_c.upper()] = _t
del _t, _n, _v, _c

# RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*"
#                            / "_" / "+" / "`" / "'" / "~" )
TOKEN_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "-.!%*_+`'~")


# One-character codes for header types (``chr(type)``): a message's header
# index is the str of its header codes, so lookups are ``str.find`` and
# ``str.count`` (C speed, no int comparisons).  ``FAST_CODE(name)`` gives
# the code of a known spelling (``FAST_NAMES``), ``UNKNOWN_CODE`` else.
UNKNOWN_CODE = "\x7f"
TYPE_BY_CODE = [HdrType(i) for i in range(len(HdrType))]


class _CodeTable(dict):
    """``FAST_NAMES`` with type codes; missing names give UNKNOWN_CODE."""

    __slots__ = ()

    def __missing__(self, name):
        return UNKNOWN_CODE


FAST_CODES = _CodeTable((n, chr(t)) for n, t in FAST_NAMES.items())
FAST_CODE = FAST_CODES.__getitem__

ITEM0 = itemgetter(0)
ITEM1 = itemgetter(1)
ITEM2 = itemgetter(2)
FAST_GET = FAST_NAMES.get
_OTHER = HdrType.OTHER


def is_token(s: str) -> bool:
    """True if ``s`` is a non-empty RFC 3261 token."""
    return bool(s) and TOKEN_CHARS.issuperset(s)


def hdr_type(name: str) -> HdrType:
    """Classify a header name (surrounding whitespace ignored)."""
    t = FAST_NAMES.get(name)
    if t is None:
        t = _BY_LOWER.get(name.strip(" \t").lower(), HdrType.OTHER)
    return t


def canonical_name(name: str) -> str:
    """Canonical spelling of a known header name, else ``name`` unchanged."""
    t = hdr_type(name)
    return HDR_NAMES.get(t, name) if t else name


class HdrField:
    """One header field of a message.

    ``name`` as written, ``type`` (:class:`HdrType`), ``body`` (the value
    with folding CR/LF replaced by spaces -- length preserving -- and
    surrounding whitespace stripped), ``start``/``end`` (offsets in
    ``msg.buf`` of the whole field, end just past its line end),
    ``body_start`` (offset in ``msg.buf`` of ``body[0]``, so
    ``msg.buf[body_start:body_start + len(body)]`` is the raw value),
    ``parsed`` (cache of the parsed value, None until parsed).
    """

    __slots__ = ("name", "type", "body", "start", "end", "body_start",
                 "parsed")

    def __init__(self, name, type_, body, start, end, body_start,
                 parsed=None):
        self.name = name
        self.type = type_
        self.body = body
        self.start = start
        self.end = end
        self.body_start = body_start
        self.parsed = parsed

    def __repr__(self):
        return "HdrField(%r, %s, %r, %d, %d)" % (
            self.name, HdrType(self.type).name, self.body, self.start,
            self.end)


# -- splitting a header block (RFC 3261 7.3) ---------------------------

def blank_line(buf, start=0):
    """Offset just past the first empty line (CRLF or bare LF) at or
    after ``start`` in ``buf`` (bytes), or -1."""
    p = buf.find(b"\n\r\n", start)
    q = buf.find(b"\n\n", start, len(buf) if p < 0 else p + 1)
    if q >= 0:
        return q + 2
    return p + 3 if p >= 0 else -1


def split_header_block(buf):
    """General header block split (bare LF line ends).

    Returns (body offset, header text, lines without the empty line)."""
    body_off = blank_line(buf)
    if body_off < 0:
        # RFC 3261 7: the header block always ends with an empty line
        raise SipParseError("end of headers not found")
    text = buf[:body_off].decode("latin-1")
    lines = text.split("\n")
    del lines[-2:]
    return body_off, text, lines


def unfold(lines):
    """Merge continuation lines (leading SP/HT, RFC 3261 7.3.1) into their
    header field.  CR and LF become spaces: the length (and so every
    offset) is preserved and LWS stays equivalent to SP."""
    out = []
    folded = False
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not out:
                raise SipParseError("folded line without header")
            out[-1] = out[-1] + "\n" + line
            folded = True
        else:
            out.append(line)
    if folded:
        out = [x.replace("\r", " ").replace("\n", " ") if "\n" in x else x
               for x in out]
    return out


def classify_slow(lines, parts, types):
    """The slow path of the header index: unfold continuation lines,
    check every field has a colon and a token name, and classify the
    names ``FAST_NAMES`` did not know (``types[i] is None``).

    ``parts`` are the ``str.partition(":")`` tuples of ``lines``; returns
    the (possibly merged) ``(lines, parts, types)``."""
    names = list(map(ITEM0, parts))
    if any(n[:1] in (" ", "\t") for n in names):
        lines = unfold(lines)
        parts = list(map(str.partition, lines, repeat(":")))
        names = list(map(ITEM0, parts))
        types = list(map(FAST_GET, names))
    if "" in map(ITEM1, parts):
        raise SipParseError("header without colon")
    for i, t in enumerate(types):
        if t is None:
            name = names[i].rstrip(" \t")
            if not name or not TOKEN_CHARS.issuperset(name):
                raise SipParseError("bad header name")
            types[i] = _BY_LOWER.get(name.lower(), _OTHER)
    return lines, parts, types
