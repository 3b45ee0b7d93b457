"""The transaction cell: a compact, bounded binary record for shm.

A cell is the value of one :class:`~openser_py.modules.tm.h_table.TransTable`
entry.  Only bytes live in shm, so a cell is encoded as::

    +--------------------------------------------------------------+
    | header     HDR (fixed struct, HDR_SIZE bytes)                |
    | branches   nr_branches x BR (fixed struct, BR_SIZE bytes)    |
    | sections   MATCH | UAS | AVP | TMCB | BR0 | ... | BR<nr-1>   |
    | reply      the last reply sent upstream (raw bytes, rpl_len)  |
    +--------------------------------------------------------------+

* **Header and branch records** hold every scalar that changes during the
  life of the transaction (flags, states, statuses, claims, ref count,
  timer handles and due times ...).  They sit at fixed offsets, so the
  table updates them *in place* with ``struct.pack_into`` under the bucket
  lock: two workers touching different fields never lose each other's
  update, and nothing is decoded to change one field.
* **Sections** hold the variable parts, each ``marshal``'ed (never
  pickle) with its length in the header: MATCH (the key fields of the UAS
  request used by request matching, see :data:`MatchKey`), UAS (request
  bytes, reply destination and the request's new-uri/dst-uri/path), AVP
  (``AvpList.to_bytes()`` as is), TMCB (the transaction's tm callbacks,
  see ``t_hooks``; empty when none) and one
  section per branch (outgoing buffer, uri, destination ip, local CANCEL
  buffer, stored reply, dst-uri, path).  Replacing a section rewrites the
  value (``TransTable`` does it under the lock; see ``splice_section``).
* **The reply tail**: the last reply sent upstream, raw, after every
  section (length ``rpl_len`` in the header).  Storing a reply -- one per
  relayed 1xx/2xx -- rewrites only the tail, in place when the entry has
  room (:func:`reply_span`, ``CellView.set_reply``).

Sizes are bounded: every message buffer is at most ``MAX_MSG`` bytes (the
UDP datagram limit OpenSER uses), the strings of one UAS or branch section
``MAX_STR`` together, the match section ``MAX_MATCH``, AVPs ``MAX_AVP``, at
most ``MAX_BRANCHES`` branches; :func:`encode` raises
:class:`CellError` beyond that and :func:`decode` rejects any record whose
header and lengths do not add up.

Python side: :class:`Cell` and :class:`Branch` are ``list`` subclasses
holding the struct values in order (decode is one ``unpack_from`` plus a
``list()``), with named properties for every field.
"""
import marshal
import struct
from collections import namedtuple
from operator import itemgetter

from openser_py.modules.tm.t_branch import MAX_BRANCHES

__all__ = ["CellError", "Cell", "Branch", "MatchKey", "encode", "decode",
           "decode_match", "encode_section", "section_span", "splice_section",
           "add_branch_record", "HDR_FIELDS", "BR_FIELDS", "HDR_OFF",
           "BR_OFF", "HDR_I", "BR_I", "HDR_SIZE", "BR_SIZE", "N_SECTIONS"]

MAGIC = 0x6D74              # "tm"
VERSION = 3
MAX_MSG = 65535             # one SIP message (OpenSER BUF_SIZE)
MAX_STR = 8192              # uris, hosts, path of one section, together
MAX_AVP = 65535             # marshalled AVP list
MAX_MATCH = 6 * MAX_STR     # the match section
MAX_TMCB = 8192             # the marshalled tm callback list
# marshal format 2 has no back-references: a cell's bytes depend only on
# its values (deterministic records), at the same speed as format 4.
_MARSHAL = 2
MARSHAL_FORMAT = _MARSHAL

# --- tm flags (header field ``flags``) -------------------------------------
T_IS_INVITE = 1 << 0        # INVITE transaction
T_IS_LOCAL = 1 << 1         # replies go to tm itself, never upstream
T_NO_UAS = 1 << 2           # UAC-only: no UAS request, skipped by matching
T_CANCELED = 1 << 3         # cancelled by the UAC (T_WAS_CANCELLED_FLAG)
T_NO_NEW_BRANCHES = 1 << 4  # a 6xx won: refuse new branches
T_NOISY_CTIMER = 1 << 5     # FR expiry must not be silent
T_NO_DNS_FAILOVER = 1 << 6  # t_relay flag 0x04
T_NO_AUTO_ACK = 1 << 7      # local UAC INVITE: do not ACK 2xx
T_ON_WAIT = 1 << 8          # completed, on the wait timer
T_REMOVED = 1 << 9          # out of the table for lookups, freed at last unref
T_KILL_REPLY = 1 << 10      # no automatic error reply (t_relay flag 0x02)
T_NO_100 = 1 << 11          # no automatic 100 (t_relay flag 0x01)
T_E2E_ACKED = 1 << 12       # TMCB_E2EACK_IN already reported

# --- claims (header fields ``claims`` / ``pending``) -----------------------
CLAIM_REPLY = 1 << 0        # a final reply is being built/relayed
CLAIM_FAILURE = 1 << 1      # failure route (or DNS failover) running
CLAIM_CANCEL = 1 << 2       # CANCEL processing (cancel_uacs) running
CLAIM_FORWARD = 1 << 3      # new branches being added (t_relay)

# --- branch flags (branch field ``flags``) ---------------------------------
BR_ACTIVE = 1 << 0          # has a request buffer (OpenSER request.buffer.s)
BR_RECEIVED = 1 << 1        # something was received (T_UAC_HAS_RECV_REPLY)
BR_TO_CANCEL = 1 << 2       # cancel when the first 1xx arrives
BR_CANCELED = 1 << 3        # a CANCEL is due/sent (local_cancel in use)
BR_FAKED = 1 << 4           # stored reply is a local 408/487 (FAKED_REPLY)
BR_REPLY_STORED = 1 << 5    # a reply is stored in the branch section

# --- sections ----------------------------------------------------------------
SEC_MATCH, SEC_UAS, SEC_AVP, SEC_TMCB, SEC_BR0 = 0, 1, 2, 3, 4
N_SECTIONS = SEC_BR0 + MAX_BRANCHES

#: the request fields transaction matching compares (reference §5.2);
#: ``local_totag`` is the To-tag of our own replies (dialog-matching ACKs).
MatchKey = namedtuple("MatchKey", (
    "method_id", "method", "callid", "cseq_num", "cseq_body", "from_body",
    "from_tag", "to_body", "to_uri", "to_tag", "ruri", "via1_body",
    "via1_branch", "via1_host", "via1_port", "via1_transport",
    "local_totag"))
_EMPTY_MATCH = MatchKey(0, "", "", "", "", "", "", "", "", "", "", "", "",
                        "", 0, "", "")

HDR_FIELDS = (
    ("magic", "H"), ("version", "B"), ("nr_branches", "B"),
    ("method_id", "H"), ("first_branch", "B"), ("uas_state", "B"),
    ("flags", "I"), ("msg_flags", "I"), ("claims", "H"), ("pending", "H"),
    ("ref_count", "H"), ("uas_status", "H"), ("relayed_branch", "b"),
    ("uas_proto", "B"), ("uas_port", "H"), ("uas_sock", "H"),
    ("on_failure", "H"), ("on_reply", "H"), ("on_branch", "H"),
    ("hash_index", "H"), ("label", "I"),
    ("fr_timeout", "I"), ("fr_inv_timeout", "I"), ("uas_retr_iv", "I"),
    ("created", "d"),
    ("uas_retr_h", "Q"), ("uas_retr_due", "d"),
    ("uas_fr_h", "Q"), ("uas_fr_due", "d"),
    ("wait_h", "Q"), ("wait_due", "d"), ("tmcb_types", "I"),
    ("rpl_len", "I"),
) + tuple(("len%d" % i, "I") for i in range(N_SECTIONS))

BR_FIELDS = (
    ("status", "H"), ("flags", "B"), ("state", "B"), ("bflags", "I"),
    ("proto", "B"), ("port", "H"), ("sock", "H"), ("retr_iv", "I"),
    ("retr_h", "Q"), ("retr_due", "d"), ("fr_h", "Q"), ("fr_due", "d"),
    ("cretr_h", "Q"), ("cretr_due", "d"), ("cfr_h", "Q"), ("cfr_due", "d"),
)

_HDR = struct.Struct("<" + "".join(f for _, f in HDR_FIELDS))
_BR = struct.Struct("<" + "".join(f for _, f in BR_FIELDS))
HDR_SIZE = _HDR.size
BR_SIZE = _BR.size
_LENS = struct.Struct("<%dI" % N_SECTIONS)


def _offsets(fields):
    out, off = {}, 0
    for name, fmt in fields:
        st = struct.Struct("<" + fmt)
        out[name] = (st, off)
        off += st.size
    return out


#: ``name -> (Struct, offset)`` of every header / branch field, for in-place
#: access (a branch field of branch ``b`` is at ``HDR_SIZE + b*BR_SIZE + off``).
HDR_OFF = _offsets(HDR_FIELDS)
BR_OFF = _offsets(BR_FIELDS)
#: ``name -> index`` of every header / branch field in a :class:`Cell` /
#: :class:`Branch` (``c[HDR_I["flags"]] = f`` is ``c.flags = f`` without
#: the property setter's Python call: for the code that fills new cells).
HDR_I = {name: i for i, (name, _) in enumerate(HDR_FIELDS)}
BR_I = {name: i for i, (name, _) in enumerate(BR_FIELDS)}
_I_LEN0 = [n for n, _ in HDR_FIELDS].index("len0")
LENS_OFF = HDR_OFF["len0"][1]
_I_MAGIC, _I_VERSION, _I_NRB = 0, 1, 2
_BR_DATA = ("buffer", "uri", "dst_ip", "cancel", "reply", "dst_uri", "path")
_UAS_DATA = ("request", "dst_ip", "new_uri", "dst_uri", "path")
_I_RPL = [n for n, _ in HDR_FIELDS].index("rpl_len")
_NO_LENS = [0] * N_SECTIONS


class CellError(ValueError):
    """A cell that cannot be encoded (too large) or decoded (corrupt)."""


def _install(cls, fields):
    for i, (name, _) in enumerate(fields):
        def fset(self, value, _i=i):
            self[_i] = value
        setattr(cls, name, property(itemgetter(i), fset))


class Branch(list):
    """One UAC branch: the :data:`BR_FIELDS` values plus its section data.

    Data attributes: ``buffer`` (bytes sent), ``uri`` (its R-URI),
    ``dst_ip``, ``cancel`` (local CANCEL bytes), ``reply`` (stored reply
    bytes), ``dst_uri``, ``path``.
    """

    __slots__ = _BR_DATA

    def __init__(self, values=None):
        super().__init__(values if values is not None else _BR_ZERO)
        self.buffer = b""
        self.uri = self.dst_ip = ""
        self.cancel = self.reply = b""
        self.dst_uri = self.path = ""

    def __repr__(self):
        return "Branch(status=%d, flags=%#x, uri=%r)" % (
            self.status, self.flags, self.uri)


class Cell(list):
    """A decoded transaction: :data:`HDR_FIELDS` values plus data.

    Data attributes: ``match`` (:data:`MatchKey`), ``request`` (UAS request
    bytes), ``reply`` (last reply sent upstream), ``dst_ip`` (where UAS
    replies go), ``new_uri``/``dst_uri``/``path`` (of the request when the
    transaction was created), ``avps`` (``AvpList.to_bytes()`` output) and
    ``branches`` (list of :class:`Branch`).
    """

    __slots__ = ("match", "avps", "tmcbs", "branches", "reply") + _UAS_DATA

    def __init__(self, values=None):
        super().__init__(values if values is not None else _HDR_ZERO)
        self.match = _EMPTY_MATCH
        self.avps = b""
        self.tmcbs = ()
        self.branches = []
        self.request = self.reply = b""
        self.dst_ip = self.new_uri = self.dst_uri = self.path = ""

    def __repr__(self):
        return "Cell(%d:%d, method=%r, status=%d, branches=%d)" % (
            self.hash_index, self.label, self.match.method, self.uas_status,
            len(self.branches))


_install(Cell, HDR_FIELDS)
_install(Branch, BR_FIELDS)
_HDR_ZERO = [{"magic": MAGIC, "version": VERSION, "relayed_branch": -1}.get(
    n, 0.0 if f == "d" else 0) for n, f in HDR_FIELDS]
_BR_ZERO = [0.0 if f == "d" else 0 for _, f in BR_FIELDS]


def _too_large(what, vals, limits):
    for v, lim, name in zip(vals, limits, what):
        if len(v) > lim:
            raise CellError("%s too large: %d > %d bytes" % (name, len(v), lim))
    raise CellError("cell section too large")


_UAS_LIMITS = (MAX_MSG,) + (MAX_STR,) * 4
_BR_LIMITS = (MAX_MSG, MAX_STR, MAX_STR, MAX_MSG, MAX_MSG, MAX_STR, MAX_STR)


def _enc_uas(c):
    vals = (c.request, c.dst_ip, c.new_uri, c.dst_uri, c.path)
    if (len(vals[0]) > MAX_MSG
            or len(vals[1]) + len(vals[2]) + len(vals[3]) + len(vals[4])
            > MAX_STR):
        _too_large(_UAS_DATA, vals, _UAS_LIMITS)
    return marshal.dumps(vals, _MARSHAL)


def _enc_branch(b):
    vals = (b.buffer, b.uri, b.dst_ip, b.cancel, b.reply, b.dst_uri, b.path)
    if (len(vals[0]) > MAX_MSG or len(vals[3]) > MAX_MSG
            or len(vals[4]) > MAX_MSG or len(vals[1]) + len(vals[2])
            + len(vals[5]) + len(vals[6]) > MAX_STR):
        _too_large(_BR_DATA, vals, _BR_LIMITS)
    return marshal.dumps(vals, _MARSHAL)


def _enc_match(m):
    data = marshal.dumps(tuple(m), _MARSHAL)
    if len(data) > MAX_MATCH:
        raise CellError("match section too large: %d bytes" % len(data))
    return data


def _enc_avps(avps):
    if len(avps) > MAX_AVP:
        raise CellError("AVP list too large: %d > %d bytes" % (len(avps), MAX_AVP))
    return bytes(avps)


def _enc_tmcbs(cbs):
    if not cbs:
        return b""
    data = marshal.dumps(tuple(cbs), _MARSHAL)
    if len(data) > MAX_TMCB:
        raise CellError("tm callback list too large: %d bytes" % len(data))
    return data


def decode_tmcbs(data):
    """The ``(types, index, param)`` tuples of a SEC_TMCB section."""
    return marshal.loads(data) if data else ()


def encode_section(sec, obj):
    """Marshal the data of section ``sec`` (bounded); returns bytes.

    ``obj`` is a :data:`MatchKey` (SEC_MATCH), a :class:`Cell` (SEC_UAS:
    its UAS data), AVP bytes (SEC_AVP), the tm callback tuples (SEC_TMCB)
    or a :class:`Branch` (SEC_BR0+b).
    The strings of one UAS or branch section share a ``MAX_STR`` budget.
    """
    if sec == SEC_AVP:
        return _enc_avps(obj)
    if sec == SEC_MATCH:
        return _enc_match(obj)
    if sec == SEC_TMCB:
        return _enc_tmcbs(obj)
    return _enc_uas(obj) if sec == SEC_UAS else _enc_branch(obj)


def encode(cell):
    """Encode a :class:`Cell` to bytes (raises :class:`CellError` if too large)."""
    branches = cell.branches
    nrb = len(branches)
    if nrb > MAX_BRANCHES:
        raise CellError("too many branches: %d" % nrb)
    secs = [_enc_match(cell.match), _enc_uas(cell), _enc_avps(cell.avps),
            _enc_tmcbs(cell.tmcbs)]
    reply = cell.reply
    if len(reply) > MAX_MSG:
        raise CellError("reply too large: %d > %d bytes" % (len(reply),
                                                             MAX_MSG))
    vals = cell[:]
    vals[_I_MAGIC], vals[_I_VERSION], vals[_I_NRB] = MAGIC, VERSION, nrb
    vals[_I_RPL] = len(reply)
    brpack = _BR.pack
    try:
        parts = [None]
        for b in branches:
            secs.append(_enc_branch(b))
            parts.append(brpack(*b))
        lens = [len(s) for s in secs]
        lens += _NO_LENS[len(lens):]
        vals[_I_LEN0:_I_LEN0 + N_SECTIONS] = lens
        parts[0] = _HDR.pack(*vals)
    except struct.error as exc:
        raise CellError("bad field value: %s" % exc) from None
    parts += secs
    parts.append(reply)
    return b"".join(parts)


def _layout(buf):
    """Validate ``buf``; return (header values, section offsets list)."""
    if len(buf) < HDR_SIZE:
        raise CellError("cell too short: %d bytes" % len(buf))
    vals = _HDR.unpack_from(buf, 0)
    if vals[_I_MAGIC] != MAGIC or vals[_I_VERSION] != VERSION:
        raise CellError("not a tm cell (magic %#x version %d)"
                        % (vals[_I_MAGIC], vals[_I_VERSION]))
    nrb = vals[_I_NRB]
    if nrb > MAX_BRANCHES:
        raise CellError("corrupt cell: %d branches" % nrb)
    off = HDR_SIZE + nrb * BR_SIZE
    offs = []
    for n in vals[_I_LEN0:_I_LEN0 + SEC_BR0 + nrb]:
        offs.append(off)
        off += n
    if off + vals[_I_RPL] != len(buf) or any(
            vals[_I_LEN0 + SEC_BR0 + nrb:_I_LEN0 + N_SECTIONS]):
        raise CellError("corrupt cell: sections end at %d, record has %d"
                        % (off, len(buf)))
    offs.append(off)
    return vals, offs


def _loads(data, n_items):
    try:
        obj = marshal.loads(data)
    except (EOFError, ValueError, TypeError) as exc:
        raise CellError("corrupt cell section: %s" % exc) from None
    if obj.__class__ is not tuple or len(obj) != n_items:
        raise CellError("corrupt cell section")
    return obj


_N_MATCH = len(MatchKey._fields)
_N_UAS = len(_UAS_DATA)
_N_BR = len(_BR_DATA)
_new_match = MatchKey._make
_list_init = list.__init__


def decode(buf):
    """Decode bytes (or a memoryview) written by :func:`encode` to a :class:`Cell`."""
    vals, offs = _layout(buf)
    cell = list.__new__(Cell)
    _list_init(cell, vals)
    cell.match = _new_match(_loads(buf[offs[0]:offs[1]], _N_MATCH))
    (cell.request, cell.dst_ip, cell.new_uri, cell.dst_uri,
     cell.path) = _loads(buf[offs[1]:offs[2]], _N_UAS)
    cell.reply = bytes(buf[offs[-1]:])
    cell.avps = bytes(buf[offs[2]:offs[3]])
    cell.tmcbs = decode_tmcbs(buf[offs[3]:offs[4]])
    brs = []
    unpack = _BR.unpack_from
    off = HDR_SIZE
    for i in range(SEC_BR0, len(offs) - 1):
        b = list.__new__(Branch)
        _list_init(b, unpack(buf, off))
        off += BR_SIZE
        (b.buffer, b.uri, b.dst_ip, b.cancel, b.reply, b.dst_uri,
         b.path) = _loads(buf[offs[i]:offs[i + 1]], _N_BR)
        brs.append(b)
    cell.branches = brs
    return cell


def decode_match(buf, base=0):
    """Only the :data:`MatchKey` of the cell encoded at ``buf[base:]``.

    Reads just the header and the match section (request matching reads
    it straight from shm under the bucket lock).
    """
    n = _U32.unpack_from(buf, base + LENS_OFF)[0]
    off = base + HDR_SIZE + buf[base + _NRB_OFF] * BR_SIZE
    return _new_match(marshal.loads(buf[off:off + n]))


def section_span(buf, sec, base=0):
    """``(offset, length)`` of section ``sec`` of the cell at ``buf[base:]``.

    The offset is relative to ``base``.
    """
    lens = _LENS.unpack_from(buf, base + LENS_OFF)
    off = HDR_SIZE + buf[base + _NRB_OFF] * BR_SIZE + sum(lens[:sec])
    return off, lens[sec]


def splice_section(buf, sec, data):
    """Return a copy of encoded cell ``buf`` with section ``sec`` replaced."""
    off, n = section_span(buf, sec)
    out = bytearray(buf[:off])
    out += data
    out += buf[off + n:]
    _U32.pack_into(out, LENS_OFF + 4 * sec, len(data))
    return bytes(out)


def branch_record(branch):
    """The fixed record of :class:`Branch` ``branch`` (``BR_SIZE`` bytes)."""
    try:
        return _BR.pack(*branch)
    except struct.error as exc:
        raise CellError("bad field value: %s" % exc) from None


def reply_span(buf, base, vlen):
    """``(offset, length)`` of the reply tail of the ``vlen`` bytes long
    cell at ``buf[base:]`` (offset relative to ``base``)."""
    n = _U32.unpack_from(buf, base + _RPL_OFF)[0]
    return vlen - n, n


def add_branch_record(buf, branch):
    """Return a copy of ``buf`` with ``branch`` appended as the next branch.

    The branch record is inserted after the existing ones and its section
    after the last section; raises :class:`CellError` when full or too large.
    """
    nrb = buf[_NRB_OFF]
    if nrb >= MAX_BRANCHES:
        raise CellError("no more branches (%d)" % MAX_BRANCHES)
    sec = encode_section(SEC_BR0 + nrb, branch)
    rec_off = HDR_SIZE + nrb * BR_SIZE
    end = len(buf) - _U32.unpack_from(buf, _RPL_OFF)[0]
    out = bytearray(buf[:rec_off])
    out += _BR.pack(*branch)
    out += buf[rec_off:end]
    out += sec
    out += buf[end:]
    out[_NRB_OFF] = nrb + 1
    _U32.pack_into(out, LENS_OFF + 4 * (SEC_BR0 + nrb), len(sec))
    return bytes(out)


_U32 = struct.Struct("<I")
_NRB_OFF = HDR_OFF["nr_branches"][1]
_RPL_OFF = HDR_OFF["rpl_len"][1]
