"""The transaction table: cells in a 65536-bucket shm hash table (§5.1).

Theory of operation
-------------------
:class:`TransTable` is an :class:`~openser_py.mem.shtable.ShTable` of
``TABLE_ENTRIES`` buckets whose values are encoded cells
(:mod:`openser_py.modules.tm.cell`; the key is empty).  A transaction is
named ``(hash_index, label)``: the bucket is :func:`tm_hash` of the Call-ID
and CSeq number, the label the bucket's insertion counter.  That pair is
what our Via branch carries and what timers and other processes keep;
entry offsets are never kept across a lock release.

Every operation takes the bucket's lock stripe, does plain struct reads
and writes on the record (and at most one ``shm_malloc``/``shm_free``, as
the lock order allows), and releases it.  Matching runs the *pure*
functions of :mod:`~openser_py.modules.tm.t_lookup` under the lock so that
"found" and "referenced" (or "not found" and "inserted") are atomic; no
script, module or I/O code ever runs under a bucket lock.

Concurrency rules (what the later reply processing builds on):

* **References.**  Every lookup that hands a transaction to a worker
  (:meth:`lookup_request`, :meth:`lookup_cancel`, :meth:`lookup_reply`,
  :meth:`ref`) increments ``ref_count`` in the same critical section; the
  worker calls :meth:`unref` when done.  :meth:`remove` (wait / delete
  timers) frees a cell only at ``ref_count == 0``; otherwise it marks it
  ``T_REMOVED`` -- invisible to every lookup from then on -- and the last
  :meth:`unref` frees it (the delete timer retries too, §5.5).
* **Claims.**  A per-cell bit set tested-and-set under the lock
  (:meth:`claim`) replaces OpenSER's REPLY_LOCK held across script code:
  exactly one worker gets ``CLAIM_REPLY`` ("final reply being processed")
  or ``CLAIM_FAILURE`` ("failure route running").  A loser that asks for
  it gets ``pending`` set instead of waiting; :meth:`release` returns the
  pending bits, and the winner then re-runs its decision, so no event is
  lost and nobody blocks.
* **Compound updates** go through :meth:`edit`: ``with table.edit(h, l) as
  v`` holds the lock and gives a :class:`CellView` with in-place field
  access, section replacement and branch addition.  Only pure tm logic
  (``t_pick``, ``fsm``) may run inside.

Lock order: bucket stripe -> timer wheel lock -> shm mem lock.  Never two
stripes at once.
"""
import struct

from openser_py.core.hash_func import core_hash
from openser_py.mem.shtable import ENTRY_HDR, ShTable
from openser_py.modules.tm import cell as C
from openser_py.modules.tm.cell_view import TIMER_FIELDS, CellView  # noqa: F401
from openser_py.modules.tm.t_branch import TABLE_ENTRIES
from openser_py.modules.tm.t_lookup import (E2E_ACK, FOUND, METHOD_OTHER,
                                            NOT_FOUND, Candidate,
                                            reply_matches)

__all__ = ["TransTable", "CellView", "tm_hash", "INSERTED", "OOM",
           "CLAIMED", "BUSY", "GONE", "DELETED", "FREED"]

INSERTED, OOM = 3, -1           # lookup_request results beyond t_lookup's
CLAIMED, BUSY, GONE = 1, 0, -1  # claim()
DELETED = 1                     # remove(): freed now (BUSY: later)
FREED = -2                      # unref(): this unref freed a removed cell

_U32 = struct.Struct("<I")
# magic version nrb method_id first_branch uas_state flags msg_flags claims
# pending ref_count uas_status relayed_branch -- the start of cell.HDR
_PREFIX = struct.Struct("<HBBHBBIIHHHHb")
_HO = C.HDR_OFF
_FLAGS, _REF, _CLAIMS, _PENDING = (_HO["flags"], _HO["ref_count"],
                                   _HO["claims"], _HO["pending"])
_LABEL, _HASH = _HO["label"], _HO["hash_index"]
_BR_FLAGS = C.BR_OFF["flags"]


def tm_hash(callid, cseq_num):
    """OpenSER's ``tm_hash``: ``core_hash(Call-ID, CSeq number) & 0xFFFF``.

    ``callid`` and ``cseq_num`` are latin-1 ``str`` (or bytes).  Bytes are
    taken as C ``char`` (signed), as on the x86 builds of OpenSER.
    """
    return core_hash(callid, cseq_num, TABLE_ENTRIES)


class _Edit:
    """The context manager :meth:`TransTable.edit` returns."""

    __slots__ = ("_t", "_lock", "_b", "_label")

    def __init__(self, table, bucket, label):
        self._t, self._b, self._label = table, bucket, label
        self._lock = table._stripes[bucket % table._nlocks]

    def __enter__(self):
        self._lock.acquire()
        e = self._t.find_label_locked(self._b, self._label)
        return CellView(self._t, e, self._b, self._label) if e else None

    def __exit__(self, *exc):
        self._lock.release()
        return False


class TransTable(ShTable):
    """tm's hash table (create it in ``mod_init``, before fork).

    Args:
        n_locks: lock stripes (default 512).
        slack: spare bytes reserved in each entry so that replies and new
            branches are usually written in place.
        allocator: the shm allocator (default: the process-wide one).
    """

    def __init__(self, n_locks=None, slack=1024, allocator=None):
        super().__init__(TABLE_ENTRIES, n_locks, allocator)
        self.slack = slack

    # ------------------------------------------------------------ helpers
    def _lock(self, bucket):
        return self._stripes[bucket % self._nlocks]

    def _candidates_locked(self, bucket):
        mm, out = self._mm, []
        e = _U32.unpack_from(mm, self._boff + 16 * bucket)[0]
        while e:
            vo = e + ENTRY_HDR
            p = _PREFIX.unpack_from(mm, vo)
            if not p[6] & C.T_REMOVED:
                out.append(Candidate(_U32.unpack_from(mm, e + 12)[0], p[6],
                                     p[3], p[11], p[12],
                                     C.decode_match(mm, vo)))
            e = _U32.unpack_from(mm, e)[0]
        return out

    def _ref_locked(self, e):
        st, off = _REF
        n = st.unpack_from(self._mm, e + ENTRY_HDR + off)[0]
        if n >= 0xFFFF:
            return False
        st.pack_into(self._mm, e + ENTRY_HDR + off, n + 1)
        return True

    def _flags(self, e):
        st, off = _FLAGS
        return st.unpack_from(self._mm, e + ENTRY_HDR + off)[0]

    def _insert_locked(self, hash_index, value, refs, capacity=0):
        e, label = self.insert_locked(hash_index, b"", value,
                                      max(len(value) + self.slack, capacity))
        if e:
            mm, vo = self._mm, e + ENTRY_HDR
            _LABEL[0].pack_into(mm, vo + _LABEL[1], label)
            _HASH[0].pack_into(mm, vo + _HASH[1], hash_index)
            _REF[0].pack_into(mm, vo + _REF[1], refs)
        return label

    # ---------------------------------------------------------- insertion
    def insert(self, hash_index, value, ref=True):
        """Insert an encoded cell; return its label, 0 when shm is exhausted.

        ``hash_index``, ``label`` and ``ref_count`` (1 if ``ref``) are
        written into the record.
        """
        lock = self._lock(hash_index)
        lock.acquire()
        try:
            return self._insert_locked(hash_index, value, 1 if ref else 0)
        finally:
            lock.release()

    # ------------------------------------------------------------ lookups
    def lookup_request(self, hash_index, matcher, new_value=None,
                       found=None, capacity=0):
        """Match a request in bucket ``hash_index``; maybe create its cell.

        ``matcher(candidates) -> (result, label)`` is a pure function
        (``functools.partial(t_lookup.match_request, key, ...)``).  Returns
        ``(FOUND | E2E_ACK, label)`` with a reference taken, else, when
        ``new_value`` (an encoded cell) is given, inserts it in the same
        critical section -- so a retransmission racing its original cannot
        create a second transaction -- and returns ``(INSERTED, label)``
        (referenced) or ``(OOM, 0)``; without it ``(NOT_FOUND, 0)``.
        With ``found``, a pure function ``found(result, view)``, a found
        transaction is not referenced: ``(result, found(result, view))``
        is returned, computed in the same critical section.  ``capacity``
        reserves room for the new cell to grow in place (its branches).
        """
        lock = self._lock(hash_index)
        lock.acquire()
        try:
            cands = self._candidates_locked(hash_index)
            res, label = matcher(cands) if cands else (NOT_FOUND, 0)
            if res == FOUND or res == E2E_ACK:
                e = self.find_label_locked(hash_index, label)
                if e and found is not None:
                    return res, found(res, CellView(self, e, hash_index,
                                                    label))
                if e and self._ref_locked(e):
                    return res, label
                return NOT_FOUND, 0
            if new_value is None:
                return NOT_FOUND, 0
            label = self._insert_locked(hash_index, new_value, 1, capacity)
            return (INSERTED, label) if label else (OOM, 0)
        finally:
            lock.release()

    def lookup_cancel(self, hash_index, matcher):
        """Label of the INVITE a CANCEL cancels (referenced), 0 if none.

        ``matcher(candidates) -> label`` (``t_lookup.match_cancel``).
        """
        lock = self._lock(hash_index)
        lock.acquire()
        try:
            cands = self._candidates_locked(hash_index)
            label = matcher(cands) if cands else 0
            e = self.find_label_locked(hash_index, label) if label else 0
            return label if e and self._ref_locked(e) else 0
        finally:
            lock.release()

    def lookup_reply(self, hash_index, label, branch, cseq_method_id,
                     cseq_method, locked=None):
        """Reference the transaction a reply belongs to; True if it does.

        With ``locked``, a pure function of a :class:`CellView`, the match
        is followed by ``locked(view)`` in the same critical section
        instead of the reference: its result is returned (False when the
        reply matches nothing).  It may take the reference itself
        (:meth:`ref_view`).
        """
        if hash_index >= self.n_buckets:
            return False
        lock = self._lock(hash_index)
        lock.acquire()
        try:
            e = self.find_label_locked(hash_index, label)
            if not e:
                return False
            p = _PREFIX.unpack_from(self._mm, e + ENTRY_HDR)
            if p[6] & C.T_REMOVED or branch >= p[2]:
                return False
            # the common case: the reply's CSeq method id is the known
            # method of a server transaction (reply_matches says yes
            # whatever the branch flags and names); else the general rule
            if cseq_method_id != p[3] or cseq_method_id == METHOD_OTHER \
                    or p[6] & C.T_NO_UAS:
                brf = self._mm[e + ENTRY_HDR + C.HDR_SIZE
                               + branch * C.BR_SIZE + _BR_FLAGS[1]]
                # the name is needed only for unknown methods and UAC
                # cells; else the ids decide: skip the decode
                method = C.decode_match(self._mm, e + ENTRY_HDR).method \
                    if cseq_method_id == METHOD_OTHER or p[6] & C.T_NO_UAS \
                    else None
                if not reply_matches(p[6], p[3], method, p[2], branch, brf,
                                     cseq_method_id, cseq_method):
                    return False
            if locked is not None:
                return locked(CellView(self, e, hash_index, label))
            return self._ref_locked(e)
        finally:
            lock.release()

    def ref_view(self, v):
        """Inside ``edit``/``locked``: take a reference on the viewed cell."""
        return self._ref_locked(v.e)

    # --------------------------------------------------- references, reads
    def ref(self, hash_index, label):
        """Take a reference (e.g. MI ``t_reply``); False if gone/removed."""
        with self._lock(hash_index):
            e = self.find_label_locked(hash_index, label)
            return bool(e) and not self._flags(e) & C.T_REMOVED and \
                self._ref_locked(e)

    def unref(self, hash_index, label):
        """Drop a reference: refs left, ``GONE`` or ``FREED`` (see module doc)."""
        with self._lock(hash_index):
            e = self.find_label_locked(hash_index, label)
            if not e:
                return GONE
            return self._unref_locked(e)

    def unref_view(self, v):
        """:meth:`unref` inside ``edit``; the view is unusable afterwards."""
        return self._unref_locked(v.e)

    def _unref_locked(self, e):
        st, off = _REF
        n = st.unpack_from(self._mm, e + ENTRY_HDR + off)[0]
        n = n - 1 if n else 0
        if not n and self._flags(e) & C.T_REMOVED:
            self.delete_entry_locked(e)
            return FREED
        st.pack_into(self._mm, e + ENTRY_HDR + off, n)
        return n

    def read(self, hash_index, label):
        """A decoded copy of the cell, or None (decoded outside the lock)."""
        with self._lock(hash_index):
            e = self.find_label_locked(hash_index, label)
            data = self.entry_value(e) if e else None
        return C.decode(data) if data is not None else None

    def edit(self, hash_index, label):
        """``with table.edit(h, label) as view:`` -- view is None if gone."""
        return _Edit(self, hash_index, label)

    # ------------------------------------------------------------- claims
    def claim(self, hash_index, label, bits, mark_pending=True):
        """Test-and-set claim ``bits``: ``CLAIMED``, ``BUSY`` or ``GONE``.

        On ``BUSY`` with ``mark_pending`` the bits are set in ``pending``
        so that the holder re-runs its decision when it releases.
        """
        with self._lock(hash_index):
            e = self.find_label_locked(hash_index, label)
            if not e:
                return GONE
            mm, vo = self._mm, e + ENTRY_HDR
            st, off = _CLAIMS
            held = st.unpack_from(mm, vo + off)[0]
            if held & bits:
                if mark_pending:
                    pst, poff = _PENDING
                    pst.pack_into(mm, vo + poff,
                                  pst.unpack_from(mm, vo + poff)[0] | bits)
                return BUSY
            st.pack_into(mm, vo + off, held | bits)
            return CLAIMED

    def release(self, hash_index, label, bits):
        """Release claim ``bits``; return the pending bits among them (cleared).

        A non-zero result means another worker wanted the claim meanwhile:
        re-evaluate.  ``GONE`` (-1) if the cell no longer exists.
        """
        with self._lock(hash_index):
            e = self.find_label_locked(hash_index, label)
            if not e:
                return GONE
            mm, vo = self._mm, e + ENTRY_HDR
            st, off = _CLAIMS
            st.pack_into(mm, vo + off, st.unpack_from(mm, vo + off)[0] & ~bits)
            pst, poff = _PENDING
            pend = pst.unpack_from(mm, vo + poff)[0]
            pst.pack_into(mm, vo + poff, pend & ~bits)
            return pend & bits

    # ----------------------------------------------------------- deletion
    def remove(self, hash_index, label):
        """Wait/delete timer: free the cell, or hide it while referenced.

        Returns ``DELETED`` (freed now), ``BUSY`` (marked ``T_REMOVED``:
        the last :meth:`unref` or a delete-timer retry frees it) or
        ``GONE``.
        """
        with self._lock(hash_index):
            e = self.find_label_locked(hash_index, label)
            if not e:
                return GONE
            st, off = _REF
            if st.unpack_from(self._mm, e + ENTRY_HDR + off)[0]:
                fst, foff = _FLAGS
                fst.pack_into(self._mm, e + ENTRY_HDR + foff,
                              self._flags(e) | C.T_REMOVED)
                return BUSY
            self.delete_entry_locked(e)
            return DELETED

    def bucket_stats(self):
        """``(current, total)`` transactions of every bucket (MI ``t_hash``).

        ``total`` is the bucket's label counter: every transaction ever
        inserted there (OpenSER ``acc_entries``).  Racy reads, fine for MI.
        """
        words = self._a.view[self._boff:self._boff + 16 * self.n_buckets] \
            .cast("I")
        try:
            return list(zip(words[2::4], words[3::4]))
        finally:
            words.release()

    def labels(self, bucket):
        """Labels in ``bucket`` (snapshot), oldest first."""
        with self._lock(bucket):
            out, e = [], _U32.unpack_from(self._mm, self._boff + 16 * bucket)[0]
            while e:
                out.append(_U32.unpack_from(self._mm, e + 12)[0])
                e = _U32.unpack_from(self._mm, e)[0]
            return out
