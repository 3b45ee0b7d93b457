"""tm's timers: a hashed timer wheel in shm, shared by every process.

Theory of operation
-------------------
Time is cut into *ticks* of ``resolution`` seconds counted from ``epoch``
(a ``time.monotonic()`` value taken in the master; CLOCK_MONOTONIC is
system-wide, so every forked process agrees on it).  A timer due at time
``d`` belongs to tick ``ceil((d - epoch) / resolution)`` -- never earlier --
and lives in slot ``tick % n_slots``, a doubly linked list.  ``n_slots``
is a power of two chosen so that one turn of the wheel covers the longest
usual timer (``fr_inv_timer`` + ``wt_timer``); a longer timer simply waits
in its slot for more turns: each entry keeps its absolute due tick, and
``due_tick - current_tick`` divided by ``n_slots`` is its "rounds" counter
(entries of a later round are skipped, not touched, when their slot comes
by).

* :meth:`TimerWheel.arm` (workers, timer process) takes an entry from a
  preallocated pool, links it at the head of its slot and returns a
  *handle* ``serial << 32 | index``; 0 means the pool is full (answer like
  out of memory).  The caller stores the handle in the cell
  (``retr_h``, ``fr_h``, ``wait_h`` ...).
* :meth:`TimerWheel.disarm` unlinks by handle in O(1).  The serial makes
  stale handles harmless: a handle whose entry already fired (and maybe
  got reused) no longer matches and nothing happens.
* :meth:`TimerWheel.advance` (the timer process) walks only the slots of
  the ticks that elapsed since the last call and pops the due entries:
  O(due entries), never a scan of the transactions.  After a stall longer
  than one turn it walks every slot once.  ``limit`` bounds the work done
  under the lock; the rest is picked up by the next call.

A fired entry is only a hint: the timer process then locks the cell's
bucket and acts only if the cell still holds that same handle for that
timer (the worker may have disarmed and re-armed it meanwhile).

Layout (little endian)::

    header   cur_tick Q, free_head I, count I, serial I, capacity I, pad 8
    slots    n_slots x u32 (entry index + 1 of the list head; 0 = empty)
    entries  capacity x 32 bytes:
             next I, prev I, slot I, serial I, due_tick Q,
             label I, hash_index H, branch B, kind B

Free entries form a list through ``next`` and have serial 0.  Links are
``index + 1`` (0 is "none"); ``prev == 0`` marks the head of a slot.

Locking: one :class:`~openser_py.mem.locking.Lock` for the whole wheel.  It
is a leaf lock: nothing else is acquired while it is held (the pool makes
``shm_malloc`` unnecessary), so a worker may arm or disarm while it holds
a bucket lock (order: bucket lock -> wheel lock).  The timer process never
holds the wheel lock when it locks a bucket.
"""
import math
import struct
import time

from openser_py.mem import shm
from openser_py.mem.locking import Lock

__all__ = ["TimerWheel", "TK_RETR", "TK_FR", "TK_CRETR", "TK_CFR",
           "TK_UAS_RETR", "TK_UAS_FR", "TK_WAIT", "TK_DELETE", "TK_NAMES",
           "slots_for"]

# timer kinds (the ``kind`` of an entry)
TK_RETR = 1         # request retransmission of a branch (T1 .. T2)
TK_FR = 2           # final response timer of a branch (fr_timer / fr_inv)
TK_CRETR = 3        # retransmission of our CANCEL on a branch
TK_CFR = 4          # final response timer of our CANCEL
TK_UAS_RETR = 5     # retransmission of our negative/local INVITE reply
TK_UAS_FR = 6       # bound on TK_UAS_RETR (waiting for the ACK)
TK_WAIT = 7         # wait state (wt_timer) before deletion
TK_DELETE = 8       # retry deleting a still referenced cell (delete_timer)
TK_NAMES = {TK_RETR: "retr", TK_FR: "fr", TK_CRETR: "cancel-retr",
            TK_CFR: "cancel-fr", TK_UAS_RETR: "uas-retr",
            TK_UAS_FR: "uas-fr", TK_WAIT: "wait", TK_DELETE: "delete"}

_HDR = struct.Struct("<QIIII8x")
_ENT = struct.Struct("<IIIIQIHBB")
_LINKS = struct.Struct("<II")           # next, prev
_LINKS_SERIAL = struct.Struct("<IIII")  # next, prev, slot, serial
_U32 = struct.Struct("<I")
_DUE = struct.Struct("<Q")
_ENT_SIZE = _ENT.size
_OFF_SERIAL = 12
_OFF_DUE = 16
_MASK32 = 0xFFFFFFFF
# tick arithmetic tolerance: 2.55 / 0.05 is 50.999..., which must be tick 51
_EPS = 1e-6


def slots_for(horizon, resolution):
    """Smallest power-of-two slot count covering ``horizon`` seconds."""
    need = max(1, int(math.ceil(horizon / resolution)))
    n = 1
    while n < need:
        n <<= 1
    return n


class TimerWheel:
    """A hashed timer wheel in shm (create in the master, before fork).

    Args:
        capacity: number of timer entries in the pool (32 bytes each).
        resolution: tick length in seconds (tm uses 0.05).
        n_slots: slot count (rounded up to a power of two); default
            covers 130 s, i.e. ``fr_inv_timer`` + ``wt_timer`` + margin.
        epoch: tick 0 (a ``time.monotonic()`` value); default: now.
        allocator: the shm allocator (default: the process-wide one).

    Raises:
        MemoryError: not enough shm for the pool.
    """

    def __init__(self, capacity=65536, resolution=0.05, n_slots=None,
                 epoch=None, allocator=None):
        a = allocator or shm.get_allocator()
        if a is None:
            raise RuntimeError("shm is not initialised")
        if capacity < 1 or capacity >= 1 << 31 or resolution <= 0:
            raise ValueError("bad timer wheel geometry")
        n = slots_for(130.0, resolution) if n_slots is None else slots_for(
            n_slots, 1)
        size = _HDR.size + 4 * n + _ENT_SIZE * capacity
        off = a.malloc(size, 2)
        if not off:
            raise MemoryError("not enough shm for a %d-entry timer wheel"
                              % capacity)
        self._a, self._mm, self._off = a, a.mm, off
        self.capacity, self.n_slots, self._mask = capacity, n, n - 1
        self.resolution = float(resolution)
        self.epoch = time.monotonic() if epoch is None else float(epoch)
        self.lock = Lock()
        self._slots = off + _HDR.size
        self._ents = self._slots + 4 * n
        mm = self._mm
        mm[off:off + _HDR.size + 4 * n] = bytes(_HDR.size + 4 * n)
        ents = bytearray(_ENT_SIZE * capacity)
        for i in range(capacity - 1):           # free list 1 -> 2 -> ...
            _U32.pack_into(ents, i * _ENT_SIZE, i + 2)
        mm[self._ents:self._ents + len(ents)] = ents
        _HDR.pack_into(mm, off, 0, 1, 0, 0, capacity)

    # ---------------------------------------------------------------- time
    def tick_of(self, t):
        """The tick in which a timer due at time ``t`` fires."""
        return int(math.ceil((t - self.epoch) / self.resolution - _EPS))

    def current_tick(self):
        """The last tick :meth:`advance` completed (racy read)."""
        return _DUE.unpack_from(self._mm, self._off)[0]

    def pending(self):
        """Number of armed timers (racy read)."""
        return _U32.unpack_from(self._mm, self._off + 12)[0]

    # ----------------------------------------------------------- arm/disarm
    def arm(self, now, delay, hash_index, label, branch, kind):
        """Arm a timer due ``delay`` seconds after ``now``.

        Returns the handle (> 0), or 0 when every entry is in use.
        """
        due = int(math.ceil((now + delay - self.epoch) / self.resolution - _EPS))
        mm, off, ents = self._mm, self._off, self._ents
        self.lock.acquire()
        try:
            cur, free, count, serial, cap = _HDR.unpack_from(mm, off)
            if not free:
                return 0
            eo = ents + (free - 1) * _ENT_SIZE
            nfree = _U32.unpack_from(mm, eo)[0]
            if due <= cur:
                due = cur + 1
            so = self._slots + 4 * (due & self._mask)
            head = _U32.unpack_from(mm, so)[0]
            serial = (serial + 1) & _MASK32 or 1
            _ENT.pack_into(mm, eo, head, 0, due & self._mask, serial, due,
                           label, hash_index, branch, kind)
            if head:
                _U32.pack_into(mm, ents + (head - 1) * _ENT_SIZE + 4, free)
            _U32.pack_into(mm, so, free)
            _HDR.pack_into(mm, off, cur, nfree, count + 1, serial, cap)
            return serial << 32 | free
        finally:
            self.lock.release()

    def disarm(self, handle):
        """Cancel the timer ``handle``; True if it was still armed."""
        idx = handle & _MASK32
        if not idx or idx > self.capacity or not handle >> 32:
            # serial 0 is a free entry's: never unlink one (free list)
            return False
        mm, ents, off = self._mm, self._ents, self._off
        eo = ents + (idx - 1) * _ENT_SIZE
        self.lock.acquire()
        try:
            # _unlink and _free, inlined: one read of the entry's links
            nxt, prv, slot, serial = _LINKS_SERIAL.unpack_from(mm, eo)
            if serial != handle >> 32:
                return False
            if prv:
                _U32.pack_into(mm, ents + (prv - 1) * _ENT_SIZE, nxt)
            else:
                _U32.pack_into(mm, self._slots + 4 * slot, nxt)
            if nxt:
                _U32.pack_into(mm, ents + (nxt - 1) * _ENT_SIZE + 4, prv)
            cur, free, count, hserial, cap = _HDR.unpack_from(mm, off)
            _LINKS.pack_into(mm, eo, free, 0)
            _U32.pack_into(mm, eo + _OFF_SERIAL, 0)
            _HDR.pack_into(mm, off, cur, idx, count - 1, hserial, cap)
            return True
        finally:
            self.lock.release()

    def rearm(self, handle, now, delay, hash_index, label, branch, kind):
        """:meth:`disarm` ``handle`` (if any) then :meth:`arm`; new handle."""
        if handle:
            self.disarm(handle)
        return self.arm(now, delay, hash_index, label, branch, kind)

    def due_of(self, handle):
        """Due tick of an armed ``handle``, or None if it is not armed."""
        idx = handle & _MASK32
        if not idx or idx > self.capacity:
            return None
        eo = self._ents + (idx - 1) * _ENT_SIZE
        with self.lock:
            e = _ENT.unpack_from(self._mm, eo)
        return e[4] if e[3] == handle >> 32 else None

    # ------------------------------------------------------------- advance
    def advance(self, now, limit=0):
        """Pop every timer due at ``now``; the timer process calls it.

        Returns a list of ``(handle, hash_index, label, branch, kind)`` in
        tick order.  ``limit`` > 0 caps how many are popped in one call.
        """
        target = int(math.floor((now - self.epoch) / self.resolution + _EPS))
        mm, off, mask = self._mm, self._off, self._mask
        out = []
        self.lock.acquire()
        try:
            cur = _DUE.unpack_from(mm, off)[0]
            if target <= cur:
                return out
            full = target - cur >= self.n_slots
            ticks = range(self.n_slots) if full else range(cur + 1, target + 1)
            done = target
            for t in ticks:
                if self._pop_slot(t & mask, target, out, limit):
                    done = cur if full else t - 1
                    break
            _DUE.pack_into(mm, off, done)
            return out
        finally:
            self.lock.release()

    def destroy(self):
        """Free the wheel's shm (master, at shutdown; tests)."""
        if self._off:
            self._a.free(self._off)
            self._off = 0

    # ------------------------------------------------------------ internal
    def _pop_slot(self, slot, target, out, limit):
        """Pop the entries of ``slot`` due by ``target``; True if ``limit`` hit."""
        mm, ents, unpack = self._mm, self._ents, _ENT.unpack_from
        idx = _U32.unpack_from(mm, self._slots + 4 * slot)[0]
        while idx:
            eo = ents + (idx - 1) * _ENT_SIZE
            nxt, _, _, serial, due, label, h, br, kind = unpack(mm, eo)
            if due <= target:
                if limit and len(out) >= limit:
                    return True
                self._unlink(eo)
                self._free(idx, eo)
                out.append((serial << 32 | idx, h, label, br, kind))
            idx = nxt
        return False

    def _unlink(self, eo):
        mm, ents = self._mm, self._ents
        nxt, prv = _LINKS.unpack_from(mm, eo)
        if prv:
            _U32.pack_into(mm, ents + (prv - 1) * _ENT_SIZE, nxt)
        else:
            slot = _U32.unpack_from(mm, eo + 8)[0]
            _U32.pack_into(mm, self._slots + 4 * slot, nxt)
        if nxt:
            _U32.pack_into(mm, ents + (nxt - 1) * _ENT_SIZE + 4, prv)

    def _free(self, idx, eo):
        mm, off = self._mm, self._off
        cur, free, count, serial, cap = _HDR.unpack_from(mm, off)
        _LINKS.pack_into(mm, eo, free, 0)
        _U32.pack_into(mm, eo + _OFF_SERIAL, 0)
        _HDR.pack_into(mm, off, cur, idx, count - 1, serial, cap)
