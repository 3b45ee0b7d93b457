"""Per-source-IP request counters in shm (the state behind pike_check_req).

Theory of operation
-------------------
A fixed table of ``n_buckets`` x ``SLOTS`` slots lives in one shm block
(bounded memory: at most that many source addresses are tracked).  A slot
is ``key[16] keylen u8 window u32 prev u32 curr u32 last f64``:

* ``window`` -- number of the sampling window (``int(now / unit)``) the
  counters belong to; ``curr`` counts requests in that window and ``prev``
  those of the window before (1.3 swaps ``hits[CURR]`` into
  ``hits[PREV]`` every ``sampling_time_unit``; computing the window
  number from the clock does the same without a global swap);
* ``last`` -- when the address was last seen.  A slot unused for
  ``remove_latency`` seconds is free again (the clean timer zeroes it; a
  lookup also treats it as free).

An address hashes (crc32) to one bucket and lives in one of its slots;
when the bucket is full the least recently seen slot is reused.  Every
access to a bucket holds its stripe of a :class:`LockSet`.  A check is
one locked ``unpack``/``pack`` of 37 bytes: no allocation in shm, no
Python objects kept.

An address is *hot* (the request is refused) when, counting the current
request, ``prev >= max`` or ``curr >= max`` or ``(prev + curr) / 2 >= max``
(1.3's ``is_hot_leaf``), ``max`` being ``reqs_density_per_unit``.  It
cools down by itself once its rate drops: after at most two windows
without the flood both counters are below the limit again.
"""
import socket
import struct
import zlib

from openser_py.mem import shm_mem
from openser_py.mem.locking import LockSet

SLOTS = 8
_SLOT = struct.Struct("<16sBIIId")
_SZ = _SLOT.size
_EMPTY = bytes(_SZ)


def ip_key(ip):
    """The packed address of *ip* (text) -- 4 or 16 bytes."""
    try:
        return socket.inet_pton(socket.AF_INET, ip)
    except OSError:
        return socket.inet_pton(socket.AF_INET6, ip.strip("[]"))


def key_text(key):
    """Text form of a packed address."""
    if len(key) == 4:
        return socket.inet_ntop(socket.AF_INET, key)
    return socket.inet_ntop(socket.AF_INET6, key)


def is_hot(prev, curr, max_hits):
    """1.3's ``is_hot_leaf``."""
    return (prev >= max_hits or curr >= max_hits
            or ((prev + curr) >> 1) >= max_hits)


def counters_at(window, prev, curr, w):
    """``(prev, curr)`` of a slot stored for *window* as seen in window
    *w*."""
    if window == w:
        return prev, curr
    if window + 1 == w:
        return curr, 0
    return 0, 0


class PikeTable:
    """The shared counter table; create in ``mod_init`` (before fork)."""

    def __init__(self, unit, max_hits, latency, n_buckets=1024, n_locks=64):
        if n_buckets & (n_buckets - 1):
            raise ValueError("n_buckets must be a power of two")
        self.unit = float(unit)
        self.max_hits = int(max_hits)
        self.latency = float(latency)
        self.n_buckets = n_buckets
        size = n_buckets * SLOTS * _SZ
        self._off = shm_mem.shm_malloc(size)
        if not self._off:
            raise MemoryError("no shm for the pike table (%d bytes)" % size)
        self._buf = shm_mem.shm_buf(self._off, size)
        self._buf[:] = bytes(size)
        self._locks = LockSet(n_locks)
        self._nl = n_locks

    def check(self, ip, now):
        """Count one request from *ip* (text) at *now* (seconds); True when
        the address is hot (flooding)."""
        key = ip_key(ip)
        klen = len(key)
        h = zlib.crc32(key) & (self.n_buckets - 1)
        base = h * SLOTS * _SZ
        w = int(now // self.unit)
        buf, unpack, latency = self._buf, _SLOT.unpack_from, self.latency
        kpad = key.ljust(16, b"\0")
        with self._locks.get(h & (self._nl - 1)):
            free = victim = -1
            oldest = None
            for i in range(SLOTS):
                off = base + i * _SZ
                skey, slen, window, prev, curr, last = unpack(buf, off)
                if not slen or now - last > latency:
                    if free < 0:
                        free = off
                    continue
                if slen == klen and skey == kpad:
                    prev, curr = counters_at(window, prev, curr, w)
                    curr += 1
                    _SLOT.pack_into(buf, off, kpad, klen, w, prev, curr, now)
                    return is_hot(prev, curr, self.max_hits)
                if oldest is None or last < oldest:
                    oldest, victim = last, off
            off = free if free >= 0 else victim
            _SLOT.pack_into(buf, off, kpad, klen, w, 0, 1, now)
        return is_hot(0, 1, self.max_hits)

    def entries(self, now):
        """``[(ip, prev, curr, hot)]`` of the live slots at *now*."""
        out = []
        w = int(now // self.unit)
        for b in range(self.n_buckets):
            with self._locks.get(b & (self._nl - 1)):
                base = b * SLOTS * _SZ
                rows = [_SLOT.unpack_from(self._buf, base + i * _SZ)
                        for i in range(SLOTS)]
            for skey, slen, window, prev, curr, last in rows:
                if not slen or now - last > self.latency:
                    continue
                p, c = counters_at(window, prev, curr, w)
                out.append((key_text(skey[:slen]), p, c,
                            is_hot(p, c, self.max_hits)))
        return out

    def clean(self, now):
        """Free the slots not seen for ``remove_latency``; their number."""
        n = 0
        for b in range(self.n_buckets):
            base = b * SLOTS * _SZ
            with self._locks.get(b & (self._nl - 1)):
                for i in range(SLOTS):
                    off = base + i * _SZ
                    slen = self._buf[off + 16]
                    if slen and now - _SLOT.unpack_from(
                            self._buf, off)[5] > self.latency:
                        self._buf[off:off + _SZ] = _EMPTY
                        n += 1
        return n

    def destroy(self):
        """Give the shm block back."""
        if self._off:
            try:
                self._buf.release()
                shm_mem.shm_free(self._off)
            except (RuntimeError, ValueError):
                pass
            self._off = 0
