"""The SIP message (OpenSER ``struct sip_msg``) and stream framing.

Construction is cheap: find the end of the header block, parse the first
line, split and classify the header fields (RFC 3261 7.3, folding per
7.3.1) and slice the body by Content-Length (RFC 3261 18.3, 20.14).
Header values are parsed on first access and cached.

Hot path notes (CPython 3.11; see benchmarks/bench_parser.py):

* the header index is two parallel lists -- logical lines and their
  ``str.partition(":")`` tuples -- and the header types as a str of
  one-character codes (``hf.FAST_CODE``), so that finding a header is
  ``str.find``; ``index.index_head`` builds it (in C when
  ``_speedups`` is built) and ``_parse`` reuses it when the fast path
  does not apply;
* ``__init__`` inlines the common case (a request or a reply with a
  plain first line, CRLF line ends, only known header-name spellings,
  one Content-Length) and hands anything else to the general ``_parse``;
* parsed values are cached per header index in the list ``_vals``
  (derived values such as ``vias`` or ``contacts`` in the dict
  ``_cache``, created on first use); the hot accessors inline the
  lookup-parse-cache sequence;
* ``via1``, ``from_``, ``to`` and ``routes`` run their regex on the raw
  value (``FAST_RAW``: surrounding LWS and the CR allowed), not on a
  stripped copy, and fill the match-backed value object themselves;
* :class:`HdrField` objects are only created when asked for.
"""
import re
from itertools import accumulate, repeat
from operator import add

from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import (
    FAST_GET, HDR_NAMES, ITEM0, ITEM1, TYPE_BY_CODE,
    UNKNOWN_CODE, HdrField, HdrType, blank_line, classify_slow, hdr_type,
    split_header_block)
from openser_py.parser.index import index_head as _index_head
from openser_py.parser.limits import (
    MAX_HEADERS, MAX_LINE, MAX_MSG_SIZE, MAX_URI, MAX_VIA)
from openser_py.parser.methods import METHOD_IDS, METHOD_OTHER
from openser_py.parser.parse_contact import ContactList, parse_contacts
from openser_py.parser.parse_content import (
    parse_content_type, parse_multipart)
from openser_py.parser.parse_cseq import FastCSeq, parse_cseq
from openser_py.parser.digest import parse_credentials
from openser_py.parser.parse_fline import parse_first_line
from openser_py.parser.parse_misc import (
    parse_callid, parse_content_length, parse_date, parse_expires,
    parse_max_forwards, parse_option_tags)
from openser_py.parser.parse_nameaddr import (
    FAST_RAW as _NA_RAW, MatchedNameAddr as _MatchedNameAddr,
    MatchedToBody as _MatchedToBody, parse_nameaddr_list, parse_to,
    to_body_from_match)
from openser_py.parser.parse_param import WS
from openser_py.parser.parse_uri import parse_uri
from openser_py.parser.parse_via import (
    FAST_RAW as _VIA_RAW, MatchedVia as _MatchedVia, parse_via,
    via_from_match)

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
# their codes in the header index (``msg._types``, a str)
(_CL_C, _CSEQ_C, _VIA_C, _FROM_C, _TO_C, _CALLID_C, _MAXFWD_C,
 _ROUTE_C) = map(chr, (
     _CL, _CSEQ, _VIA, _FROM, _TO, _CALLID, _MAXFWD, _ROUTE))
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
    what = "bad %s header" % HdrType(t).name
    code = chr(t)

    def get(self):
        i = self._types.find(code)
        if i < 0:
            return None
        r = self._vals[i]
        if r is None:
            try:
                r = parser(self._parts[i][2].strip(WS))
            except SipParseError:
                raise
            except Exception as e:
                raise SipParseError(what) from e
            self._vals[i] = r
            if self._hf is not None:
                self._sync(i, r)
        return r
    return property(get, doc=doc)


def _classify(lines, parts):
    """The general header index: ``(lines, parts, types)`` from the lines
    and their ``str.partition(":")`` tuples (folding, unknown names,
    every check); ``types`` is the str of header codes."""
    types = list(map(FAST_GET, map(ITEM0, parts)))
    if None in types:
        lines, parts, types = classify_slow(lines, parts, types)
    elif "" in map(ITEM1, parts):
        raise SipParseError("header without colon")
    return lines, parts, "".join(map(chr, types))


def _to_body_property(c, doc):
    """The ``from_``/``to`` property: the first header with code ``c``
    (a ToBody) or None; ``_first_value`` with the regex fast path of
    ``parse_to`` inlined."""
    what = "bad %s header" % TYPE_BY_CODE[ord(c)].name

    def get(self):
        i = self._types.find(c)
        if i < 0:
            return None
        r = self._vals[i]
        if r is None:
            v = self._parts[i][2]
            try:
                # the regex takes the raw value (no strip); the match-
                # backed ToBody of to_body_from_match, inlined
                m = _NA_RAW(v)
                if m is None:
                    r = parse_to(v.strip(WS))
                elif (tag := m[5]) is not None or not m[4]:
                    r = _MatchedToBody()
                    r._m = m
                    r._puri = r._params = None
                    r.tag = tag
                else:   # a tag later on or in another case
                    r = to_body_from_match(m)
            except SipParseError:
                raise
            except Exception as e:
                raise SipParseError(what) from e
            self._vals[i] = r
            if self._hf is not None:
                self._sync(i, r)
        return r
    return property(get, doc=doc)


class SipMsg:
    """A received SIP message; see doc/dev/parser-api.md.

    Internals: ``_lines`` (logical header lines), ``_parts`` (their
    ``partition(":")`` tuples), ``_types`` (str of header codes,
    ``chr(HdrType)``), ``_vals`` (parsed value per header, None if not
    parsed yet), ``_hf`` (HdrField per header, created on demand),
    ``_cache`` (derived values, created on demand)."""

    __slots__ = (
        "buf", "hdr_text", "body", "body_offset", "is_request", "method",
        "method_id", "ruri", "ruri_start", "ruri_end", "version", "status",
        "reason", "first_line_end",
        "_lines", "_parts", "_types", "_vals", "_hf", "_starts", "_cache",
        "_clen",
        "rcv", "new_uri", "dst_uri", "path_vec", "lumps", "reply_lumps",
        "flags", "force_send_socket", "id", "ctx")

    def __init__(self, buf, stream: bool = False):
        self.rcv = self.new_uri = self.dst_uri = self.path_vec = None
        self.lumps = self.reply_lumps = self.force_send_socket = None
        self._hf = self._starts = self._cache = None
        self.ctx = {}   # per-message data of the engine and the modules
        self.flags = self.id = 0
        try:
            # The fast path, inlined: a request with a known method and a
            # plain R-URI or a reply with a plain Status-Line, CRLF line
            # ends, only known header-name spellings.  Anything else goes
            # to the general ``_parse`` (which reuses the header index
            # when there is one).
            idx = (_index_head(buf) if buf.__class__ is bytes
                   and len(buf) <= MAX_MSG_SIZE else None)
            if idx is not None:
                body_off, text, first, lines, parts, types = idx
                sp = first.split(" ")
                if (len(sp) == 3 and sp[2] == "SIP/2.0\r"
                        and (mid := METHOD_IDS.get(sp[0])) is not None
                        and len(ruri := sp[1]) <= MAX_URI
                        # no SP, controls, DEL, <, >, " (as _RURI_OK)
                        and ((ruri.isprintable() and '"' not in ruri
                              and "<" not in ruri and ">" not in ruri)
                             or _RURI_OK(ruri))):
                    method = sp[0]
                    self.is_request = True
                    self.method = method
                    self.method_id = mid
                    self.ruri = ruri
                    self.ruri_start = start = len(method) + 1
                    self.ruri_end = start + len(ruri)
                    self.status = 0
                    self.reason = ""
                elif (first[:8] == "SIP/2.0 " and first[11:12] == " "
                        and first[-1:] == "\r"
                        # latin-1 decimals are 0-9 only
                        and (code := first[8:11]).isdecimal()
                        and "100" <= code < "700"):
                    # parse_fline's Status-Line checks; the method comes
                    # from CSeq once the headers are indexed
                    self.is_request = False
                    self.method = self.ruri = ""
                    self.method_id = self.ruri_start = self.ruri_end = 0
                    self.status = int(code)
                    self.reason = first[12:-1]
                else:
                    sp = None
                if sp is not None:
                    self.version = "SIP/2.0"
                    self.hdr_text = text
                    self.first_line_end = len(first) + 1
                    if UNKNOWN_CODE in types:   # or folding
                        lines, parts, types = _classify(lines, parts)
                    if (len(lines) <= MAX_HEADERS
                            and (len(text) <= MAX_LINE
                                 or max(map(len, lines)) <= MAX_LINE)):
                        self._lines = lines
                        self._parts = parts
                        self._types = types
                        self._vals = [None] * len(lines)
                        # RFC 3261 18.3: one Content-Length, usually the
                        # last header (else the general _frame)
                        if types[-1] == _CL_C and _CL_C not in types[:-1]:
                            v = parts[-1][2].strip(WS)
                            if v.isdecimal() and len(v) < 10:
                                self._clen = clen = int(v)
                                end = body_off + clen
                                size = len(buf)
                                if end <= size:
                                    if end < size:
                                        buf = buf[:end]
                                    self.buf = buf
                                    self.body_offset = body_off
                                    self.body = buf[body_off:]
                                    if (not self.is_request
                                            and _CSEQ_C in types):
                                        self._reply_method(
                                            types.find(_CSEQ_C))
                                    return
                        self._frame(buf, body_off, stream)
                        return
                    idx = None     # too many or too long: _parse says
            self._parse(buf, stream, idx)
        except SipParseError:
            raise
        except Exception as e:  # never let an internal error escape
            raise SipParseError("malformed message (%s)"
                                % type(e).__name__) from e

    def _parse(self, buf, stream, idx=None):
        """The general construction path (any first line, bare LF line
        ends, folding, unknown header names, all the errors); ``idx`` is
        the header index of ``buf`` if ``index_head`` gave one."""
        if idx is not None and buf[:1] not in (b"\r", b"\n"):
            body_off, text, first, lines, parts, types = idx
            self.hdr_text = text
            self.first_line_end = len(first) + 1
            self._first_line(first[:-1] if first[-1:] == "\r" else first)
            if UNKNOWN_CODE in types:
                lines, parts, types = _classify(lines, parts)
            self._index_done(buf, stream, body_off, text, lines, parts,
                             types)
            return
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
        lines, parts, types = _classify(lines, parts)
        self._index_done(buf, stream, body_off, text, lines, parts, types)

    def _index_done(self, buf, stream, body_off, text, lines, parts, types):
        """Check the limits, store the header index, frame the body."""
        if len(lines) > MAX_HEADERS:
            raise SipParseError("too many headers")
        if len(text) > MAX_LINE and max(map(len, lines)) > MAX_LINE:
            raise SipParseError("header line too long")
        self._lines = lines
        self._parts = parts
        self._types = types
        self._vals = [None] * len(lines)
        self._frame(buf, body_off, stream)

    def _first_line(self, line):
        """Parse the first line (without its line end) into the slots."""
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
        n = types.count(_CL_C)
        if n:
            parts = self._parts
            i = types.find(_CL_C)
            v = parts[i][2].strip(WS)
            clen = (int(v) if v.isdecimal() and len(v) < 10
                    else parse_content_length(v))
            if n > 1:
                for j in range(i + 1, len(types)):
                    if types[j] == _CL_C and parse_content_length(
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
        if not self.is_request and _CSEQ_C in types:
            self._reply_method(types.find(_CSEQ_C))

    def _reply_method(self, i):
        """Replies take their method from CSeq (header ``i``), as OpenSER
        does; the CSeq value is parsed and cached on the way."""
        num, _, method = self._parts[i][2].strip(WS).partition(" ")
        mid = METHOD_IDS.get(method)
        if mid is not None and num.isdecimal() and len(num) < 10:
            # parse_cseq's fast path inlined (no HdrField exists yet)
            cs = FastCSeq()
            cs.num_str = num
            cs.method = method
            self._vals[i] = cs
        else:
            cs = self._hdr(i, parse_cseq)
            mid = METHOD_IDS.get(cs.method, METHOD_OTHER)
        self.method = cs.method
        self.method_id = mid

    # -- header fields --------------------------------------------------

    def _hdr(self, i, parser):
        """Value of header ``i`` parsed by ``parser`` (cached)."""
        r = self._vals[i]
        return r if r is not None else self._parse_hdr(i, parser)

    def _parse_hdr(self, i, parser):
        """Parse header ``i`` with ``parser`` and cache the result."""
        try:
            r = parser(self._parts[i][2].strip(WS))
        except SipParseError:
            raise
        except Exception as e:
            name = TYPE_BY_CODE[ord(self._types[i])].name
            raise SipParseError("bad %s header" % name) from e
        self._vals[i] = r
        if self._hf is not None:
            self._sync(i, r)
        return r

    def _sync(self, i, r):
        """Store a parsed value in header ``i``'s field if it exists."""
        f = self._hf[i]
        if f is not None:
            f.parsed = r

    def _derived(self):
        """The cache of derived values (``vias``, ``contacts``...)."""
        c = self._cache
        if c is None:
            c = self._cache = {}
        return c

    def _field(self, i):
        """The HdrField of logical header ``i`` (created on demand)."""
        hf = self._hf
        if hf is None:
            hf = self._hf = [None] * len(self._lines)
        f = hf[i]
        if f is None:
            start, end, body_start, body = self._span(i)
            f = hf[i] = HdrField(
                self._parts[i][0].rstrip(" \t"),
                TYPE_BY_CODE[ord(self._types[i])], body, start, end,
                body_start, self._vals[i])
        return f

    def _span(self, i):
        """``(start, end, body_start, body)`` of logical header ``i``: the
        offsets and value its HdrField has."""
        lines = self._lines
        starts = self._starts
        if starts is not None:
            start = starts[i]
        elif i < 8:     # cheaper than all the offsets for a top header
            start = self.first_line_end + sum(map(len, lines[:i])) + i
        else:
            start = self._offsets()[i]
        name, _, raw = self._parts[i]
        return (start, start + len(lines[i]) + 1,
                start + len(name) + 1 + len(raw) - len(raw.lstrip(WS)),
                raw.strip(WS))

    def _first_start(self, t):
        """Offset in ``buf`` of the first header field of type ``t``, or
        None (without creating the HdrField)."""
        i = self._types.find(chr(t))
        if i <= 0:
            return None if i else self.first_line_end
        if self._starts is not None:
            return self._starts[i]
        return self.first_line_end + sum(map(len, self._lines[:i])) + i

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

    @property
    def headers_start(self):
        """Offset in ``buf`` of the first header field, or None if there is
        none (``headers[0].start`` without making every HdrField)."""
        return self.first_line_end if self._lines else None

    def get_hdr(self, t):
        """First header field of type ``t`` or None."""
        i = self._types.find(chr(t))
        return self._field(i) if i >= 0 else None

    def hdr_body(self, t):
        """Body (stripped) of the first header of type ``t``, or None,
        without creating its HdrField (tm's transaction keys)."""
        i = self._types.find(chr(t))
        return self._parts[i][2].strip(WS) if i >= 0 else None

    def hdr_offsets(self, t):
        """``(start, end, body_start, body)`` of the first header field of
        type ``t`` -- its HdrField's ``start``, ``end``, ``body_start`` and
        ``body`` -- or None, without creating the HdrField (the lumps of
        maxfwd and rr only need the offsets)."""
        i = self._types.find(chr(t))
        return self._span(i) if i >= 0 else None

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

    # -- lazy accessors (parsed once, cached in _vals / _cache) ---------

    def _indices(self, t):
        """Indexes of the header fields of type ``t`` (in order)."""
        types = self._types
        c = chr(t)
        n = types.count(c)
        if n <= 1:
            return (types.find(c),) if n else ()
        return [i for i, x in enumerate(types) if x == c]

    def _joined(self, key, t, parser):
        """Concatenated parsed lists of every header of type ``t``."""
        cache = self._derived()
        r = cache.get(key)
        if r is None:
            types = self._types
            c = chr(t)
            if types.count(c) == 1:
                r = self._hdr(types.find(c), parser)
            else:
                r = []
                for i in self._indices(t):
                    r.extend(self._hdr(i, parser))
            cache[key] = r
        return r

    @property
    def vias(self):
        """Every via-parm of every Via header field (list of ViaBody)."""
        r = self._joined("vias", _VIA, parse_via)
        if len(r) > MAX_VIA:
            raise SipParseError("too many Via headers")
        return r

    # The hot accessors below inline the lookup-parse-cache sequence of
    # ``_first_value`` and the regex fast path of their value parser
    # (falling back to the parser itself): each call level saved counts.

    @property
    def via1(self):
        """First ViaBody or None."""
        types = self._types
        # usually the first header (str.find costs more than a compare)
        i = 0 if types[:1] == _VIA_C else types.find(_VIA_C)
        if i < 0:
            return None
        r = self._vals[i]
        if r is None:
            v = self._parts[i][2]
            try:
                # the regex takes the raw value (no strip); the match-
                # backed ViaBody of via_from_match, inlined
                m = _VIA_RAW(v)
                if m is None:
                    r = parse_via(v.strip(WS))
                elif (branch := m[5]) is not None or not m[4]:
                    via = _MatchedVia()
                    via._m = m
                    via.start = 0
                    via._params = None
                    via.branch = branch
                    r = [via]
                else:   # branch not first, or in another case
                    r = [via_from_match(m, 0)]
            except SipParseError:
                raise
            except Exception as e:
                raise SipParseError("bad VIA header") from e
            self._vals[i] = r
            if self._hf is not None:
                self._sync(i, r)
        return r[0]

    @property
    def via2(self):
        """Second ViaBody or None."""
        v = self.vias
        return v[1] if len(v) > 1 else None

    from_ = _to_body_property(_FROM_C, "From value (ToBody) or None.")
    to = _to_body_property(_TO_C, "To value (ToBody) or None.")

    @property
    def callid(self):
        """Call-ID (str) or None."""
        i = self._types.find(_CALLID_C)
        if i < 0:
            return None
        r = self._vals[i]
        if r is None:
            r = self._parts[i][2].strip(WS)
            # non-empty, no LWS (parse_callid inlined; no "\n": one line)
            if not r or " " in r or "\t" in r or "\r" in r:
                r = self._parse_hdr(i, parse_callid)
            self._vals[i] = r
            if self._hf is not None:
                self._sync(i, r)
        return r

    @property
    def max_forwards(self):
        """Max-Forwards (int 0..255) or None."""
        i = self._types.find(_MAXFWD_C)
        if i < 0:
            return None
        r = self._vals[i]
        if r is None:
            v = self._parts[i][2].strip(WS)
            # latin-1 decimals are 0-9 only (else the checking parser)
            if v.isdecimal() and len(v) < 4 and (r := int(v)) < 256:
                self._vals[i] = r
                if self._hf is not None:
                    self._sync(i, r)
            else:
                r = self._parse_hdr(i, parse_max_forwards)
        return r

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
        if _ROUTE_C not in types:
            return self._joined("routes", _ROUTE, parse_nameaddr_list)
        i = types.find(_ROUTE_C)
        if _ROUTE_C not in types[i + 1:]:   # the common case: one field
            r = self._vals[i]
            if r is None:
                v = self._parts[i][2]
                try:
                    # raw value, nameaddr_from_match inlined
                    m = None if "," in v else _NA_RAW(v)
                    if m is not None:
                        na = _MatchedNameAddr()
                        na._m = m
                        na._params = na._puri = None
                        r = [na]
                    else:
                        r = parse_nameaddr_list(v.strip(WS))
                except SipParseError:
                    raise
                except Exception as e:
                    raise SipParseError("bad ROUTE header") from e
                self._vals[i] = r
                if self._hf is not None:
                    self._sync(i, r)
            return r
        return self._joined("routes", _ROUTE, parse_nameaddr_list)

    @property
    def content_length(self):
        """Content-Length header value (int) or None if absent."""
        return self._clen

    @property
    def cseq(self):
        """CSeqBody or None; for requests the method must match (400)."""
        i = self._types.find(_CSEQ_C)
        if i < 0:
            return None
        r = self._vals[i]
        if r is None:
            v = self._parts[i][2].strip(WS)
            num, _, method = v.partition(" ")
            if (method == self.method and self.is_request
                    and num.isdecimal() and len(num) < 10):
                # parse_cseq's fast path inlined (the method is a token:
                # it passed the request-line checks)
                r = FastCSeq()
                r.num_str = num
                r.method = method
            else:
                try:
                    r = parse_cseq(v)
                except SipParseError:
                    raise
                except Exception as e:
                    raise SipParseError("bad CSEQ header") from e
                if self.is_request and r.method != self.method:
                    raise SipParseError(
                        "CSeq method does not match request method")
            self._vals[i] = r
            if self._hf is not None:
                self._sync(i, r)
        return r

    def _credentials(self, key, t):
        cache = self._derived()
        r = cache.get(key)
        if r is None:
            r = [self._hdr(i, parse_credentials)
                 for i in self._indices(t)]
            cache[key] = r
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
        cache = self._derived()
        r = cache.get("contacts")
        if r is None:
            idx = self._indices(_CONTACT)
            if not idx:
                return None
            r = ContactList()
            for i in idx:
                one = self._hdr(i, parse_contacts)
                r.star = r.star or one.star
                r.contacts.extend(one.contacts)
            cache["contacts"] = r
        return r

    @property
    def parsed_ruri(self):
        """SipUri of the original Request-URI (None for replies).

        Unknown schemes give 416 (RFC 3261 8.2.2.1).  URI headers are
        syntactically fine here; refusing or stripping them is routing
        policy (RFC 4475 3.1.2.11)."""
        if not self.is_request:
            return None
        cache = self._derived()
        r = cache.get("ruri")
        if r is None:
            try:
                r = parse_uri(self.ruri)
            except SipParseError as e:
                if e.unsupported_scheme:
                    raise SipParseError(e.reason, 416) from e
                raise
            except Exception as e:
                raise SipParseError("bad Request-URI") from e
            cache["ruri"] = r
        return r

    def parts(self):
        """Multipart body -> list of (headers [(name, value)], bytes);
        [] when the body is not multipart."""
        ct = self.content_type
        if ct is None or not ct.is_multipart:
            return []
        cache = self._derived()
        r = cache.get("parts")
        if r is None:
            try:
                r = parse_multipart(self.body, ct.boundary)
            except SipParseError:
                raise
            except Exception as e:
                raise SipParseError("bad multipart body") from e
            cache["parts"] = r
        return r

    def parse_all(self):
        """Parse the R-URI and every known header; check the mandatory
        headers (RFC 3261 8.1.1) are present once.  Raises the first
        SipParseError found."""
        try:
            types = self._types
            for t in _MANDATORY:
                n = types.count(chr(t))
                if n == 0:
                    raise SipParseError("missing %s header" % HDR_NAMES[t])
                if n > 1 and t in _SINGLE:
                    raise SipParseError("duplicate %s header" % HDR_NAMES[t])
            if types.count(_MAXFWD_C) > 1:
                raise SipParseError("duplicate Max-Forwards header")
            for name in _ALL_ACCESSORS:
                getattr(self, name)
        except SipParseError:
            raise
        except Exception as e:
            raise SipParseError("malformed message (%s)"
                                % type(e).__name__) from e

    def parse_only(self, names):
        """:meth:`parse_all` restricted to the lazy accessors *names*
        (given in ``parse_all``'s order), the mandatory-header checks
        included -- OpenSER's ``parse_headers`` with a set of flags: a
        caller that needs a few headers (registrar's ``save``) neither
        pays for nor fails on the others.  Raises the first
        SipParseError found."""
        try:
            types = self._types
            if not (_VIA_C in types and types.count(_FROM_C) == 1
                    and types.count(_TO_C) == 1
                    and types.count(_CALLID_C) == 1
                    and types.count(_CSEQ_C) == 1
                    and types.count(_MAXFWD_C) < 2):
                # something is missing or doubled: say what (parse_all's
                # checks, in its order)
                for t in _MANDATORY:
                    n = types.count(chr(t))
                    if n == 0:
                        raise SipParseError("missing %s header"
                                            % HDR_NAMES[t])
                    if n > 1 and t in _SINGLE:
                        raise SipParseError("duplicate %s header"
                                            % HDR_NAMES[t])
                if types.count(_MAXFWD_C) > 1:
                    raise SipParseError("duplicate Max-Forwards header")
            for name in names:
                getattr(self, name)
        except SipParseError:
            raise
        except Exception as e:
            raise SipParseError("malformed message (%s)"
                                % type(e).__name__) from e

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
