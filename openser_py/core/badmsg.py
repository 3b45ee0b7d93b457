"""Answering messages the parser rejected (best effort, on the raw bytes).

When :func:`openser_py.parser.msg.parse_msg` raises, the core still wants to
tell a well-meaning but broken client what is wrong (``400 Bad Request``,
``505 Version Not Supported``, ``414``, ``416``, ``413``) instead of letting
it retransmit into silence.  A reply needs the request's Via, From, To,
Call-ID and CSeq; this module digs them out of the bytes with rules much
looser than the parser's, and gives up (returns None) as soon as something
needed is missing or unsafe to echo.

Rules (:func:`salvage`):

* at most ``MAX_MSG_SIZE`` bytes are looked at; leading CR/LF skipped;
  the header block ends at the first empty line (CRLF or bare LF), or at
  the end of the data;
* the first line is a request when it is ``token WS something WS SIP/...``
  (any amount of SP/HT between the three, any version): enough to answer
  505 or a 400 for RFC 4475's "extra whitespace" cases;
* header lines are ``name ":" value``; continuation lines are joined with
  one SP; a line without a colon is skipped; more than ``MAX_HEADERS``
  lines or one longer than ``MAX_LINE`` makes the message unreadable;
* Via (every one, in order), From, To, Call-ID and CSeq (the first of each)
  are recognised by full or compact name, case-insensitively; all five must
  be there, with no control characters other than HT.

:func:`build_reply` then writes, as the §17.3 layout: the status line, the
Via lines as received (the reply goes straight back to the packet's source
address, so no ``received``/``rport`` is needed to route it), From, To with
a To-tag added when it has none (md5 of the receiving socket, as sl's tags,
plus a CRC of the Via value), Call-ID, CSeq, the ``Server:`` line when
``server_signature`` is on, ``Content-Length: 0``.  An ACK is never
answered (RFC 3261 §17.2.1) and neither is anything that is not a request.

Pure functions: bytes in, bytes out, no sockets and no logging.
"""
import re

from openser_py.parser import tags
from openser_py.parser.errors import SipParseError
from openser_py.parser.limits import MAX_HEADERS, MAX_LINE, MAX_MSG_SIZE
from openser_py.parser.parse_via import parse_via
from openser_py.version import SERVER_HDR

__all__ = ["Salvage", "salvage", "build_reply", "looks_like_reply",
           "default_server_header"]

_REQUEST_LINE = re.compile(r"([!%'*+\-.0-9A-Z_`a-z~]+)[ \t]+([^ \t]+)[ \t]+"
                           r"([Ss][Ii][Pp]/[^ \t]*)[ \t]*")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TAG_PARAM = re.compile(r";[ \t]*tag[ \t]*=", re.I)
_KINDS = {"via": "via", "v": "via", "from": "from", "f": "from",
          "to": "to", "t": "to", "call-id": "callid", "i": "callid",
          "cseq": "cseq"}
_NEEDED = ("from", "to", "callid", "cseq")

_tag_prefixes = {}      # (ip, port) -> "<md5>."


class Salvage:
    """What could be read of a rejected message."""

    __slots__ = ("is_request", "method", "vias", "lines")

    def __init__(self, is_request, method="", vias=(), lines=None):
        self.is_request = is_request
        self.method = method
        self.vias = vias          # list of (line text, value) in order
        self.lines = lines or {}  # kind -> (line text, value)

    @property
    def complete(self):
        """True when every header a reply needs was found."""
        return bool(self.vias) and all(k in self.lines for k in _NEEDED)


def looks_like_reply(buf):
    """True when *buf* starts (after CR/LF) like a status line."""
    return buf[:MAX_LINE].lstrip(b"\r\n")[:4].upper() == b"SIP/"


def _header_lines(text):
    """Unfolded header lines after the first line; None if unreadable."""
    lines = []
    for raw in text.split("\n")[1:]:
        if raw.endswith("\r"):
            raw = raw[:-1]
        if not raw:
            break
        if raw[0] in " \t":
            if not lines:
                return None
            lines[-1] += " " + raw.strip(" \t")
        else:
            if len(lines) >= MAX_HEADERS:
                return None
            lines.append(raw.rstrip(" \t"))
        if len(lines[-1]) > MAX_LINE:
            return None
    return lines


def salvage(buf):
    """Read what a reply needs from *buf*; a :class:`Salvage` or None.

    None: not even the first line is readable.  ``is_request`` False: it
    is not a request.  Otherwise check :attr:`Salvage.complete`.
    """
    data = bytes(buf[:MAX_MSG_SIZE]).lstrip(b"\r\n")
    end = data.find(b"\r\n\r\n")
    if end < 0:
        end = data.find(b"\n\n")
    if end >= 0:
        data = data[:end + 2]
    text = data.decode("latin-1")
    first = text.partition("\n")[0].rstrip("\r")
    if len(first) > MAX_LINE or not first:
        return None
    m = _REQUEST_LINE.fullmatch(first)
    if m is None:
        return Salvage(False)
    result = Salvage(True, m.group(1), [])
    lines = _header_lines(text)
    if lines is None:
        return result
    found = result.lines
    for line in lines:
        name, colon, value = line.partition(":")
        kind = _KINDS.get(name.strip(" \t").lower()) if colon else None
        if kind is None:
            continue
        value = value.strip(" \t")
        if not value or _CONTROL.search(line):
            continue
        if kind == "via":
            result.vias.append((line, value))
        elif kind not in found:
            found[kind] = (line, value)
    return result


def _to_tag(via_value, ip, port):
    prefix = _tag_prefixes.get((ip, port))
    if prefix is None:
        if len(_tag_prefixes) > 64:
            _tag_prefixes.clear()
        prefix = tags.init_tags(tags.SL_SIGNATURE, ip, port) \
            + tags.SL_SEPARATOR
        _tag_prefixes[(ip, port)] = prefix
    try:
        via = parse_via(via_value)[0]
        parts = (via.host, via.port_str, via.branch)
    except (SipParseError, IndexError):
        parts = (via_value,)
    return prefix + tags.crcitt_string_array(parts)


def build_reply(salv, status, reason, dst_ip, dst_port, server_hdr=None):
    """The reply to a salvaged request as bytes, or None.

    *dst_ip*/*dst_port* identify the socket the request arrived on (they
    seed the To-tag); *server_hdr* is the ``Server:`` line or None.
    """
    if salv is None or not salv.is_request or not salv.complete \
            or salv.method == "ACK":
        return None
    found = salv.lines
    out = ["SIP/2.0 %d %s" % (status, reason)]
    out.extend(line for line, _ in salv.vias)
    out.append(found["from"][0])
    to_line, to_value = found["to"]
    if status >= 180 and _TAG_PARAM.search(to_value) is None:
        to_line += ";tag=" + _to_tag(salv.vias[0][1], dst_ip, dst_port)
    out.append(to_line)
    out.append(found["callid"][0])
    out.append(found["cseq"][0])
    if server_hdr:
        out.append(server_hdr.rstrip("\r\n"))
    out.append("Content-Length: 0")
    out.append("\r\n")
    return "\r\n".join(out).encode("latin-1")


def default_server_header(params):
    """The ``Server:`` line for core params *params* (None when off)."""
    if params:
        if not params.get("server_signature", True):
            return None
        header = params.get("server_header")
        if header:
            return header
    return "Server: " + SERVER_HDR
