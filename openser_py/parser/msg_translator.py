"""Serialization of SIP messages: forwarded requests, relayed replies and
locally generated replies (OpenSER ``msg_translator.c``, reference §17).

* :func:`build_req_buf` -- a received request as it is forwarded: R-URI
  rewrite (``msg.new_uri``), our Via on top, ``;received=``/``;rport=`` on
  the received first Via, the recorded lumps, Content-Length fixed only if
  the body changed.  An unmodified message comes back byte-identical.
  Lumps that neither overlap nor reach the body (maxfwd, record_route,
  loose_route) are written in order by ``_splice``, without a ``Plan``.
* :func:`build_res_buf` -- a received reply as it is relayed: first Via
  removed (only the first via-parm when the field holds several).
* :func:`build_local_reply` -- a reply generated for a request (sl, tm,
  registrar, auth) with the header layout of §17.3.

The lump model (what is recorded, the ordering and conflict rules) is
described in :mod:`openser_py.parser.data_lump`.  Per-send additions
(our Via, received/rport, new R-URI, Content-Length) are *transient*:
they are combined with ``msg.lumps`` for one call and never stored, so
the message can be serialized again (another branch) unchanged.

All text is ``str`` in the latin-1 mapping; each builder joins its pieces
once and encodes once.
"""
from operator import attrgetter

from openser_py.parser import data_lump
from openser_py.parser.data_lump import DEL, NOP, Lump, Plan
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HdrType

__all__ = [
    "SIP_PORT", "MCOOKIE", "MAX_BRANCH_PARAM_LEN", "REASON_PHRASES",
    "make_reason", "make_via", "via_received_params", "received_test",
    "build_stateless_branch", "build_req_buf", "build_res_buf",
    "build_local_reply",
]

SIP_PORT = 5060
MCOOKIE = "z9hG4bK"
# MCOOKIE + 8 hex + "." + 32 (md5) + "." + 8 hex + 1 (OpenSER config.h)
MAX_BRANCH_PARAM_LEN = 58

_VIA = HdrType.VIA
_VIA_CODE = chr(_VIA)       # in msg._types (package-internal)
_RR = HdrType.RECORDROUTE
_TO = HdrType.TO
_COPIED = frozenset((HdrType.FROM, HdrType.CALLID, HdrType.CSEQ))
_REPLY_TYPES = (HdrType.FROM, HdrType.TO, HdrType.CALLID, HdrType.CSEQ)
_START = attrgetter("start")
_LUMP_ORDER = attrgetter("offset", "seq")
_VIA_C, _TO_C = chr(_VIA), chr(_TO)
_WANTED = frozenset(chr(t) for t in (_VIA,) + _REPLY_TYPES)
_WANTED_RR = _WANTED | {chr(_RR)}
_WS_CR = " \t\r"
_STREAM = frozenset(("tcp", "tls", "TCP", "TLS"))
_CRLF = "\r\n"
_WS_EOL = " \t\r\n"

# RFC 3261 section 21, plus the extensions OpenSER modules answer with
REASON_PHRASES = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded",
    182: "Queued", 183: "Session Progress",
    200: "OK", 202: "Accepted",
    300: "Multiple Choices", 301: "Moved Permanently",
    302: "Moved Temporarily", 305: "Use Proxy", 380: "Alternative Service",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 407: "Proxy Authentication Required",
    408: "Request Timeout", 410: "Gone", 412: "Conditional Request Failed",
    413: "Request Entity Too Large", 414: "Request-URI Too Long",
    415: "Unsupported Media Type", 416: "Unsupported URI Scheme",
    420: "Bad Extension", 421: "Extension Required",
    422: "Session Interval Too Small", 423: "Interval Too Brief",
    429: "Provide Referrer Identity",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 482: "Loop Detected",
    483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous",
    486: "Busy Here", 487: "Request Terminated",
    488: "Not Acceptable Here", 489: "Bad Event", 491: "Request Pending",
    493: "Undecipherable",
    500: "Server Internal Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable",
    504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large",
    600: "Busy Everywhere", 603: "Decline",
    604: "Does Not Exist Anywhere", 606: "Not Acceptable",
}

# RFC 3261 section 21 class titles, for codes without a phrase
_CLASS_PHRASES = {1: "Provisional", 2: "Successful", 3: "Redirection",
                  4: "Request Failure", 5: "Server Failure",
                  6: "Global Failure"}


def make_reason(code):
    """Default reason phrase for ``code`` (RFC 3261 §21).

    Unlisted codes get their class title ("Request Failure" for 4xx, ...),
    codes outside 100..699 ``"Unknown"``.
    """
    phrase = REASON_PHRASES.get(code)
    if phrase is None:
        phrase = _CLASS_PHRASES.get(code // 100, "Unknown")
    return phrase


def make_via(proto, host, port, branch, extra_params="", force_port=False):
    """Our Via header line, CRLF included (§17.2, OpenSER ``via_builder``).

    ``Via: SIP/2.0/<PROTO> <host>[:<port>];branch=<branch><extra_params>``.
    ``proto`` is upper-cased (``"udp"`` -> ``UDP``); an IPv6 ``host`` is put
    in brackets unless it already is; ``:port`` is left out when the port is
    5060 -- pass ``force_port=True`` for an advertised port, which OpenSER
    always prints -- or when ``port`` is None/"".  ``branch=None`` omits the
    branch parameter.  ``extra_params`` (``";rport"``, ``";i=..."``) follow
    the branch.
    """
    if ":" in host and host[:1] != "[":
        host = "[" + host + "]"
    parts = ["Via: SIP/2.0/", proto.upper(), " ", host]
    if port is not None and port != "" and (force_port
                                            or int(port) != SIP_PORT):
        parts.append(":")
        parts.append(str(port))
    if branch is not None:
        parts.append(";branch=")
        parts.append(branch)
    parts.append(extra_params)
    parts.append(_CRLF)
    return "".join(parts)


def _same_address(name, ip):
    """OpenSER ``check_via_address`` without DNS: does Via host ``name``
    spell the source address ``ip``?  IPv6 compares case-insensitively and
    accepts the bracketed reference form."""
    if ":" in ip:
        if name[:1] == "[" and name[-1:] == "]":
            name = name[1:-1]
        return name.lower() == ip.lower()
    return name == ip


def _plain_via1(msg):
    """True when the first Via header field mentions none of the
    parameters ``received``, ``maddr`` and ``rport`` (a substring test:
    when in doubt the caller looks at the parameters)."""
    types = msg._types
    i = 0 if types[:1] == _VIA_C else types.find(_VIA_C)
    if i < 0:
        return False
    low = msg._parts[i][2].lower()
    return "rport" not in low and "received" not in low and "maddr" not in low


def received_test(msg):
    """True if the first Via needs ``;received=`` (§17.2): it already has
    one, or its host (``maddr`` when present) is not the source IP.

    OpenSER compares with ``strncmp`` over the Via host length, so a host
    that is a prefix of the source IP ("10.0.0.1" vs "10.0.0.12") counts as
    equal there; we compare whole strings.  No DNS lookups
    (``received_dns`` is not supported).  False without ``msg.rcv``/Via.
    """
    via = msg.via1
    if via is None or msg.rcv is None:
        return False
    if via.received is not None:
        return True
    name = via.maddr
    if name is None:
        name = via.host
    return not _same_address(name, str(msg.rcv.src_ip))


def via_received_params(msg, force_rport=False):
    """The ``(received, rport)`` values to set on the first Via (§17.2).

    ``received`` is the source IP string when :func:`received_test` says so,
    else None; ``rport`` is the source port string when the Via has an
    ``rport`` parameter or ``force_rport`` (script ``force_rport()``) is
    set, else None.  ``(None, None)`` when ``msg.rcv`` or the Via is
    missing.
    """
    rcv = msg.rcv
    if rcv is None:
        return None, None
    via = msg.via1
    if via is None:
        return None, None
    if _plain_via1(msg):
        # no received/maddr/rport in the first Via field (the common
        # case): received_test() is a host comparison, rport is not asked
        src = rcv.src_ip
        if src.__class__ is not str:
            src = str(src)
        received = None if via.host == src and ":" not in src \
            or _same_address(via.host, src) else src
        return received, str(rcv.src_port) if force_rport else None
    received = str(rcv.src_ip) if received_test(msg) else None
    rport = None
    if force_rport or via.rport is not None:
        rport = str(rcv.src_port)
    return received, rport


def build_stateless_branch(msg):
    """Branch for a statelessly forwarded request (OpenSER
    ``get_sl_branch``): the first Via branch (any Via, in order) longer
    than and starting with ``z9hG4bK``; else the branch of the last Via that
    has a non-empty one; else ``"0"``.  Cut to 58 characters."""
    branch = None
    for via in msg.vias:
        value = via.branch
        if not value:
            continue
        branch = value
        if len(value) > 7 and value.startswith(MCOOKIE):
            break
    if branch is None:
        return "0"
    return branch[:MAX_BRANCH_PARAM_LEN]


# -- shared helpers --------------------------------------------------------

def _fix_clen(msg, lumps, plan, stream):
    """Add the Content-Length lumps if the body changed (or a stream
    transport needs the header); returns the plan to use."""
    delta = plan.delta_from(msg.body_offset)
    if delta == 0 and not stream:
        return plan
    cl_hdr = msg.get_hdr(HdrType.CONTENTLENGTH)
    if cl_hdr is not None:
        if delta == 0 or plan.covers(cl_hdr.start, cl_hdr.end):
            return plan          # unchanged, or removed on purpose
        lump = Lump(DEL, cl_hdr.start, cl_hdr.end - cl_hdr.start)
    elif stream:
        lump = Lump(NOP, data_lump.headers_end(msg))
    else:
        return plan              # UDP without Content-Length: none added
    lump.after.append("Content-Length: %d\r\n" % (len(msg.body) + delta))
    lumps.append(lump)
    return Plan(lumps)


def _serialize(msg, plan):
    """Apply ``plan`` to the message; one join, one encode."""
    body_off = msg.body_offset
    body = msg.body
    if _touches(plan, body_off):
        src = msg.buf.decode("latin-1")
        return "".join(plan.render(src, body_off + len(body))).encode(
            "latin-1")
    src = msg.hdr_text
    if len(src) < body_off:
        src = msg.buf[:body_off].decode("latin-1")
    return "".join(plan.render(src, body_off)).encode("latin-1") + body


def _touches(plan, offset):
    """True if any text or deletion of ``plan`` lies at/after ``offset``."""
    for ev in plan.events:
        if ev[0] >= offset:
            return True
    for rng in plan.ranges:
        if rng[1] > offset:
            return True
    return False


# -- requests ----------------------------------------------------------------

def build_req_buf(msg, via=None, extra_via_params="", force_rport=False,
                  proto=None):
    """The request ``msg`` as it goes out, as bytes.

    * ``msg.new_uri`` (if not None) replaces the Request-URI, nothing else
      in the first line.
    * ``via``: our Via line (``make_via(...)``, CRLF included) inserted
      before the first Via header field (after lumps the script put at the
      same place, e.g. Record-Route); ``extra_via_params`` is spliced in
      before its CRLF.  When a Via is inserted and ``msg.rcv`` is set, the
      received first Via gets ``;received=``/``;rport=`` (§17.2,
      :func:`via_received_params`; ``force_rport`` = script force_rport()).
    * ``msg.path_vec`` (a Path value, if set) becomes a ``Route:`` header
      before the first Route, else after the last Via, else first.
    * ``msg.lumps`` applied in offset order (data_lump rules).
    * Content-Length is rewritten only when the body length changed; it is
      added when missing only if ``proto`` is "tcp"/"tls".
    """
    user = msg.lumps
    new_uri = msg.new_uri
    path = msg.path_vec
    if not user and new_uri is None and not path:
        if via is None:
            return msg.buf
        if proto is None or msg.content_length is not None \
                or proto not in _STREAM:
            # only our Via (and received/rport): no lumps, no Plan
            if msg.rcv is None and not extra_via_params \
                    and msg._types[:1] == _VIA_CODE:
                # the simplest case, inlined: before the first header
                buf = msg.buf
                pos = msg.first_line_end
                return via.encode("latin-1").join((buf[:pos], buf[pos:]))
            return _add_via(msg, via, extra_via_params, force_rport)
    lumps = list(user) if user else []
    if new_uri is not None and msg.is_request:
        lump = Lump(DEL, msg.ruri_start, msg.ruri_end - msg.ruri_start, -1)
        lump.after.append(new_uri)
        lumps.append(lump)
    if path:
        lumps.append(_path_route_lump(msg, path))
    if via is not None:
        if extra_via_params:
            if via.endswith(_CRLF):
                via = via[:-2] + extra_via_params + _CRLF
            else:
                via = via + extra_via_params
        pos = msg._first_start(_VIA)
        lump = Lump(NOP, pos if pos is not None else msg.first_line_end)
        lump.before.append(via)
        lumps.append(lump)
        if msg.rcv is not None and pos is not None:
            received, rport = via_received_params(msg, force_rport)
            lumps.extend(data_lump.via_param_lumps(msg, received, rport))
    if msg._clen is not None or proto not in _STREAM:
        # Content-Length needs no work unless the body changes
        out = _splice(msg, lumps)
        if out is not None:
            return out
    plan = _fix_clen(msg, lumps, Plan(lumps), proto in _STREAM)
    return _serialize(msg, plan)


def _splice(msg, lumps):
    """``lumps`` applied to ``msg`` in the common case, as bytes: no lump
    overlaps another and none reaches the body (so Content-Length stays).
    There the ordering rules of :class:`data_lump.Plan` reduce to the
    order (offset, seq) and each lump is written in turn: its ``before``
    texts, the skipped range, its ``after`` texts.  None when a lump
    starts before the previous one ends (merged ranges, dropped anchors,
    an anchor after a delete at the same offset) or one reaches the body:
    the caller then builds the Plan (from ``lumps`` as they were)."""
    lumps = sorted(lumps, key=_LUMP_ORDER)
    body_off = msg.body_offset
    src = msg.hdr_text
    if len(src) < body_off:
        src = msg.buf[:body_off].decode("latin-1")
    out = []
    app = out.append
    pos = 0
    for lp in lumps:
        off = lp.offset
        if off < pos:
            return None
        app(src[pos:off])
        if lp.before:
            out += lp.before
        pos = off + lp.length
        if lp.after:
            out += lp.after
    if pos >= body_off:
        return None
    app(src[pos:body_off])
    return "".join(out).encode("latin-1") + msg.body


def _add_via(msg, via, extra_via_params, force_rport):
    """``build_req_buf`` for a message without lumps, new R-URI or path:
    our Via before the first Via field plus, when ``msg.rcv`` asks for
    them, ``;received=``/``;rport=`` on the received first Via -- the same
    bytes the lump machinery gives, with a few slices."""
    if extra_via_params:
        if via.endswith(_CRLF):
            via = via[:-2] + extra_via_params + _CRLF
        else:
            via = via + extra_via_params
    buf = msg.buf
    pos = msg._first_start(_VIA)
    if pos is None:
        pos = msg.first_line_end
    elif msg.rcv is not None:
        received, rport = via_received_params(msg, force_rport)
        if received is not None or rport is not None:
            edits = data_lump.via_param_edits(msg, received, rport)
            out = [buf[:pos], via.encode("latin-1")]
            for start, end, text in edits:
                out.append(buf[pos:start])
                out.append(text.encode("latin-1"))
                pos = end
            out.append(buf[pos:])
            return b"".join(out)
    return via.encode("latin-1").join((buf[:pos], buf[pos:]))


def _path_route_lump(msg, path):
    """``Route: <path>`` placed as OpenSER ``insert_path_as_route`` does."""
    pos = None
    last_via_end = None
    for hf in msg.headers:
        if hf.type == HdrType.ROUTE:
            pos = hf.start
            break
        if hf.type == _VIA:
            last_via_end = hf.end
    if pos is None:
        if last_via_end is not None:
            pos = last_via_end
        else:
            pos = msg.first_line_end    # before the first header, if any
    lump = Lump(NOP, pos)
    lump.before.append("Route: " + str(path) + _CRLF)
    return lump


# -- relayed replies ---------------------------------------------------------

def build_res_buf(msg, rewrite_503=True):
    """The received reply ``msg`` as it is relayed upstream, as bytes.

    The first via-parm is removed: the whole first Via header field, or --
    when that field holds several comma-separated via-parms -- only the
    first one up to the next one (comma and whitespace included).
    ``msg.lumps`` are applied; Content-Length is fixed if the body changed.
    Like OpenSER, a relayed ``503`` gets its status code changed to ``500``
    (reason phrase untouched) unless ``rewrite_503`` is False.
    """
    if not msg.lumps and msg.content_length is not None \
            and not (rewrite_503 and msg.status == 503):
        # the common case: only the Via goes, the body and its length
        # stay (no need to know the next hop's transport); the first Via
        # field holds one via-parm: cut its line out, no HdrField
        types = msg._types
        i = 0 if types[:1] == _VIA_C else types.find(_VIA_C)
        if i >= 0 and msg.via1 is not None and len(msg._vals[i]) == 1:
            start = msg._first_start(_VIA)
            buf = msg.buf
            return buf[:start] + buf[start + len(msg._lines[i]) + 1:]
    hf, vias = data_lump.first_via_hdr(msg)
    if hf is None:
        raise SipParseError("no Via in reply")
    if len(vias) > 1:
        start = hf.body_start + vias[0].start
        end = hf.body_start + vias[1].start
    else:
        start, end = hf.start, hf.end
    if not msg.lumps and not (rewrite_503 and msg.status == 503) and \
            msg.content_length is not None:
        # only the Via goes (several via-parms in its field)
        buf = msg.buf
        return buf[:start] + buf[end:]
    lumps = list(msg.lumps) if msg.lumps else []
    lumps.append(Lump(DEL, start, end - start))
    if rewrite_503 and msg.status == 503:
        code_at = msg.hdr_text.find("503", 0, msg.first_line_end)
        lump = Lump(DEL, code_at + 2, 1)
        lump.after.append("0")
        lumps.append(lump)
    via2 = vias[1] if len(vias) > 1 else msg.via2
    stream = via2 is not None and via2.transport in _STREAM
    plan = _fix_clen(msg, lumps, Plan(lumps), stream)
    return _serialize(msg, plan)


# -- local replies -----------------------------------------------------------

def build_local_reply(msg, code, reason, to_tag=None, extra_hdrs="",
                      body=b"", server_hdr=None, force_rport=False,
                      warning=None):
    """A reply to the request ``msg`` generated here, as bytes (§17.3).

    ``SIP/2.0 <code> <reason>``, then in their original order every Via
    (each ended with CRLF; the first with ``;rport=``/``;received=`` from
    ``msg.rcv``), Record-Route (only for 180..299), From, To (``;tag=`` +
    ``to_tag`` appended when given, ``code`` > 100 and the To has no tag),
    Call-ID, CSeq -- each other header copied as written; then
    ``msg.reply_lumps``, ``extra_hdrs`` (CRLF-terminated lines),
    ``server_hdr`` (e.g. ``"Server: OpenSER (...)"``), ``Content-Length``
    (always), ``warning`` (a full Warning header line, if given), the empty
    line and ``body`` (bytes).

    As in OpenSER the first Via gets ``;rport=`` replaced in place or
    appended, then ``;received=`` appended.  Deviations, both only for
    requests OpenSER mishandles: an existing ``received`` is replaced in
    place (OpenSER appends a second one), and when the first Via field holds
    several via-parms the additions go to the end of the first via-parm
    (OpenSER appends them to the end of the whole field, i.e. to the wrong
    via-parm).
    """
    received = rport = None
    if msg.rcv is not None and msg.via1 is not None:
        received, rport = via_received_params(msg, force_rport)
    to = msg.to if to_tag and code > 100 else None
    add_tag = to is not None and not to.tag
    out = ["SIP/2.0 %03d %s\r\n" % (code, reason)]
    app = out.append
    first_via = True
    # walk the header index in order (no HdrField objects except for a
    # first Via that gets received/rport); a header is copied as written:
    # its logical line when that ends with CR (unfolding replaces every
    # CR and LF, so such a line is the raw text), else the text slice
    # ``text[start:start + len(line) + 1]`` (unfolding keeps lengths)
    wanted = _WANTED_RR if 180 <= code < 300 else _WANTED
    via1_mods = received is not None or rport is not None
    types = msg._types
    lines = msg._lines
    i = -1
    for c in types:
        i += 1
        if c not in wanted:
            continue
        if c == _VIA_C:
            if first_via and via1_mods:
                hf = msg._field(i)
                _reply_via1(out, msg.hdr_text, hf,
                            hf.body_start + len(hf.body), received, rport)
            else:
                app(lines[i].rstrip(_WS_CR))
            app(_CRLF)
            first_via = False
            continue
        line = lines[i]
        if line[-1:] != "\r":
            line = _raw_line(msg, i)
        if c == _TO_C and add_tag:
            # ";tag=" goes right after the value (before trailing LWS)
            name, _, raw = msg._parts[i]
            end = (len(name) + 1 + len(raw) - len(raw.lstrip(_WS_EOL))
                   + len(raw.strip(_WS_EOL)))
            app(line[:end])
            app(";tag=")
            app(to_tag)
            app(line[end:])
            add_tag = False
        else:                       # From, Call-ID, CSeq, To, Record-Route
            app(line)
        app("\n")
    if msg.reply_lumps:
        out.extend(msg.reply_lumps)
    if extra_hdrs:
        app(extra_hdrs)
    if server_hdr:
        app(server_hdr)
        if not server_hdr.endswith(_CRLF):
            app(_CRLF)
    if isinstance(body, str):
        body = body.encode("latin-1")
    app("Content-Length: %d\r\n" % len(body))
    if warning:
        app(warning)
        if not warning.endswith(_CRLF):
            app(_CRLF)
    app(_CRLF)
    return "".join(out).encode("latin-1") + body


def _raw_line(msg, i):
    """Header line ``i`` as written (folding kept), without its LF."""
    start = msg._offsets()[i]
    return msg.hdr_text[start:start + len(msg._lines[i])]


def _reply_via1(out, text, hf, end, received, rport):
    """Append the first Via header of a local reply (without its CRLF)."""
    via = data_lump.via_bodies(hf)[0]
    _ins, tail, spans = data_lump.via1_param_spans(hf, via)
    edits = []
    if rport is not None:
        old = spans.get("rport")
        if old is not None:
            edits.append((old[0], old[1], ";rport=" + rport))
        else:
            edits.append((tail, tail, ";rport=" + rport))
    if received is not None:
        old = spans.get("received")
        if old is not None:
            edits.append((old[0], old[1], ";received=" + received))
        else:
            edits.append((tail, tail, ";received=" + received))
    edits.sort(key=lambda e: e[0])
    pos = hf.start
    for start, stop, new in edits:
        out.append(text[pos:start])
        out.append(new)
        pos = stop
    out.append(text[pos:end])
