"""The first line of a SIP message (RFC 3261 7.1, 7.2, 25.1)::

    Request-Line = Method SP Request-URI SP SIP-Version CRLF
    Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF

Elements are separated by exactly one SP (RFC 4475 3.1.2.8, 3.1.2.9
reject extra or embedded whitespace); trailing SP/HT after the version is
ignored, as OpenSER does (RFC 4475 3.1.2.10 allows it).  A well-formed
version other than SIP/2.0 gives 505 (RFC 4475 3.1.2.16); anything else
malformed gives 400.
"""
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_URI
from openser_py.parser.methods import METHOD_IDS, METHOD_OTHER

__all__ = ["FirstLine", "parse_first_line", "check_version"]

_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_VERSION = re.compile(r"SIP/[0-9]+\.[0-9]+", re.I)
# Request-URI: no whitespace, controls, angle brackets or quotes
_RURI = re.compile(r'[^\x00-\x20\x7f<>"]+')


class FirstLine:
    """Result of :func:`parse_first_line` (plain record)."""

    __slots__ = ("is_request", "method", "method_id", "ruri", "ruri_start",
                 "ruri_end", "version", "status", "reason")

    def __init__(self, is_request, method, method_id, ruri, ruri_start,
                 version, status, reason):
        self.is_request = is_request
        self.method = method
        self.method_id = method_id
        self.ruri = ruri
        self.ruri_start = ruri_start
        self.ruri_end = ruri_start + len(ruri)
        self.version = version
        self.status = status
        self.reason = reason


def check_version(version: str) -> str:
    """Accept SIP/2.0 (any case); 505 for other versions, else 400."""
    if version == "SIP/2.0" or version.upper() == "SIP/2.0":
        return version
    if _VERSION.fullmatch(version):
        raise SipParseError("SIP version not supported", 505)
    raise SipParseError("bad SIP version")


def _request(line):
    # OpenSER (and RFC 4475 3.1.2.10, liberally) accepts SP/HT after the
    # version; inside the line exactly one SP separates the elements
    parts = line.rstrip(" \t").split(" ")
    if len(parts) != 3:
        raise SipParseError("bad request line")
    method, ruri, version = parts
    if _TOKEN.fullmatch(method) is None:
        raise SipParseError("bad request method")
    if len(ruri) > MAX_URI:
        raise SipParseError("Request-URI too long", 414)
    if _RURI.fullmatch(ruri) is None:
        raise SipParseError("bad Request-URI")
    check_version(version)
    return FirstLine(True, method, METHOD_IDS.get(method, METHOD_OTHER),
                     ruri, len(method) + 1, version, 0, "")


def _reply(line):
    version, _, rest = line.partition(" ")
    check_version(version)
    code = rest[:3]
    if not (len(code) == 3 and code.isascii() and code.isdigit()):
        raise SipParseError("bad status code")
    if rest[3:4] not in ("", " "):
        raise SipParseError("bad status line")
    status = int(code)
    if status < 100 or status > 699:
        raise SipParseError("status code out of range")
    return FirstLine(False, "", 0, "", 0, version, status, rest[4:])


def parse_first_line(line: str) -> FirstLine:
    """Parse the first line (without its line end)."""
    if not line:
        raise SipParseError("empty first line")
    if line[:4].upper() == "SIP/":
        return _reply(line)
    return _request(line)
