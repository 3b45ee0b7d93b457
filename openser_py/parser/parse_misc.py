"""Small header values: Max-Forwards, Expires, Content-Length, Call-ID,
option-tag lists (Require, Proxy-Require, Supported, Unsupported) and
Date (RFC 3261 20.*, 25.1)."""
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_param import WS

__all__ = ["parse_max_forwards", "parse_expires", "parse_content_length",
           "parse_callid", "parse_option_tags", "parse_date",
           "MAX_EXPIRES"]

MAX_EXPIRES = 2 ** 32 - 1
_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")

# RFC 3261 25.1 SIP-date = rfc1123-date = wkday "," SP date1 SP time SP "GMT"
_DATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT")


def _digits(body, what, limit):
    """Decimal value of ``body`` (ASCII digits only) not above ``limit``."""
    if not (body.isascii() and body.isdigit()):
        raise SipParseError("bad %s header" % what)
    if len(body.lstrip("0")) > 12:
        raise SipParseError("%s value too large" % what)
    value = int(body)
    if value > limit:
        raise SipParseError("%s value too large" % what)
    return value


def parse_max_forwards(body: str) -> int:
    """Max-Forwards = 1*DIGIT, 0..255 (RFC 3261 20.22)."""
    if body.isdecimal() and len(body) < 4:   # latin-1: only 0-9
        value = int(body)
        if value < 256:
            return value
    return _digits(body, "Max-Forwards", 255)


def parse_expires(body: str) -> int:
    """Expires = delta-seconds, 0..2**32-1 (RFC 3261 20.19)."""
    return _digits(body, "Expires", MAX_EXPIRES)


def parse_content_length(body: str) -> int:
    """Content-Length = 1*DIGIT (RFC 3261 20.14); negative, non-numeric
    or absurd values are errors (RFC 4475 3.1.2.3)."""
    return _digits(body, "Content-Length", MAX_EXPIRES)


def parse_callid(body: str) -> str:
    """Call-ID = word [ "@" word ]: any non-empty run without LWS (the
    word alphabet is wide: RFC 4475 3.1.1.2)."""
    if not body or " " in body or "\t" in body or "\r" in body \
            or "\n" in body:
        raise SipParseError("bad Call-ID header")
    return body


def parse_option_tags(body: str):
    """``option-tag *(COMMA option-tag)`` -> list of tags (an empty value
    gives an empty list, allowed for Supported)."""
    if not body:
        return []
    tags = [t.strip(WS) for t in body.split(",")]
    for t in tags:
        if _TOKEN.fullmatch(t) is None:
            raise SipParseError("bad option tag list")
    return tags


def parse_date(body: str):
    """SIP-date (RFC 3261 20.17: only GMT, RFC 4475 3.1.2.12).

    Returns a ``(year, month, day, hour, minute, second)`` tuple."""
    m = _DATE.fullmatch(body)
    if m is None:
        raise SipParseError("bad Date header")
    wk, day, mon, year, hh, mm, ss = m.groups()
    month = "JanFebMarAprMayJunJulAugSepOctNovDec".index(mon) // 3 + 1
    t = (int(year), month, int(day), int(hh), int(mm), int(ss))
    if not (1 <= t[2] <= 31 and t[3] < 24 and t[4] < 60 and t[5] < 61):
        raise SipParseError("bad Date header")
    return t
