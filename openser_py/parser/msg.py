"""The SIP message (OpenSER ``struct sip_msg``) and stream framing.

Construction is cheap: find the end of the header block, parse the first
line, split and classify the header fields (RFC 3261 7.3, folding per
7.3.1) and slice the body by Content-Length (RFC 3261 18.3, 20.14).
Header values are parsed on first access and cached.

Hot path notes: the header index is three parallel lists (logical lines,
their ``str.partition(":")`` tuples, header types) built with C-level
``map`` calls; :class:`HdrField` objects are only created when asked for
and accessors parse only the field they need.
"""
import re
from itertools import accumulate, repeat
from operator import add

from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import (
    FAST_GET, HDR_NAMES, ITEM0, ITEM1, HdrField, HdrType, blank_line,
    classify_slow, hdr_type, split_header_block)
from openser_py.parser.limits import (
    MAX_HEADERS, MAX_LINE, MAX_MSG_SIZE, MAX_URI, MAX_VIA)
from openser_py.parser.methods import METHOD_IDS, METHOD_OTHER
from openser_py.parser.parse_contact import ContactList, parse_contacts
from openser_py.parser.parse_content import (
    parse_content_type, parse_multipart)
from openser_py.parser.parse_cseq import parse_cseq
from openser_py.parser.digest import parse_credentials
from openser_py.parser.parse_fline import parse_first_line
from openser_py.parser.parse_misc import (
    parse_callid, parse_content_length, parse_date, parse_expires,
    parse_max_forwards, parse_option_tags)
from openser_py.parser.parse_nameaddr import parse_nameaddr_list, parse_to
from openser_py.parser.parse_param import WS
from openser_py.parser.parse_via import parse_via

__all__ = ["SipMsg", "parse_msg", "stream_frame", "skip_keepalive"]

_H = HdrType
(_CL, _CSEQ, _OTHER, _VIA, _FROM, _TO, _CALLID, _MAXFWD, _EXPIRES, _CTYPE,
 _DATE, _ROUTE, _RR, _PATH, _REQUIRE, _PREQUIRE, _SUPPORTED, _UNSUPPORTED,
 _CONTACT, _AUTH, _PAUTH) = (
    _H.CONTENTLENGTH, _H.CSEQ, _H.OTHER, _H.VIA, _H.FROM, _H.TO, _H.CALLID,
    _H.MAXFORWARDS, _H.EXPIRES, _H.CONTENTTYPE, _H.DATE, _H.ROUTE,
    _H.RECORDROUTE, _H.PATH, _H.REQUIRE, _H.PROXYREQUIRE, _H.SUPPORTED,
    _H.UNSUPPORTED, _H.CONTACT, _H.AUTHORIZATION, _H.PROXYAUTH)
_MANDATORY = (_VIA, _FROM, _TO, _CALLID, _CSEQ)
_SINGLE = (_FROM, _TO, _CALLID, _CSEQ)
_ALL_ACCESSORS = (
    "parsed_ruri", "vias", "from_", "to", "callid", "cseq", "max_forwards",
    "expires", "contacts", "routes", "record_routes", "path", "require",
    "proxy_require", "supported", "unsupported", "authorization",
    "proxy_authorization", "content_type")
_LEADING_CRLF = re.compile(rb"[\r\n]*")
_RURI_OK = re.compile(r'[^\x00-\x20\x7f<>"]+').fullmatch
_STREAM_CL = re.compile(
    r"^(?:content-length|l)[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)",
    re.I | re.M)


def _first_value(t, parser, doc):
    """A property: the first header of type ``t`` parsed by ``parser``
    (``SipMsg._parse_hdr`` inlined: this is the hot path)."""
    def get(self):
        types = self._types
        if t not in types:
            return None
        i = types.index(t)
        cache = self._cache
        r = cache.get(i)
        if r is None:
            try:
                r = parser(self._parts[i][2].strip(WS))
            except SipParseError:
                raise
            except Exception as e:
                raise SipParseError("bad %s header" % HdrType(t).name) from e
            cache[i] = r
            if self._hf is not None and self._hf[i] is not None:
                self._hf[i].parsed = r
        return r
    return property(get, doc=doc)


class SipMsg:
    """A received SIP message; see doc/dev/parser-api.md."""

    __slots__ = (
        "buf", "hdr_text", "body", "body_offset", "is_request", "method",
        "method_id", "ruri", "ruri_start", "ruri_end", "version", "status",
        "reason", "first_line_end",
        "_lines", "_parts", "_types", "_hf", "_starts", "_cache", "_clen",
        "rcv", "new_uri", "dst_uri", "path_vec", "lumps", "reply_lumps",
        "flags", "force_send_socket", "id", "_ctx")

    def __init__(self, buf, stream: bool = False):
        self.rcv = self.new_uri = self.dst_uri = self.path_vec = None
        self.lumps = self.reply_lumps = self.force_send_socket = None
        self._ctx = self._hf = self._starts = None
        self.flags = self.id = 0
        self._cache = {}
        try:
            self._parse(buf, stream)
        except SipParseError:
            raise
        except Exception as e:  # never let an internal error escape
            raise SipParseError("malformed message (%s)"
                                % type(e).__name__) from e

    def _parse(self, buf, stream):
        if buf.__class__ is not bytes:
            buf = bytes(buf)
        if len(buf) > MAX_MSG_SIZE:
            raise SipParseError("message too large", 413)
        if buf[:1] in (b"\r", b"\n"):
            # RFC 3261 7.5: ignore CRLFs before the start-line
            buf = buf[_LEADING_CRLF.match(buf).end():]
        p = buf.find(b"\r\n\r\n")
        if p >= 0:
            body_off = p + 4
            text = buf[:body_off].decode("latin-1")
            lines = text.split("\n")
            n = len(lines)
            if lines.index("") == n - 1 and lines.index("\r") == n - 2:
                del lines[-2:]
            else:   # an earlier empty line made of a bare LF
                body_off, text, lines = split_header_block(buf)
        else:
            body_off, text, lines = split_header_block(buf)
        self.hdr_text = text
        first = lines[0]
        self.first_line_end = len(first) + 1
        self._first_line(first[:-1] if first[-1:] == "\r" else first)
        del lines[0]
        # RFC 3261 7.3: header-name HCOLON header-value
        parts = list(map(str.partition, lines, repeat(":")))
        types = list(map(FAST_GET, map(ITEM0, parts)))
        if None in types:
            lines, parts, types = classify_slow(lines, parts, types)
        elif "" in map(ITEM1, parts):
            raise SipParseError("header without colon")
        if len(lines) > MAX_HEADERS:
            raise SipParseError("too many headers")
        if len(text) > MAX_LINE and max(map(len, lines)) > MAX_LINE:
            raise SipParseError("header line too long")
        self._lines = lines
        self._parts = parts
        self._types = types
        self._frame(buf, body_off, stream)

    def _first_line(self, line):
        sp = line.split(" ")
        if (len(sp) == 3 and sp[2] == "SIP/2.0" and sp[0] in METHOD_IDS
                and len(sp[1]) <= MAX_URI and _RURI_OK(sp[1])):
            # fast path: a well-formed request with a known method
            method = sp[0]
            self.is_request = True
            self.method = method
            self.method_id = METHOD_IDS[method]
            self.ruri = sp[1]
            self.ruri_start = start = len(method) + 1
            self.ruri_end = start + len(sp[1])
            self.version = "SIP/2.0"
            self.status = 0
            self.reason = ""
            return
        fl = parse_first_line(line)
        self.is_request = fl.is_request
        self.method = fl.method
        self.method_id = fl.method_id
        self.ruri = fl.ruri
        self.ruri_start = fl.ruri_start
        self.ruri_end = fl.ruri_end
        self.version = fl.version
        self.status = fl.status
        self.reason = fl.reason

    def _frame(self, buf, body_off, stream):
        """Content-Length and the body (RFC 3261 18.3, 20.14)."""
        types = self._types
        if _CL in types:
            parts = self._parts
            i = types.index(_CL)
            v = parts[i][2].strip(WS)
            clen = (int(v) if v.isdecimal() and len(v) < 10
                    else parse_content_length(v))
            if types.count(_CL) > 1:
                for j in range(i + 1, len(types)):
                    if types[j] is _CL and parse_content_length(
                            parts[j][2].strip(WS)) != clen:
                        raise SipParseError("conflicting Content-Length")
            end = body_off + clen
            if end > len(buf):
                raise SipParseError("body shorter than Content-Length")
        else:
            clen = None
            end = body_off if stream else len(buf)
        self._clen = clen
        if end < len(buf):
            buf = buf[:end]     # RFC 3261 18.3: extra bytes are ignored
        self.buf = buf
        self.body_offset = body_off
        self.body = buf[body_off:]
        if not self.is_request and _CSEQ in types:
            # replies take their method from CSeq (as OpenSER does)
            cs = self._hdr(types.index(_CSEQ), parse_cseq)
            self.method = cs.method
            self.method_id = METHOD_IDS.get(cs.method, METHOD_OTHER)

    # -- header fields --------------------------------------------------

    def _hdr(self, i, parser):
        """Value of header ``i`` parsed by ``parser`` (cached)."""
        r = self._cache.get(i)
        return r if r is not None else self._parse_hdr(i, parser)

    def _parse_hdr(self, i, parser):
        """Parse header ``i`` with ``parser`` and cache the result."""
        try:
            r = parser(self._parts[i][2].strip(WS))
        except SipParseError:
            raise
        except Exception as e:
            raise SipParseError("bad %s header"
                                % HdrType(self._types[i]).name) from e
        self._cache[i] = r
        hf = self._hf
        if hf is not None and hf[i] is not None:
            hf[i].parsed = r
        return r

    def _field(self, i):
        """The HdrField of logical header ``i`` (created on demand)."""
        hf = self._hf
        if hf is None:
            hf = self._hf = [None] * len(self._lines)
        f = hf[i]
        if f is None:
            lines = self._lines
            starts = self._starts
            if starts is not None:
                start = starts[i]
            elif i < 8:     # cheaper than all the offsets for a top header
                start = self.first_line_end + sum(map(len, lines[:i])) + i
            else:
                start = self._offsets()[i]
            name, _, raw = self._parts[i]
            lead = len(raw) - len(raw.lstrip(WS))
            f = hf[i] = HdrField(
                name.rstrip(" \t"), self._types[i], raw.strip(WS), start,
                start + len(lines[i]) + 1, start + len(name) + 1 + lead,
                self._cache.get(i))
        return f

    def _offsets(self):
        """Start offset in ``buf`` of every header line."""
        starts = self._starts
        if starts is None:
            starts = self._starts = list(accumulate(
                map((1).__add__, map(len, self._lines)), add,
                initial=self.first_line_end))
        return starts

    @property
    def headers(self):
        """Every header field, in order (list of HdrField)."""
        self._offsets()
        return [self._field(i) for i in range(len(self._lines))]

    def get_hdr(self, t):
        """First header field of type ``t`` or None."""
        types = self._types
        return self._field(types.index(t)) if t in types else None

    def get_hdrs(self, t):
        """All header fields of type ``t`` (list)."""
        return [self._field(i) for i in self._indices(t)]

    def get_hdrs_by_name(self, name: str):
        """Header fields named ``name`` (case-insensitive; a known header
        is found under its full and compact forms)."""
        t = hdr_type(name)
        if t != _OTHER:
            return self.get_hdrs(t)
        low = name.strip(" \t").lower()
        return [f for f in self.get_hdrs(_OTHER) if f.name.lower() == low]

    def get_hdr_by_name(self, name: str):
        """First header field named ``name`` or None."""
        found = self.get_hdrs_by_name(name)
        return found[0] if found else None

    # -- lazy accessors (parsed once, cached in _cache) -----------------

    def _indices(self, t):
        types = self._types
        n = types.count(t)
        if n <= 1:
            return (types.index(t),) if n else ()
        return [i for i, x in enumerate(types) if x == t]

    def _joined(self, key, t, parser):
        """Concatenated parsed lists of every header of type ``t``."""
        r = self._cache.get(key)
        if r is None:
            types = self._types
            n = types.count(t)
            if n == 1:
                r = self._hdr(types.index(t), parser)
            else:
                r = []
                for i in self._indices(t):
                    r.extend(self._hdr(i, parser))
            self._cache[key] = r
        return r

    @property
    def vias(self):
        """Every via-parm of every Via header field (list of ViaBody)."""
        r = self._joined("vias", _VIA, parse_via)
        if len(r) > MAX_VIA:
            raise SipParseError("too many Via headers")
        return r

    @property
    def via1(self):
        """First ViaBody or None."""
        types = self._types
        if _VIA in types:
            i = types.index(_VIA)
            r = self._cache.get(i)
            return (r if r is not None else self._parse_hdr(i, parse_via))[0]
        return None

    @property
    def via2(self):
        """Second ViaBody or None."""
        v = self.vias
        return v[1] if len(v) > 1 else None

    from_ = _first_value(_FROM, parse_to, "From value (ToBody) or None.")
    to = _first_value(_TO, parse_to, "To value (ToBody) or None.")
    callid = _first_value(_CALLID, parse_callid, "Call-ID (str) or None.")
    max_forwards = _first_value(_MAXFWD, parse_max_forwards,
                                "Max-Forwards (int 0..255) or None.")
    expires = _first_value(_EXPIRES, parse_expires, "Expires (int) or None.")
    content_type = _first_value(_CTYPE, parse_content_type,
                                "Content-Type (ContentType) or None.")
    date = _first_value(_DATE, parse_date,
                        "Date as (Y, M, D, h, m, s) or None (not checked "
                        "by parse_all: RFC 4475 3.1.2.12).")
    record_routes = property(
        lambda self: self._joined("rr", _RR, parse_nameaddr_list),
        doc="Record-Route entries (list of NameAddr).")
    path = property(
        lambda self: self._joined("path", _PATH, parse_nameaddr_list),
        doc="Path entries (list of NameAddr).")
    require = property(
        lambda self: self._joined("req", _REQUIRE, parse_option_tags),
        doc="Require option tags (list of str).")
    proxy_require = property(
        lambda self: self._joined("preq", _PREQUIRE, parse_option_tags),
        doc="Proxy-Require option tags (list of str).")
    supported = property(
        lambda self: self._joined("sup", _SUPPORTED, parse_option_tags),
        doc="Supported option tags (list of str).")
    unsupported = property(
        lambda self: self._joined("unsup", _UNSUPPORTED, parse_option_tags),
        doc="Unsupported option tags (list of str).")

    @property
    def routes(self):
        """Route entries (list of NameAddr)."""
        types = self._types
        if types.count(_ROUTE) == 1:    # the common case: one Route field
            i = types.index(_ROUTE)
            r = self._cache.get(i)
            return (r if r is not None
                    else self._parse_hdr(i, parse_nameaddr_list))
        return self._joined("routes", _ROUTE, parse_nameaddr_list)

    @property
    def content_length(self):
        """Content-Length header value (int) or None if absent."""
        return self._clen

    @property
    def cseq(self):
        """CSeqBody or None; for requests the method must match (400)."""
        types = self._types
        if _CSEQ in types:
            i = types.index(_CSEQ)
            r = self._cache.get(i)
            return r if r is not None else self._parse_hdr(
                i, self._checked_cseq)
        return None

    def _checked_cseq(self, value):
        cs = parse_cseq(value)
        if self.is_request and cs.method != self.method:
            raise SipParseError("CSeq method does not match request method")
        return cs

    def _credentials(self, key, t):
        r = self._cache.get(key)
        if r is None:
            r = [self._hdr(i, parse_credentials)
                 for i in self._indices(t)]
            self._cache[key] = r
        return r

    authorization = property(
        lambda self: self._credentials("auth", _AUTH),
        doc="Authorization credentials (list of DigestCredentials).")
    proxy_authorization = property(
        lambda self: self._credentials("pauth", _PAUTH),
        doc="Proxy-Authorization credentials (list).")

    @property
    def contacts(self):
        """ContactList over all Contact fields, None if there is none."""
        r = self._cache.get("contacts")
        if r is None:
            idx = self._indices(_CONTACT)
            if not idx:
                return None
            r = ContactList()
            for i in idx:
                one = self._hdr(i, parse_contacts)
                r.star = r.star or one.star
                r.contacts.extend(one.contacts)
            self._cache["contacts"] = r
        return r

    @property
    def parsed_ruri(self):
        """SipUri of the original Request-URI (None for replies).

        Unknown schemes give 416 (RFC 3261 8.2.2.1).  URI headers are
        syntactically fine here; refusing or stripping them is routing
        policy (RFC 4475 3.1.2.11)."""
        if not self.is_request:
            return None
        r = self._cache.get("ruri")
        if r is None:
            from openser_py.parser.parse_uri import parse_uri
            try:
                r = parse_uri(self.ruri)
            except SipParseError as e:
                if e.unsupported_scheme:
                    raise SipParseError(e.reason, 416) from e
                raise
            except Exception as e:
                raise SipParseError("bad Request-URI") from e
            self._cache["ruri"] = r
        return r

    def parts(self):
        """Multipart body -> list of (headers [(name, value)], bytes);
        [] when the body is not multipart."""
        ct = self.content_type
        if ct is None or not ct.is_multipart:
            return []
        r = self._cache.get("parts")
        if r is None:
            try:
                r = parse_multipart(self.body, ct.boundary)
            except SipParseError:
                raise
            except Exception as e:
                raise SipParseError("bad multipart body") from e
            self._cache["parts"] = r
        return r

    def parse_all(self):
        """Parse the R-URI and every known header; check the mandatory
        headers (RFC 3261 8.1.1) are present once.  Raises the first
        SipParseError found."""
        try:
            types = self._types
            for t in _MANDATORY:
                n = types.count(t)
                if n == 0:
                    raise SipParseError("missing %s header" % HDR_NAMES[t])
                if n > 1 and t in _SINGLE:
                    raise SipParseError("duplicate %s header" % HDR_NAMES[t])
            if types.count(_MAXFWD) > 1:
                raise SipParseError("duplicate Max-Forwards header")
            for name in _ALL_ACCESSORS:
                getattr(self, name)
        except SipParseError:
            raise
        except Exception as e:
            raise SipParseError("malformed message (%s)"
                                % type(e).__name__) from e

    @property
    def ctx(self):
        """Per-message dict for engine/module data (created on use)."""
        if self._ctx is None:
            self._ctx = {}
        return self._ctx

    def __repr__(self):
        if self.is_request:
            return "<SipMsg %s %s>" % (self.method, self.ruri)
        return "<SipMsg %d %s>" % (self.status, self.reason)


#: ``parse_msg(buf, stream=False)``: parse a received message.  It *is*
#: ``SipMsg(buf, stream)`` (an alias saves a call on the hot path).
parse_msg = SipMsg


def skip_keepalive(buf) -> int:
    """Number of leading CR/LF bytes (keep-alives) in a stream buffer."""
    return _LEADING_CRLF.match(buf).end()


def stream_frame(buf, max_size: int = MAX_MSG_SIZE):
    """Length of the first complete message in a TCP byte stream.

    The length includes leading CRLF keep-alives (``parse_msg`` skips
    them); None means more bytes are needed (also when ``buf`` holds only
    keep-alives).  Raises SipParseError when framing is impossible: a
    missing, invalid or conflicting Content-Length (RFC 3261 18.3: it is
    mandatory on streams) or a message larger than ``max_size`` (413).
    """
    try:
        return _stream_frame(buf, max_size)
    except SipParseError:
        raise
    except Exception as e:
        raise SipParseError("bad stream data (%s)" % type(e).__name__) from e


def _stream_frame(buf, max_size):
    skip = _LEADING_CRLF.match(buf).end()
    if skip == len(buf):
        return None
    body_off = blank_line(buf, skip)
    if body_off < 0:
        if len(buf) - skip > max_size:
            raise SipParseError("message too large", 413)
        return None
    if body_off - skip > max_size:
        raise SipParseError("message too large", 413)
    text = bytes(buf[skip:body_off]).decode("latin-1")
    first_end = text.find("\n")
    values = {parse_content_length(v.replace("\r", " ").replace("\n", " ")
                                   .strip(WS))
              for v in _STREAM_CL.findall(text, first_end + 1)}
    if not values:
        raise SipParseError("missing Content-Length on a stream")
    if len(values) > 1:
        raise SipParseError("conflicting Content-Length")
    total = body_off + values.pop()
    if total - skip > max_size:
        raise SipParseError("message too large", 413)
    return total if len(buf) >= total else None
