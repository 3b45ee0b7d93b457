"""OpenSER-style lumps: recorded modifications of a received SIP message.

Theory of operation
===================

A received message is never edited in place: ``msg.buf`` stays the exact
bytes that arrived.  Every change a script action or a module wants is
*recorded* as a :class:`Lump` on ``msg.lumps`` (a list created on first
use) and applied only when the message is serialized
(:mod:`openser_py.parser.msg_translator`), so the same message can be
written out several times (one copy per branch) with different per-send
additions (our Via, received/rport, a new R-URI, Content-Length) that are
*not* stored on the message.

All offsets are offsets into ``msg.buf``.  Because the parser maps bytes
to text with latin-1 (one byte == one character), they are also offsets
into ``msg.hdr_text`` and into any header value via ``hf.body_start``.
All inserted text is ``str`` in the same latin-1 mapping; the serializer
encodes once, at the end.

A lump is one of two kinds:

* an **anchor** (``NOP``): a zero-length position.  Text can be attached
  *before* and *after* it.  For a bare position the two lists are simply
  emitted one after the other (``before`` first).
* a **delete** (``DEL``): the range ``[offset, offset + length)`` is left
  out of the output.  Text attached *before* it is emitted where the range
  starts, text attached *after* it where the range ends; this is how a
  header is replaced (:func:`replace_header`).

Within one ``before``/``after`` list texts come out in the order they were
added (OpenSER's C lists come out newest-first; we chose call order).

Ordering.  Output is the original buffer with, at each position, the
attached texts of every lump that lands there, ordered by (1) the lump's
own offset (so the text after a delete ending at *p* comes before the text
of an anchor created at *p*), then (2) creation order (each lump gets a
global sequence number), then (3) ``before`` before ``after``.  This is
OpenSER's order: its lump list is sorted by offset, ties kept in insertion
order.  Consequence: lumps added by the script at the top of the headers
(``record_route``) come out *above* the Via the core inserts when it
forwards, as in OpenSER.

Conflicts (the rules; see ``tests/unit/parser/test_lumps.py``):

1. Deleted ranges are merged: overlapping deletes remove the union of
   their ranges, each byte once.  Ranges that merely touch stay separate.
2. Text attached to an *anchor* whose position lies strictly inside a
   (merged) deleted range is **dropped** -- the text it was meant to sit
   next to is gone.  An anchor exactly at the first byte of a deleted range
   or exactly at its end is kept.
3. Text attached to a *delete* lump is **always** emitted (that is how a
   replacement survives a conflicting edit).  If its position falls strictly
   inside another delete's range (overlapping deletes), it is moved to the
   end of the merged range.

OpenSER itself moves every anchor found inside a deleted zone to the zone's
end (rule 2 differs): that produces stray text such as a ``;received=``
parameter at the start of the next header line; dropping is safer.

Body changes.  Text placed at or after ``msg.body_offset`` and deleted
bytes from there on change the body; the serializer then rewrites
Content-Length (and only then).  :func:`add_header` inserts just before the
empty line, which is a header change.

Reply lumps (``msg.reply_lumps``, :func:`add_rpl_lump`) are plain header
lines added to replies the server generates for the message
(``sl_send_reply``, ``t_reply``); see ``build_local_reply``.
"""
import itertools
import re
from bisect import bisect_left
from operator import itemgetter

from openser_py.parser.hf import HdrType
from openser_py.parser.parse_via import parse_via

__all__ = [
    "NOP", "DEL", "Lump", "get_lumps", "anchor", "insert_before",
    "insert_after", "delete", "add_header", "remove_header",
    "replace_header", "add_rpl_lump", "headers_end", "via_bodies",
    "first_via_hdr", "via1_param_spans", "via_param_lumps",
    "via_param_edits", "add_via_params", "Plan",
]

_HDR_VIA = HdrType.VIA

NOP = 0       # anchor
DEL = 1       # delete a range

# one global sequence: creation order of lumps, across all messages
_next_seq = itertools.count().__next__

# one via-param: ";" name [ "=" value ]  (value may be a quoted string)
_VIA_PARAM = re.compile(
    r'[ \t]*(;)[ \t]*([^;=, \t"()]+)(?:[ \t]*=[ \t]*'
    r'("[^"\\]*(?:\\.[^"\\]*)*"|[^ \t;,"()]*))?')


class Lump:
    """One recorded modification (see the module docstring).

    ``kind`` (:data:`NOP` or :data:`DEL`), ``offset`` and ``length``
    (offsets in ``msg.buf``; ``length`` is 0 for anchors), ``before`` and
    ``after`` (lists of ``str``), ``seq`` (creation order).
    """

    __slots__ = ("kind", "offset", "length", "before", "after", "seq")

    def __init__(self, kind, offset, length=0, seq=None):
        self.kind = kind
        self.offset = offset
        self.length = length
        self.before = []
        self.after = []
        self.seq = _next_seq() if seq is None else seq

    @property
    def end(self):
        """Offset just past the lump's range (== offset for anchors)."""
        return self.offset + self.length

    def insert_before(self, text):
        """Attach ``text`` before this lump; returns the lump (chainable)."""
        self.before.append(_check_text(text))
        return self

    def insert_after(self, text):
        """Attach ``text`` after this lump; returns the lump (chainable)."""
        self.after.append(_check_text(text))
        return self

    def __repr__(self):
        return "Lump(%s, %d, %d, before=%r, after=%r)" % (
            "DEL" if self.kind == DEL else "NOP", self.offset, self.length,
            self.before, self.after)


def _check_text(text):
    if not isinstance(text, str):
        raise TypeError("lump text must be str (latin-1 mapping), not %s"
                        % type(text).__name__)
    return text


def get_lumps(msg):
    """Return ``msg.lumps``, creating the list on first use."""
    lumps = msg.lumps
    if lumps is None:
        lumps = msg.lumps = []
    return lumps


def _check_offset(msg, offset):
    if not 0 <= offset <= len(msg.buf):
        raise ValueError("lump offset %r outside the message" % (offset,))


def anchor(msg, offset):
    """Record an anchor at ``offset`` and return it."""
    _check_offset(msg, offset)
    lump = Lump(NOP, offset)
    get_lumps(msg).append(lump)
    return lump


def insert_before(msg, offset, text):
    """Insert ``text`` at ``offset`` (a new anchor, text before it)."""
    return anchor(msg, offset).insert_before(text)


def insert_after(msg, offset, text):
    """Insert ``text`` at ``offset`` (a new anchor, text after it)."""
    return anchor(msg, offset).insert_after(text)


def delete(msg, start, end):
    """Leave ``msg.buf[start:end]`` out of the output; returns the lump."""
    _check_offset(msg, start)
    _check_offset(msg, end)
    if end < start:
        raise ValueError("delete range ends before it starts")
    lump = Lump(DEL, start, end - start)
    get_lumps(msg).append(lump)
    return lump


def headers_end(msg):
    """Offset just past the last header field (where the empty line is)."""
    text = msg.hdr_text
    if text.endswith("\n\r\n"):
        return msg.body_offset - 2
    if text.endswith("\n\n"):
        return msg.body_offset - 1
    headers = msg.headers           # no empty line (datagram) or no header
    return headers[-1].end if headers else msg.first_line_end


def add_header(msg, text):
    """Append a header (``"X-Foo: bar\\r\\n"``, CRLF included by the
    caller) after the last header field.  Several calls keep their order.
    """
    return insert_before(msg, headers_end(msg), text)


def remove_header(msg, hf):
    """Remove the whole header field ``hf`` (name to line end)."""
    return delete(msg, hf.start, hf.end)


def replace_header(msg, hf, text):
    """Replace the whole header field ``hf`` by ``text`` (CRLF included)."""
    return delete(msg, hf.start, hf.end).insert_after(text)


def add_rpl_lump(msg, text):
    """Add a header line (CRLF included) to replies generated locally for
    ``msg``; they are written after CSeq, in the order added."""
    rpl = msg.reply_lumps
    if rpl is None:
        rpl = msg.reply_lumps = []
    rpl.append(_check_text(text))
    return text


# -- the first Via -------------------------------------------------------

def via_bodies(hf):
    """The ViaBody values of the Via header field ``hf`` (parser cache)."""
    vias = hf.parsed
    if not isinstance(vias, list):
        vias = parse_via(hf.body)
    return vias


def first_via_hdr(msg):
    """Return ``(hf, vias)`` for the first Via header field, or
    ``(None, [])``; ``vias`` are the ViaBody values of that field only."""
    hf = msg.get_hdr(_HDR_VIA)
    if hf is None:
        return None, []
    if hf.parsed is None:
        _ = msg.via1        # parse through the message cache (fills parsed)
    return hf, via_bodies(hf)


def via1_param_spans(hf, via):
    """Locate parameters of ``via`` (a ViaBody of header field ``hf``).

    Returns ``(insert_at, end_at, spans)`` with offsets in ``msg.buf``:
    ``insert_at`` is where OpenSER inserts new parameters into a forwarded
    request (just after ``host[:port]``, i.e. at the first ``;``),
    ``end_at`` where it appends them in a local reply (end of the via-parm)
    and ``spans`` maps a lower-cased parameter name to the range of its
    first occurrence, from the ``;`` to the end of the value.
    """
    body = hf.body
    base = hf.body_start
    pend = via.params_end
    spans = {}
    i = body.find(";", via.start, pend)
    if i < 0:
        return base + pend, base + via.end, spans
    insert_at = base + i
    pos = i
    match = _VIA_PARAM.match
    while pos < pend:
        m = match(body, pos, pend)
        if m is None or m.end() == pos:
            break
        name = m.group(2).lower()
        if name not in spans:
            spans[name] = (base + m.start(1), base + m.end())
        pos = m.end()
    return insert_at, base + via.end, spans


def via_param_lumps(msg, received=None, rport=None):
    """Lumps setting ``;received=`` / ``;rport=`` on the first Via the way
    OpenSER does for a forwarded request (§17.2).

    An existing parameter is replaced in place; a new one is inserted just
    after ``host[:port]``, ``received`` first -- unless both are new or
    both go to the spot of an existing ``received``, where OpenSER writes
    ``;rport=...;received=...``.  Returns a list of lumps (not recorded on
    the message).
    """
    if received is None and rport is None:
        return []
    hf, vias = first_via_hdr(msg)
    if hf is None:
        return []
    insert_at, _end, spans = via1_param_spans(hf, vias[0])
    lumps = []
    rcv_lump = None
    if received is not None:
        old = spans.get("received")
        if old is not None:
            rcv_lump = Lump(DEL, old[0], old[1] - old[0])
        else:
            rcv_lump = Lump(NOP, insert_at)
        rcv_lump.after.append(";received=" + received)
        lumps.append(rcv_lump)
    if rport is not None:
        text = ";rport=" + str(rport)
        old = spans.get("rport")
        if old is not None:
            lumps.append(Lump(DEL, old[0], old[1] - old[0]))
            lumps[-1].after.append(text)
        elif rcv_lump is not None:
            rcv_lump.after.insert(0, text)
        else:
            lumps.append(Lump(NOP, insert_at))
            lumps[-1].after.append(text)
    return lumps


def via_param_edits(msg, received=None, rport=None):
    """:func:`via_param_lumps` as plain edits: a list of ``(start, end,
    text)`` (replace ``msg.buf[start:end]`` by ``text``; ``start == end``
    inserts), sorted and non-overlapping, giving the same output as the
    lumps (used by the serializer when there is nothing else to apply)."""
    edits = []
    for lp in via_param_lumps(msg, received, rport):
        edits.append((lp.offset, lp.offset + lp.length, "".join(lp.after)))
    # an insertion at the start of a replaced range comes first
    edits.sort()
    return edits


def add_via_params(msg, received=None, rport=None, params=""):
    """Record on ``msg.lumps`` changes to the first Via's parameters.

    ``received`` (an IP string) / ``rport`` (port) replace existing values
    or are inserted as in :func:`via_param_lumps`; ``params`` (raw text such
    as ``";alias"``) is appended at the end of the first via-parm's
    parameters.  Returns the lumps recorded.
    """
    lumps = via_param_lumps(msg, received, rport)
    if params:
        hf, vias = first_via_hdr(msg)
        if hf is not None:
            lumps.append(Lump(NOP, hf.body_start + vias[0].params_end))
            lumps[-1].after.append(_check_text(params))
    get_lumps(msg).extend(lumps)
    return lumps


# -- applying lumps ------------------------------------------------------

class Plan:
    """The lumps of one serialization, resolved into deleted ranges and
    positioned text (rules in the module docstring).

    ``ranges``: merged deleted ranges ``[start, end]``, sorted;
    ``events``: ``(position, lump offset, seq, 0|1, texts)`` sorted.
    """

    __slots__ = ("ranges", "events")

    def __init__(self, lumps):
        spans = []
        ndel = 0
        for lp in lumps:
            if lp.kind == DEL:
                ndel += 1
                if lp.length:
                    spans.append((lp.offset, lp.offset + lp.length))
        ranges = []
        if spans:
            spans.sort()
            for start, end in spans:
                if ranges and start < ranges[-1][1]:
                    if end > ranges[-1][1]:
                        ranges[-1][1] = end
                else:
                    ranges.append([start, end])
        self.ranges = ranges
        # every delete a range of its own (none empty, none merged): the
        # text of a delete stays at its ends, no clamping needed
        exact = len(ranges) == ndel
        starts = [r[0] for r in ranges]
        events = []
        add = events.append
        for lp in lumps:
            before, after = lp.before, lp.after
            if not before and not after:
                continue
            off = lp.offset
            if lp.kind == DEL:
                if before:
                    add((off if exact else _clamp(ranges, starts, off), off,
                         lp.seq, 0, before))
                if after:
                    end = off + lp.length
                    add((end if exact else _clamp(ranges, starts, end), off,
                         lp.seq, 1, after))
            else:
                if ranges and _clamp(ranges, starts, off) != off:
                    continue           # rule 2: inside a deleted range
                if before:
                    add((off, off, lp.seq, 0, before))
                if after:
                    add((off, off, lp.seq, 1, after))
        if len(events) > 1:
            events.sort(key=_EVENT_KEY)
        self.events = events

    def delta_from(self, offset):
        """Length change of the output from ``offset`` onwards (used with
        the body offset: positive when text was added to the body)."""
        delta = 0
        for ev in self.events:
            if ev[0] >= offset:
                delta += sum(map(len, ev[4]))
        for start, end in self.ranges:
            if end > offset:
                delta -= end - max(start, offset)
        return delta

    def covers(self, start, end):
        """True if ``[start, end)`` is entirely deleted."""
        for rstart, rend in self.ranges:
            if rstart <= start and end <= rend:
                return True
        return False

    def render(self, src, size=None):
        """Apply to ``src`` (str) and return the list of output pieces.

        ``size`` limits the part of ``src`` that is used (default: all).
        """
        if size is None:
            size = len(src)
        out = []
        app = out.append
        pos = 0
        ranges = self.ranges
        ri = 0
        nr = len(ranges)
        for ev in self.events:
            p = ev[0]
            while ri < nr and ranges[ri][0] < p:
                start, end = ranges[ri]
                if pos < start:
                    app(src[pos:start])
                pos = end
                ri += 1
            if pos < p:
                app(src[pos:p])
                pos = p
            out.extend(ev[4])
        while ri < nr:
            start, end = ranges[ri]
            if pos < start:
                app(src[pos:start])
            pos = end
            ri += 1
        if pos < size:
            app(src[pos:size])
        return out


# the order of Plan.events: position, lump offset, seq, before/after
_EVENT_KEY = itemgetter(0, 1, 2, 3)


def _clamp(ranges, starts, pos):
    """``pos``, or the end of the merged range ``pos`` is strictly inside."""
    i = bisect_left(starts, pos)
    if i:
        end = ranges[i - 1][1]
        if pos < end:
            return end
    return pos

