"""A generic hash table in shm: the base of tm's and usrloc's tables.

Theory of operation
-------------------
The table is a bucket array in shm plus one shm block per entry; entries
of a bucket form a doubly linked list (append at the tail, so a bucket
iterates oldest first).  Buckets are striped over a :class:`LockSet`
(bucket ``b`` is protected by stripe ``b % n_locks``); both the array and
the locks are created in the master before fork.

Layout (little endian u32)::

    bucket b (16 bytes): head, tail, count, last_label
    entry   (32 bytes):  next, prev, hash, label, key_len, val_len, val_cap, flags
                         then key bytes, then val_cap bytes of value

``hash`` is the caller's 32-bit key hash (the bucket is ``hash & (n-1)``, so
a caller can pass a ready-made bucket index, as tm does with its 16-bit hash
index).  ``label`` is a per-bucket counter assigned at insertion, never
reused while the entry lives: ``(bucket, label)`` names an entry safely
across lock releases (OpenSER's ``hash_index:label``), whereas an entry
offset may be freed and reused as soon as the bucket lock is released.
Values are bytes; records with structure use ``struct`` layouts in the value
(see :meth:`value_view`).

Locking: every public method takes and releases the bucket's stripe.
Methods ending in ``_locked`` expect the caller to hold it (``with
table.locked(key_hash): ...``), for compound operations such as
lookup-or-insert.  Allocation happens outside the bucket lock where
possible; where not (relocating update, delete under lock) the order is
bucket lock -> mem lock, as the lock rule allows.  Never call out to module
or script code while holding a bucket lock: copy the bytes out
(:meth:`lookup`, :meth:`bucket_items`) and act after the release.
"""

import struct
import zlib

from openser_py.mem import shm
from openser_py.mem.locking import LockSet

_BUCKET = struct.Struct("<IIII")
_ELINK = struct.Struct("<IIII")         # next, prev, hash, label
_ENTRY = struct.Struct("<IIIIIIII")
_U32 = struct.Struct("<I")
_KLEN_VLEN = struct.Struct("<II")      # key_len, val_len at offset 16
_III = struct.Struct("<III")   # (next, prev, hash) at 0; (key_len, val_len, val_cap) at 16
_NEXT_HASH = struct.Struct("<I4xI")     # next, (prev skipped), hash
_NEXT_LABEL = struct.Struct("<I8xI")    # next, label
ENTRY_HDR = _ENTRY.size
MASK32 = 0xFFFFFFFF
DEFAULT_MAX_LOCKS = 512


def key_hash(data):
    """A stable 32-bit hash of ``data`` (same value in every process)."""
    return zlib.crc32(data)


class ShTable:
    """Shared hash table of (key bytes -> value bytes) entries.

    Args:
        n_buckets: rounded up to a power of two.
        n_locks: lock stripes (default ``min(n_buckets, 512)``).
        allocator: the shm allocator (default: the process-wide one).

    Raises:
        MemoryError: not enough shm for the bucket array.
    """

    def __init__(self, n_buckets, n_locks=None, allocator=None):
        a = allocator or shm.get_allocator()
        if a is None:
            raise RuntimeError("shm is not initialised")
        n = 1
        while n < n_buckets:
            n <<= 1
        size = _BUCKET.size * n
        off = a.malloc(size, 2)
        if not off:
            raise MemoryError("not enough shm for a %d-bucket table" % n)
        a.view[off:off + size] = bytes(size)
        self._a, self._mm, self._boff = a, a.mm, off
        self.n_buckets, self._mask = n, n - 1
        self.locks = LockSet(n_locks or min(n, DEFAULT_MAX_LOCKS))
        self._nlocks = self.locks.size
        self._stripes = list(self.locks)

    # ------------------------------------------------------------- locking
    def bucket_index(self, key_hash):
        """The bucket of ``key_hash``."""
        return key_hash & self._mask

    def locked(self, key_hash):
        """The lock of ``key_hash``'s bucket, for ``with table.locked(h):``."""
        return self.locks.get(key_hash & self._mask)

    # ------------------------------------------------------ locked helpers
    def find_locked(self, key_hash, key):
        """Offset of the first entry with this key, or 0 (bucket lock held)."""
        mm = self._mm
        h = key_hash & MASK32
        e = _U32.unpack_from(mm, self._boff + 16 * (h & self._mask))[0]
        klen = len(key)
        unpack = _NEXT_HASH.unpack_from
        while e:
            nxt, eh = unpack(mm, e)
            if (eh == h and _U32.unpack_from(mm, e + 16)[0] == klen
                    and mm[e + ENTRY_HDR:e + ENTRY_HDR + klen] == key):
                return e
            e = nxt
        return 0

    def find_label_locked(self, bucket, label):
        """Offset of the entry ``(bucket, label)``, or 0 (bucket lock held)."""
        mm = self._mm
        e = _U32.unpack_from(mm, self._boff + 16 * bucket)[0]
        while e:
            nxt, elabel = _NEXT_LABEL.unpack_from(mm, e)
            if elabel == label:
                return e
            e = nxt
        return 0

    def insert_locked(self, key_hash, key, value, capacity=0):
        """Insert under a held lock; return ``(entry_off, label)`` or ``(0, 0)``."""
        e = self._new_entry(key, value, capacity, 3)
        if not e:
            return 0, 0
        return e, self._link_locked(e, key_hash & MASK32)

    def delete_entry_locked(self, e):
        """Unlink and free entry ``e`` (bucket lock held)."""
        self._unlink_locked(e)
        self._a.free(e)

    def set_value_locked(self, e, value, _depth=1):
        """Replace entry ``e``'s value; return its (maybe new) offset, 0 if no shm.

        In place when the value fits the entry's capacity; otherwise the
        entry is reallocated and relinked at the same place (same label).
        """
        mm = self._mm
        nxt, prv, h, label, klen, vlen, cap, flags = _ENTRY.unpack_from(mm, e)
        n = len(value)
        vo = e + ENTRY_HDR + klen
        if n <= cap:
            mm[vo:vo + n] = value
            _U32.pack_into(mm, e + 20, n)
            return e
        new = self._a.malloc(ENTRY_HDR + klen + n + n // 4, _depth + 1)
        if not new:
            return 0
        _ENTRY.pack_into(mm, new, nxt, prv, h, label, klen, n, n + n // 4, flags)
        mm[new + ENTRY_HDR:new + ENTRY_HDR + klen] = mm[e + ENTRY_HDR:vo]
        mm[new + ENTRY_HDR + klen:new + ENTRY_HDR + klen + n] = value
        bo = self._boff + 16 * (h & self._mask)
        _U32.pack_into(mm, prv if prv else bo, new)
        _U32.pack_into(mm, nxt + 4 if nxt else bo + 4, new)
        self._a.free(e)
        return new

    def set_value_tail_locked(self, e, keep, tail):
        """Keep the first ``keep`` bytes of entry ``e``'s value, then ``tail``.

        In place when it fits the entry's capacity (only ``tail`` is
        written); otherwise as :meth:`set_value_locked`.  Returns the
        (maybe new) offset, 0 if no shm.
        """
        mm = self._mm
        klen, vlen, cap = _III.unpack_from(mm, e + 16)
        n = keep + len(tail)
        if n <= cap and keep <= vlen:
            vo = e + ENTRY_HDR + klen
            mm[vo + keep:vo + n] = tail
            _U32.pack_into(mm, e + 20, n)
            return e
        vo = e + ENTRY_HDR + klen
        return self.set_value_locked(e, bytes(mm[vo:vo + keep]) + tail, 2)

    def value_view(self, e, capacity=False):
        """``memoryview`` of entry ``e``'s value (or whole capacity) for in-place edits.

        Valid only while the bucket lock is held.
        """
        klen, vlen, cap = _III.unpack_from(self._mm, e + 16)
        vo = e + ENTRY_HDR + klen
        return self._a.view[vo:vo + (cap if capacity else vlen)]

    def entry_key(self, e):
        """Key bytes of entry ``e`` (bucket lock held)."""
        klen = _U32.unpack_from(self._mm, e + 16)[0]
        return self._mm[e + ENTRY_HDR:e + ENTRY_HDR + klen]

    def entry_value(self, e):
        """Value bytes of entry ``e`` (bucket lock held)."""
        klen, vlen = _KLEN_VLEN.unpack_from(self._mm, e + 16)
        vo = e + ENTRY_HDR + klen
        return self._mm[vo:vo + vlen]

    def value_head_locked(self, e, n):
        """The first ``n`` bytes of entry ``e``'s value, copied (bucket
        lock held): a version stamp or a type byte without copying the
        whole value."""
        vo = e + ENTRY_HDR + _U32.unpack_from(self._mm, e + 16)[0]
        return self._mm[vo:vo + n]

    def entry_label(self, e):
        """Label of entry ``e`` (bucket lock held)."""
        return _U32.unpack_from(self._mm, e + 12)[0]

    # ------------------------------------------------------ public, locking
    def insert(self, key_hash, key, value, capacity=0):
        """Append an entry; return its offset, or 0 when shm is exhausted.

        Keys need not be unique (use :meth:`locked` + :meth:`find_locked`
        + :meth:`insert_locked` for insert-if-absent).  ``capacity``
        reserves room so later :meth:`update` calls stay in place.
        """
        return self.insert_labeled(key_hash, key, value, capacity, 2)[0]

    def insert_labeled(self, key_hash, key, value, capacity=0, _depth=1):
        """Like :meth:`insert` but return ``(entry_off, label)`` (``(0, 0)`` on OOM)."""
        e = self._new_entry(key, value, capacity, _depth + 2)
        if not e:
            return 0, 0
        lock = self._stripes[(key_hash & self._mask) % self._nlocks]
        lock.acquire()
        try:
            label = self._link_locked(e, key_hash & MASK32)
        finally:
            lock.release()
        return e, label

    def lookup(self, key_hash, key):
        """Return a copy of the value of the first entry with ``key``, or None."""
        lock = self._stripes[(key_hash & self._mask) % self._nlocks]
        lock.acquire()
        try:
            e = self.find_locked(key_hash, key)
            return self.entry_value(e) if e else None
        finally:
            lock.release()

    def lookup_label(self, bucket, label):
        """Return ``(key, value)`` of entry ``(bucket, label)``, or None."""
        with self.locks.get(bucket):
            e = self.find_label_locked(bucket, label)
            return (self.entry_key(e), self.entry_value(e)) if e else None

    def update(self, key_hash, key, value):
        """Replace the value of ``key``; return the entry offset, 0 if absent or no shm."""
        lock = self._stripes[(key_hash & self._mask) % self._nlocks]
        lock.acquire()
        try:
            e = self.find_locked(key_hash, key)
            return self.set_value_locked(e, value, 2) if e else 0
        finally:
            lock.release()

    def delete(self, key_hash, key):
        """Remove the first entry with ``key``; return True if one was removed."""
        lock = self._stripes[(key_hash & self._mask) % self._nlocks]
        lock.acquire()
        try:
            e = self.find_locked(key_hash, key)
            if e:
                self._unlink_locked(e)
        finally:
            lock.release()
        if e:
            self._a.free(e)             # outside the bucket lock
        return bool(e)

    def delete_label(self, bucket, label):
        """Remove entry ``(bucket, label)``; return True if it was there."""
        with self.locks.get(bucket):
            e = self.find_label_locked(bucket, label)
            if e:
                self._unlink_locked(e)
        if e:
            self._a.free(e)
        return bool(e)

    def bucket_items(self, bucket):
        """Snapshot of a bucket: list of ``(label, key, value)``, oldest first."""
        mm, out = self._mm, []
        with self.locks.get(bucket):
            e = _U32.unpack_from(mm, self._boff + 16 * bucket)[0]
            while e:
                nxt, _, _, label, klen, vlen, _, _ = _ENTRY.unpack_from(mm, e)
                ko = e + ENTRY_HDR
                out.append((label, mm[ko:ko + klen], mm[ko + klen:ko + klen + vlen]))
                e = nxt
        return out

    def items(self):
        """Yield ``(bucket, label, key, value)`` for all entries, bucket by bucket.

        Each bucket is copied under its lock; nothing is locked while the
        caller handles the items, so the table may change meanwhile.
        """
        for b in range(self.n_buckets):
            if self.bucket_count(b):
                for label, key, value in self.bucket_items(b):
                    yield b, label, key, value

    def bucket_count(self, bucket):
        """Number of entries in ``bucket`` (a racy read, fine for stats)."""
        return _U32.unpack_from(self._mm, self._boff + 16 * bucket + 8)[0]

    def count(self):
        """Number of entries in the table (sum of racy per-bucket reads)."""
        words = self._a.view[self._boff:self._boff + 16 * self.n_buckets].cast("I")
        try:
            return sum(words[2::4])
        finally:
            words.release()

    def clear(self):
        """Remove and free every entry."""
        for b in range(self.n_buckets):
            while self.bucket_count(b):
                with self.locks.get(b):
                    e = _U32.unpack_from(self._mm, self._boff + 16 * b)[0]
                    if e:
                        self.delete_entry_locked(e)

    def destroy(self):
        """Free all entries and the bucket array (master, at shutdown or in tests)."""
        if self._boff:
            self.clear()
            self._a.free(self._boff)
            self._boff = 0

    # ------------------------------------------------------------ internal
    def _new_entry(self, key, value, capacity, depth):
        """Allocate and fill an unlinked entry; ``depth`` frames up is blamed."""
        klen, vlen = len(key), len(value)
        cap = max(vlen, capacity)
        e = self._a.malloc(ENTRY_HDR + klen + cap, depth)
        if e:
            mm = self._mm
            mm[e + ENTRY_HDR:e + ENTRY_HDR + klen] = key
            mm[e + ENTRY_HDR + klen:e + ENTRY_HDR + klen + vlen] = value
            _ENTRY.pack_into(mm, e, 0, 0, 0, 0, klen, vlen, cap, 0)
        return e

    def _link_locked(self, e, h):
        mm = self._mm
        bo = self._boff + 16 * (h & self._mask)
        head, tail, count, label = _BUCKET.unpack_from(mm, bo)
        label = (label + 1) & MASK32 or 1
        _ELINK.pack_into(mm, e, 0, tail, h, label)
        if tail:
            _U32.pack_into(mm, tail, e)
        else:
            head = e
        _BUCKET.pack_into(mm, bo, head, e, count + 1, label)
        return label

    def _unlink_locked(self, e):
        mm = self._mm
        nxt, prv, h = _III.unpack_from(mm, e)
        bo = self._boff + 16 * (h & self._mask)
        _U32.pack_into(mm, prv if prv else bo, nxt)
        _U32.pack_into(mm, nxt + 4 if nxt else bo + 4, prv)
        _U32.pack_into(mm, bo + 8, _U32.unpack_from(mm, bo + 8)[0] - 1)
