"""In-place access to one encoded cell in shm (used under a bucket lock).

:class:`CellView` is what ``TransTable.edit`` hands out while it holds the
bucket lock: typed reads and writes of header and branch fields at their
fixed offsets (``cell.HDR_OFF`` / ``cell.BR_OFF``), replacement of one
variable section, appending a branch, and the timer handle/due fields of
every timer kind (:data:`TIMER_FIELDS`; offsets precomputed per kind).
:meth:`CellView.header` reads the whole fixed header in one unpack (a
snapshot tuple indexed by the ``H_*`` constants) where a critical section
needs several of its fields before writing them.  A view is valid only
inside its ``with`` block: after the lock is released the entry may move
or be freed.  Replacing a section or adding a branch may reallocate the
entry (same label, new offset); the view follows it.
"""
import struct

from openser_py.mem.shtable import ENTRY_HDR
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import timer_wheel as W

__all__ = ["CellView", "TIMER_FIELDS", "H_FLAGS", "H_METHOD_ID",
           "H_FIRST_BRANCH", "H_UAS_STATUS", "H_RELAYED_BRANCH",
           "H_UAS_PROTO", "H_UAS_PORT", "H_UAS_SOCK", "H_ON_REPLY",
           "H_TMCB_TYPES", "H_FR_INV_TIMEOUT"]

_U32 = struct.Struct("<I")
_FLAGS = C.HDR_OFF["flags"]
_HOFF, _BOFF = C.HDR_OFF, C.BR_OFF          # hot paths: no module lookups
_HSIZE, _BSIZE = C.HDR_SIZE, C.BR_SIZE
_NRB = C.HDR_OFF["nr_branches"][1]
_RPL = C.HDR_OFF["rpl_len"]
_KVC = struct.Struct("<III")        # key_len, val_len, val_cap of an entry

#: timer kind -> (handle field, due field, per branch?)
TIMER_FIELDS = {
    W.TK_RETR: ("retr_h", "retr_due", True),
    W.TK_FR: ("fr_h", "fr_due", True),
    W.TK_CRETR: ("cretr_h", "cretr_due", True),
    W.TK_CFR: ("cfr_h", "cfr_due", True),
    W.TK_UAS_RETR: ("uas_retr_h", "uas_retr_due", False),
    W.TK_UAS_FR: ("uas_fr_h", "uas_fr_due", False),
    W.TK_WAIT: ("wait_h", "wait_due", False),
    W.TK_DELETE: ("wait_h", "wait_due", False),
}


def _timer_offsets(kind):
    """``(handle Struct, handle offset, due Struct, due offset, per
    branch?)`` of timer ``kind``; offsets from the header (a branch field
    adds ``b * BR_SIZE``)."""
    hname, dname, per_branch = TIMER_FIELDS[kind]
    if per_branch:
        (hst, hoff), (dst, doff) = _BOFF[hname], _BOFF[dname]
        return hst, _HSIZE + hoff, dst, _HSIZE + doff, True
    (hst, hoff), (dst, doff) = _HOFF[hname], _HOFF[dname]
    return hst, hoff, dst, doff, False


_TOFF = {kind: _timer_offsets(kind) for kind in TIMER_FIELDS}

#: the whole fixed header (:data:`cell.HDR_FIELDS`) in one unpack, for
#: :meth:`CellView.header`; ``H_<FIELD>`` are the positions in its tuple.
_HDR = struct.Struct("<" + "".join(f for _, f in C.HDR_FIELDS))
_HIDX = {name: i for i, (name, _) in enumerate(C.HDR_FIELDS)}
H_FLAGS, H_METHOD_ID, H_FIRST_BRANCH = (
    _HIDX["flags"], _HIDX["method_id"], _HIDX["first_branch"])
H_UAS_STATUS, H_RELAYED_BRANCH = _HIDX["uas_status"], _HIDX["relayed_branch"]
H_UAS_PROTO, H_UAS_PORT, H_UAS_SOCK = (
    _HIDX["uas_proto"], _HIDX["uas_port"], _HIDX["uas_sock"])
H_ON_REPLY, H_TMCB_TYPES = _HIDX["on_reply"], _HIDX["tmcb_types"]
H_FR_INV_TIMEOUT = _HIDX["fr_inv_timeout"]
#: status and flags, the first two fields of a branch record
_BR_HEAD = struct.Struct("<HB")
_BR_HEAD_SIZE = _BR_HEAD.size
assert _BOFF["status"][1] == 0 and _BOFF["flags"][1] == 2


class CellView:
    """In-place access to one cell; valid only inside ``TransTable.edit``.

    ``get``/``set`` read and write header fields, ``bget``/``bset`` branch
    fields, all by name (see ``cell.HDR_FIELDS`` / ``cell.BR_FIELDS``).
    """

    __slots__ = ("_t", "_mm", "e", "vo", "bucket", "label")

    def __init__(self, table, e, bucket, label):
        self._t, self._mm, self.e = table, table._mm, e
        self.vo = e + ENTRY_HDR
        self.bucket, self.label = bucket, label

    def get(self, name):
        """Header field ``name``."""
        st, off = _HOFF[name]
        return st.unpack_from(self._mm, self.vo + off)[0]

    def set(self, name, value):
        """Write header field ``name`` in place."""
        st, off = _HOFF[name]
        st.pack_into(self._mm, self.vo + off, value)

    def header(self):
        """Every header field at once, a tuple in :data:`cell.HDR_FIELDS`
        order (index it with the ``H_*`` constants).

        A snapshot: a field written through this view afterwards is not
        seen in it.  Cheaper than three or more :meth:`get` calls.
        """
        return _HDR.unpack_from(self._mm, self.vo)

    def branch_head(self, b):
        """``(status, flags)`` of branch ``b`` in one read."""
        return _BR_HEAD.unpack_from(self._mm, self.vo + _HSIZE + b * _BSIZE)

    def branch_heads(self):
        """The raw ``(status, flags)`` records of every branch, as bytes
        (hashable: a cache key for what depends only on them)."""
        mm, base = self._mm, self.vo + _HSIZE
        n = mm[self.vo + _NRB]
        if n == 1:
            return mm[base:base + _BR_HEAD_SIZE]
        return b"".join([mm[o:o + _BR_HEAD_SIZE]
                         for o in range(base, base + n * _BSIZE, _BSIZE)])

    def bget(self, b, name):
        """Field ``name`` of branch ``b``."""
        st, off = _BOFF[name]
        return st.unpack_from(self._mm, self.vo + _HSIZE + b * _BSIZE + off)[0]

    def bset(self, b, name, value):
        """Write field ``name`` of branch ``b`` in place."""
        st, off = _BOFF[name]
        st.pack_into(self._mm, self.vo + _HSIZE + b * _BSIZE + off, value)

    def or_flags(self, bits):
        """``flags |= bits``; returns the old flags."""
        st, off = _FLAGS
        old = st.unpack_from(self._mm, self.vo + off)[0]
        st.pack_into(self._mm, self.vo + off, old | bits)
        return old

    def nr_branches(self):
        """Number of branches (``nr_of_outgoings``)."""
        return self._mm[self.vo + _NRB]

    def value(self):
        """A copy of the encoded cell."""
        vlen = _U32.unpack_from(self._mm, self.e + 20)[0]
        return self._mm[self.vo:self.vo + vlen]

    def cell(self):
        """The whole cell, decoded (a copy)."""
        return C.decode(self.value())

    def match(self):
        """The cell's :data:`~openser_py.modules.tm.cell.MatchKey`."""
        return C.decode_match(self._mm, self.vo)

    def section(self, sec):
        """Raw bytes of section ``sec`` (a copy)."""
        off, n = C.section_span(self._mm, sec, self.vo)
        return self._mm[self.vo + off:self.vo + off + n]

    def reply(self):
        """The last reply sent upstream (the cell's reply tail, a copy)."""
        vlen = _U32.unpack_from(self._mm, self.e + 20)[0]
        off, n = C.reply_span(self._mm, self.vo, vlen)
        return self._mm[self.vo + off:self.vo + vlen] if n else b""

    def set_reply(self, data):
        """Replace the reply tail; only it is written when the entry has
        room.  False if no shm (the old reply stays)."""
        vlen = _U32.unpack_from(self._mm, self.e + 20)[0]
        st, off = _RPL
        old = st.unpack_from(self._mm, self.vo + off)[0]
        st.pack_into(self._mm, self.vo + off, len(data))
        e = self._t.set_value_tail_locked(self.e, vlen - old, data)
        if not e:
            st.pack_into(self._mm, self.vo + off, old)
            return False
        self.e, self.vo = e, e + ENTRY_HDR
        return True

    def set_local_totag(self, tag):
        """Record the To-tag of our own reply (e2e ACK dialog matching)."""
        key = self.match()._replace(local_totag=tag)
        return self.set_section(C.SEC_MATCH,
                                C.encode_section(C.SEC_MATCH, key))

    def _write(self, new):
        e = self._t.set_value_locked(self.e, new)
        if not e:
            return False
        self.e, self.vo = e, e + ENTRY_HDR
        return True

    def set_section(self, sec, data):
        """Replace section ``sec`` with encoded ``data``; False if no shm."""
        return self._write(C.splice_section(self.value(), sec, data))

    def add_branch(self, branch, refuse=C.T_CANCELED | C.T_NO_NEW_BRANCHES):
        """Append ``branch``; return its index.

        Returns -2 if the cell has one of the ``refuse`` flags (cancelled,
        or a 6xx won: t_relay's E_NO_DESTINATION) -- checked in the same
        critical section, so a CANCEL cannot slip between the check and
        the add -- and -1 when 12 branches exist or shm is exhausted.
        Raises :class:`~openser_py.modules.tm.cell.CellError` if the
        branch data is too large.
        """
        if self.get("flags") & refuse:
            return -2
        nrb = self.nr_branches()
        if nrb >= C.MAX_BRANCHES:
            return -1
        sec = C.encode_section(C.SEC_BR0 + nrb, branch)
        if self._add_in_place(nrb, C.branch_record(branch), sec):
            return nrb
        new = C.add_branch_record(self.value(), branch)
        return nrb if self._write(new) else -1

    def _add_in_place(self, nrb, rec, sec):
        """``add_branch_record`` inside the entry when its capacity allows:
        the sections and the reply tail move right (``mmap.move``), the
        record and the section are written; nothing is copied out."""
        mm, vo = self._mm, self.vo
        klen, vlen, cap = _KVC.unpack_from(mm, self.e + 16)
        grow = _BSIZE + len(sec)
        if klen or vlen + grow > cap:
            return False
        rec_off = vo + _HSIZE + nrb * _BSIZE
        rst, roff = _RPL
        end = vo + vlen - rst.unpack_from(mm, vo + roff)[0]  # sections end
        mm.move(end + grow, end, vo + vlen - end)             # reply tail
        mm.move(rec_off + _BSIZE, rec_off, end - rec_off)     # sections
        mm[rec_off:rec_off + _BSIZE] = rec
        mm[end + _BSIZE:end + grow] = sec
        mm[vo + _NRB] = nrb + 1
        _U32.pack_into(mm, vo + C.LENS_OFF + 4 * (C.SEC_BR0 + nrb), len(sec))
        _U32.pack_into(mm, self.e + 20, vlen + grow)
        return True

    def timer(self, kind, branch=0):
        """``(handle, due)`` stored for timer ``kind`` (of ``branch``)."""
        hst, hoff, dst, doff, per_branch = _TOFF[kind]
        base = self.vo + branch * _BSIZE if per_branch else self.vo
        return (hst.unpack_from(self._mm, base + hoff)[0],
                dst.unpack_from(self._mm, base + doff)[0])

    def timer_handle(self, kind, branch=0):
        """Only the handle of timer ``kind`` (0 = not armed)."""
        hst, hoff, _dst, _doff, per_branch = _TOFF[kind]
        base = self.vo + branch * _BSIZE if per_branch else self.vo
        return hst.unpack_from(self._mm, base + hoff)[0]

    def take_timer(self, kind, branch=0):
        """Clear the handle of timer ``kind`` (and its due time) if one is
        stored; return that handle (0 = none was armed)."""
        hst, hoff, dst, doff, per_branch = _TOFF[kind]
        mm = self._mm
        base = self.vo + branch * _BSIZE if per_branch else self.vo
        handle = hst.unpack_from(mm, base + hoff)[0]
        if handle:
            hst.pack_into(mm, base + hoff, 0)
            dst.pack_into(mm, base + doff, 0.0)
        return handle

    def take_timers(self, kinds, branch=0):
        """:meth:`take_timer` of each timer kind in ``kinds`` (of
        ``branch``); the list of the handles that were armed."""
        mm, out = self._mm, []
        for kind in kinds:
            hst, hoff, dst, doff, per_branch = _TOFF[kind]
            base = self.vo + branch * _BSIZE if per_branch else self.vo
            handle = hst.unpack_from(mm, base + hoff)[0]
            if handle:
                hst.pack_into(mm, base + hoff, 0)
                dst.pack_into(mm, base + doff, 0.0)
                out.append(handle)
        return out

    def set_timer(self, kind, branch, handle, due):
        """Store (or clear with 0, 0.0) the handle of timer ``kind``."""
        hst, hoff, dst, doff, per_branch = _TOFF[kind]
        mm = self._mm
        base = self.vo + branch * _BSIZE if per_branch else self.vo
        hst.pack_into(mm, base + hoff, handle)
        dst.pack_into(mm, base + doff, due)
