"""Allocator over the shm arena: two-level segregated fit with boundary tags.

Theory of operation
-------------------
Handles are byte offsets into the arena (ints); 0 is NULL and is never a
valid handle because the arena header sits at offset 0.  *All* allocator
state (header, statistics, bitmaps, free-list heads, fragment headers, free
list links) lives inside the arena, so every forked process sees the same
heap; the Python object only caches constants (offsets, sizes, the mode).

Arena layout (offsets in bytes, little endian, every field u32 unless noted)::

    0     HEADER  magic "OSHM", version, arena size, heap_start, heap_end, mode
    24    STATS   used, real_used, max_real_used, fragments, free_fragments (u64)
    64    ERRORS  oom, double_free, bad_pointer, overrun
    80    FL bitmap
    88    SL bitmaps[FL_COUNT]
    ..    free-list heads[FL_COUNT][SL_COUNT]
    heap_start: [start sentinel hdr][frag][frag]...[frag][end sentinel hdr] heap_end

Every fragment is an 8-byte header followed by its payload::

    p-8: u32 size | FREE   (payload size, a multiple of 8; bit 0 = free)
    p-4: u32 prev_size     (payload size of the physically previous fragment)
    p  : payload; while free it holds u32 next_free, u32 prev_free (offsets)

``prev_size`` is the boundary tag: the previous fragment starts at
``p - 8 - prev_size``, the next one at ``p + size + 8``.  Two size-0 "used"
sentinels bracket the heap so every real fragment has both neighbours.

Free fragments are kept in TLSF-style segregated lists (Masmano et al.,
"TLSF: a new dynamic memory allocator for real-time systems", 2004): sizes
below 128 bytes have exact classes of 8 bytes; above, each power of two
``[2^t, 2^(t+1))`` is split into 16 equal sub-classes.  A first-level bitmap
says which power-of-two rows have a non-empty list and a per-row second-level
bitmap says which sub-classes do, so finding a list is a few integer ops.
``malloc`` rounds the request up to the next class boundary before the
search, so the head of any list found fits without walking the list (good
fit, O(1)); only when that fails does it walk the request's own class
(first fit) before reporting out of memory.  The chosen fragment is split
when the rest can hold a header plus 8 bytes.  ``free`` coalesces at once
with a free neighbour on either side, so no two free fragments are ever
adjacent.  Internal waste is at most 15 bytes (8-byte rounding and
unsplittable tails); the class rounding costs no memory, only search choice.
Fast paths: when a split remainder, or a fragment grown by coalescing, stays
in the size class it was in, it takes over its list slot in place (no
unlink/relink), which is the common case when carving from and returning to
a large free block.

Invariants (checked by :func:`openser_py.mem.shm_walk.check`):

1. Walking ``p -> p + size + 8`` from the first fragment reaches the end
   sentinel exactly, and each header's ``prev_size`` equals the previous
   fragment's size.
2. No two physically adjacent fragments are both free.
3. A fragment is in exactly the free list of its class iff it is free;
   list links are consistent; bitmap bits are set iff lists are non-empty.
4. ``used`` = sum of used payloads; ``fragments``/``free_fragments`` count
   the fragments; ``real_used`` = arena size - sum of free payloads, i.e.
   used + headers + arena overhead (OpenSER's ``real_used_size``).

The lock
--------
One mem lock (a SemLock created with the allocator, before fork) is held for
exactly the struct reads/writes of one malloc/free/realloc/status; the
allocator never calls out (no logging, no callbacks) while holding it:
errors are recorded in the arena and logged after the release.  So the mem
lock is always the innermost lock (see :mod:`openser_py.mem.locking`).

Debug mode (``DBG_QM_MALLOC`` / ``DBG_F_MALLOC``)
--------------------------------------------------
Each allocation gets a 64-byte debug head inside its payload (magic word,
requested size, allocation site ``file:line:function``) and, in QM mode, an
8-byte guard right after the requested bytes.  ``free`` then detects double
frees (FREED magic or free bit), bad pointers (no LIVE magic or inconsistent
boundary tags) and overruns (guard damaged).  Errors are logged, counted in
the arena, and never make the allocator write through a suspect pointer: a
fragment whose neighbour's boundary tag is damaged is leaked, not freed.
Without debug, double free and bad pointers are still caught by the free bit
and the two boundary tags.  The debug layer is in
:mod:`openser_py.mem.shm_debug`; heap walks (check, dump) in
:mod:`openser_py.mem.shm_walk`.
"""

import struct

from openser_py import buildcfg
from openser_py.mem.locking import Lock
from openser_py.mem.shm_debug import DebugOps

MODE_NONE, MODE_SITE, MODE_GUARD = 0, 1, 2

HDR = 8                              # fragment header size
MIN_SPLIT = HDR + 8                  # smallest remainder worth splitting off
SL_LOG2 = 4
SL_COUNT = 1 << SL_LOG2
SMALL = 1 << (SL_LOG2 + 3)           # 128: below it, exact 8-byte classes
FL_COUNT = 26                        # first-level rows: sizes up to 2**32
FREE = 1
SIZE_MASK = 0xFFFFFFF8
MAX_REQUEST = 0xFFFFFF00

MAGIC, VERSION = b"OSHM", 1
LIVE_MAGIC, FREED_MAGIC = 0x4C49564F, 0x44454144
GUARD1, GUARD2 = 0x5AA5C33C, 0xC33C5AA5
DBG_HEAD_SIZE = 64
SITE_LEN = DBG_HEAD_SIZE - 8

_HEADER = struct.Struct("<4sIIIII")
_STATS = struct.Struct("<QQQQQ")
_ERRS = struct.Struct("<IIII")
_U32 = struct.Struct("<I")
_HDR = struct.Struct("<II")
_FREEHDR = struct.Struct("<IIII")
_DBG = struct.Struct("<II%ds" % SITE_LEN)
_GUARD = struct.Struct("<II")
# Bound methods: one global lookup instead of two on the hot paths.
_u32, _p32 = _U32.unpack_from, _U32.pack_into
_ufree, _pfree = _FREEHDR.unpack_from, _FREEHDR.pack_into
_ustats, _pstats = _STATS.unpack_from, _STATS.pack_into

STATS_OFF = _HEADER.size                        # 24
ERRS_OFF = STATS_OFF + _STATS.size              # 64
FLBM_OFF = ERRS_OFF + _ERRS.size                # 80
SLBM_OFF = FLBM_OFF + 8                         # 88
HEADS_OFF = SLBM_OFF + 4 * FL_COUNT
HEAP_START = HEADS_OFF + 4 * FL_COUNT * SL_COUNT
ERR_OOM, ERR_DOUBLE, ERR_BADPTR, ERR_OVERRUN = range(4)
ERR_NAMES = ("oom", "double_free", "bad_pointer", "overrun")


def mapping(size):
    """Return the (first-level, second-level) class of a free fragment size."""
    if size < SMALL:
        return 0, size >> 3
    t = size.bit_length() - 1
    return t - 6, (size >> (t - SL_LOG2)) - SL_COUNT


def _class_of(size):
    """Class index ``fl * SL_COUNT + sl`` of a free fragment size."""
    fl, sl = mapping(size)
    return (fl << SL_LOG2) | sl


# Class indexes of sizes below 64 KiB, by size // 8 (a list index is cheaper
# than a call on the hot paths).
_TAB_LIMIT = 1 << 16
_CLS = [_class_of(s << 3) for s in range(_TAB_LIMIT >> 3)]


class ShmAllocator(DebugOps):
    """The shm heap: ``malloc``/``free``/``realloc`` returning arena offsets.

    Create it in the master before fork.  Args:
        arena: an :class:`openser_py.mem.shm.Arena` (or any object with
            ``mm``, ``view`` and ``size``).
        debug: None reads ``buildcfg.DBG_QM_MALLOC``/``DBG_F_MALLOC`` now;
            True forces QM debugging (site + guards), False disables it, or
            one of ``MODE_NONE``/``MODE_SITE``/``MODE_GUARD``.

    Attributes:
        mm, view: the arena's mmap and a memoryview of it (read/write blocks).
        size: the arena size.  mode/debug: the debug mode.
        lock: the mem lock (:class:`openser_py.mem.locking.Lock`).

    Raises:
        ValueError: the arena is too small to hold the allocator's header.
    """

    def __init__(self, arena, debug=None):
        self.arena = arena
        self.mm = self._mm = mm = arena.mm
        self.view = arena.view
        self.size = arena.size
        if debug is None:
            mode = (MODE_GUARD if buildcfg.DBG_QM_MALLOC else
                    MODE_SITE if buildcfg.DBG_F_MALLOC else MODE_NONE)
        elif debug is True or debug is False:
            mode = MODE_GUARD if debug else MODE_NONE
        else:
            mode = int(debug)
        self.mode = mode
        self.debug = mode != MODE_NONE
        self._sites = {}
        self.lock = Lock()
        self._acquire = self.lock.acquire
        self._release = self.lock.release
        end = (self.size - 8) & ~7
        if end - HEAP_START < 64:
            raise ValueError("arena too small")
        self._heap_end = end
        self._first = HEAP_START + 16
        mm[0:HEAP_START] = bytes(HEAP_START)
        _HEADER.pack_into(mm, 0, MAGIC, VERSION, self.size, HEAP_START, end, mode)
        _HDR.pack_into(mm, HEAP_START, 0, 0)                  # start sentinel
        size = end - 8 - self._first
        _HDR.pack_into(mm, end - 8, 0, size)                  # end sentinel
        self._link(self._first, size, 0)
        real = self.size - size
        _pstats(mm, STATS_OFF, 0, real, real, 1, 1)

    # ----------------------------------------------------------- free lists
    def _link(self, p, size, prev_size):
        """Mark ``p`` free and push it on its class list (lock held)."""
        mm = self._mm
        c = _CLS[size >> 3] if size < _TAB_LIMIT else _class_of(size)
        ho = HEADS_OFF + 4 * c
        head = _u32(mm, ho)[0]
        _pfree(mm, p - 8, size | FREE, prev_size, head, 0)
        _p32(mm, ho, p)
        if head:
            _p32(mm, head + 4, p)
        else:
            bo = SLBM_OFF + 4 * (c >> SL_LOG2)
            slbm = _u32(mm, bo)[0]
            _p32(mm, bo, slbm | (1 << (c & 15)))
            if not slbm:
                _p32(mm, FLBM_OFF, _u32(mm, FLBM_OFF)[0] | (1 << (c >> SL_LOG2)))

    def _unlink(self, p, size, nxt, prv):
        """Remove free fragment ``p`` (with links nxt/prv) from its list."""
        mm = self._mm
        if prv:
            _p32(mm, prv, nxt)
        else:
            c = _CLS[size >> 3] if size < _TAB_LIMIT else _class_of(size)
            _p32(mm, HEADS_OFF + 4 * c, nxt)
            if not nxt:
                bo = SLBM_OFF + 4 * (c >> SL_LOG2)
                slbm = _u32(mm, bo)[0] & ~(1 << (c & 15))
                _p32(mm, bo, slbm)
                if not slbm:
                    _p32(mm, FLBM_OFF, _u32(mm, FLBM_OFF)[0] & ~(1 << (c >> SL_LOG2)))
        if nxt:
            _p32(mm, nxt + 4, prv)

    def _find(self, need):
        """Return a free fragment with payload >= ``need``, or 0 (lock held)."""
        mm = self._mm
        if need < SMALL:
            fl, sl = 0, need >> 3
        else:                    # round up to the next class boundary
            s = need + (1 << (need.bit_length() - 1 - SL_LOG2)) - 1
            t = s.bit_length() - 1
            fl, sl = t - 6, (s >> (t - SL_LOG2)) - SL_COUNT
        if fl < FL_COUNT:
            slmap = _u32(mm, SLBM_OFF + 4 * fl)[0] >> sl << sl
            if not slmap:
                flmap = _u32(mm, FLBM_OFF)[0] >> (fl + 1) << (fl + 1)
                if flmap:
                    fl = (flmap & -flmap).bit_length() - 1
                    slmap = _u32(mm, SLBM_OFF + 4 * fl)[0]
            if slmap:
                sl = (slmap & -slmap).bit_length() - 1
                return _u32(mm, HEADS_OFF + ((fl << SL_LOG2) + sl) * 4)[0]
        p = _u32(mm, HEADS_OFF + 4 * _class_of(need))[0]   # first fit, own class
        while p:
            if _u32(mm, p - 8)[0] & SIZE_MASK >= need:
                return p
            p = _u32(mm, p)[0]
        return 0

    # ------------------------------------------------------ block operations
    def _take(self, need):
        """Allocate a fragment of ``need`` payload bytes; 0 when out of memory."""
        mm = self._mm
        p = self._find(need)
        if not p:
            return 0
        sf, psz, nxt, prv = _ufree(mm, p - 8)
        bsize = sf & SIZE_MASK
        rest = bsize - need
        used, real, mx, frags, ffr = _ustats(mm, STATS_OFF)
        if rest >= MIN_SPLIT:
            rs = rest - HDR
            r = p + need + HDR
            c = _CLS[bsize >> 3] if bsize < _TAB_LIMIT else _class_of(bsize)
            if c == (_CLS[rs >> 3] if rs < _TAB_LIMIT else _class_of(rs)):
                # The remainder takes p's place in the same list.
                _pfree(mm, r - 8, rs | FREE, need, nxt, prv)
                _p32(mm, prv if prv else HEADS_OFF + 4 * c, r)
                if nxt:
                    _p32(mm, nxt + 4, r)
            else:
                self._unlink(p, bsize, nxt, prv)
                self._link(r, rs, need)
            _p32(mm, p + bsize + 4, rs)
            bsize = need
            real += need + HDR
            frags += 1
        else:
            self._unlink(p, bsize, nxt, prv)
            real += bsize
            ffr -= 1
        _p32(mm, p - 8, bsize)
        used += bsize
        if real > mx:
            mx = real
        _pstats(mm, STATS_OFF, used, real, mx, frags, ffr)
        return p

    def _validate(self, p):
        """Return (size_flags, prev_size, err) for a would-be live fragment."""
        mm = self._mm
        if p < self._first or p >= self._heap_end or p & 7:
            return 0, 0, ERR_BADPTR
        sf, psz = _HDR.unpack_from(mm, p - 8)
        if sf & FREE:
            return sf, psz, ERR_DOUBLE
        if (sf < 8 or sf & 7 or p + sf + HDR > self._heap_end
                or _u32(mm, p + sf + 4)[0] != sf
                or p - 8 - psz < HEAP_START + 8
                or _u32(mm, p - 16 - psz)[0] & SIZE_MASK != psz):
            return sf, psz, ERR_BADPTR
        return sf, psz, -1

    def _free_locked(self, p):
        """Validate and free fragment ``p``, coalescing; return -1 or an ERR_*."""
        mm = self._mm
        if p < self._first or p >= self._heap_end or p & 7:
            return ERR_BADPTR
        size, psz = _HDR.unpack_from(mm, p - 8)
        if size & FREE:
            return ERR_DOUBLE
        n = p + size + HDR
        pp = p - HDR - psz
        if size < 8 or size & 7 or n > self._heap_end or pp < HEAP_START + 8:
            return ERR_BADPTR
        nsf, npsz, nnxt, nprv = _ufree(mm, n - 8)
        psf, ppsz, pnxt, pprv = _ufree(mm, pp - 8)
        if npsz != size or psf & SIZE_MASK != psz:
            return ERR_BADPTR
        used, real, mx, frags, ffr = _ustats(mm, STATS_OFF)
        used -= size
        real -= size
        if nsf & FREE:                       # absorb the next fragment
            nsize = nsf & SIZE_MASK
            real -= HDR
            frags -= 1
            if psf & FREE:                   # ... and merge into the previous
                self._unlink(n, nsize, nnxt, nprv)
                # n may have been pp's list neighbour: re-read pp's links.
                pnxt, pprv = _HDR.unpack_from(mm, pp)
                _p32(mm, p - 8, size | FREE)
                p, size = pp, psz + 2 * HDR + size + nsize
                self._grow(p, psz, size, ppsz, pnxt, pprv)
                real -= HDR
                frags -= 1
                ffr -= 1
            else:
                c = _CLS[nsize >> 3] if nsize < _TAB_LIMIT else _class_of(nsize)
                size += HDR + nsize
                if c == (_CLS[size >> 3] if size < _TAB_LIMIT else _class_of(size)):
                    # p takes n's place in the same list.
                    _pfree(mm, p - 8, size | FREE, psz, nnxt, nprv)
                    _p32(mm, nprv if nprv else HEADS_OFF + 4 * c, p)
                    if nnxt:
                        _p32(mm, nnxt + 4, p)
                else:
                    self._unlink(n, nsize, nnxt, nprv)
                    self._link(p, size, psz)
        elif psf & FREE:                     # merge into the previous
            _p32(mm, p - 8, size | FREE)
            p, size = pp, psz + HDR + size
            self._grow(p, psz, size, ppsz, pnxt, pprv)
            real -= HDR
            frags -= 1
        else:
            self._link(p, size, psz)
            ffr += 1
        _p32(mm, p + size + 4, size)
        _pstats(mm, STATS_OFF, used, real, mx, frags, ffr)
        return -1

    def _grow(self, p, old, new, prev_size, nxt, prv):
        """Free fragment ``p`` grew from ``old`` to ``new`` bytes: fix its list."""
        if _class_of(new) == _class_of(old):
            _p32(self._mm, p - 8, new | FREE)
        else:
            self._unlink(p, old, nxt, prv)
            self._link(p, new, prev_size)

    def _resize(self, p, size, need):
        """Shrink or grow live fragment ``p`` in place; False if it must move."""
        mm = self._mm
        if need > size:
            nsf, _, nnxt, nprv = _ufree(mm, p + size)
            nsize = nsf & SIZE_MASK
            if not nsf & FREE or size + HDR + nsize < need:
                return False
            self._unlink(p + size + HDR, nsize, nnxt, nprv)
            used, real, mx, frags, ffr = _ustats(mm, STATS_OFF)
            size += HDR + nsize                  # absorb the free neighbour;
            real += nsize                        # its header becomes payload
            _p32(mm, p - 8, size)
            _p32(mm, p + size + 4, size)
            _pstats(mm, STATS_OFF, used + HDR + nsize, real, max(mx, real),
                    frags - 1, ffr - 1)
        rest = size - need
        if rest >= MIN_SPLIT:                    # give the tail back
            used, real, mx, frags, ffr = _ustats(mm, STATS_OFF)
            r = p + need + HDR
            _p32(mm, p - 8, need)
            _HDR.pack_into(mm, r - 8, rest - HDR, need)
            _p32(mm, p + size + 4, rest - HDR)
            _pstats(mm, STATS_OFF, used - HDR, real, mx, frags + 1, ffr)
            self._free_locked(r)
        return True

    def _count_error(self, kind):
        off = ERRS_OFF + 4 * kind
        _p32(self._mm, off, (_u32(self._mm, off)[0] + 1) & 0xFFFFFFFF)

    # ------------------------------------------------------------ public API
    def malloc(self, size, _depth=1):
        """Allocate ``size`` bytes; return the offset, or 0 when out of memory.

        The bytes are not zeroed.  ``_depth`` is the number of frames between
        the caller to blame (debug mode) and this method.
        """
        if size < 0 or size > MAX_REQUEST:
            return 0
        if self.mode:
            return self._malloc_dbg(size, _depth + 1)
        self._acquire()
        try:
            p = self._take((size + 7) & ~7 or 8)
            if not p:
                self._count_error(ERR_OOM)
        finally:
            self._release()
        return p

    def free(self, off, _depth=1):
        """Free the fragment at ``off``; 0 is ignored.  Errors are logged, never raised."""
        if not off:
            return
        if self.mode:
            self._free_dbg(off, _depth + 1)
            return
        self._acquire()
        try:
            err = self._free_locked(off)
            if err >= 0:
                self._count_error(err)
        finally:
            self._release()
        if err >= 0:
            self._report(err, off, _depth + 1)

    def realloc(self, off, size, _depth=1):
        """Resize the fragment at ``off``; return the (maybe moved) offset or 0.

        On failure the old fragment is left untouched and 0 is returned,
        like C ``realloc``.  ``off == 0`` is ``malloc``; ``size == 0`` frees.
        """
        if not off:
            return self.malloc(size, _depth + 1)
        if size == 0:
            self.free(off, _depth + 1)
            return 0
        if size < 0 or size > MAX_REQUEST:
            return 0
        if self.mode:
            old = self.usable_size(off)
            if old < 0:
                self._free_dbg(off, _depth + 1)          # reports the error
                return 0
        else:
            self._acquire()
            try:
                sf, _, err = self._validate(off)
                if err < 0 and self._resize(off, sf, (size + 7) & ~7):
                    return off
                if err >= 0:
                    self._count_error(err)
            finally:
                self._release()
            if err >= 0:
                self._report(err, off, _depth + 1)
                return 0
            old = sf
        new = self.malloc(size, _depth + 1)
        if new:
            n = min(old, size)
            self.view[new:new + n] = self.view[off:off + n]
            self.free(off, _depth + 1)
        return new

    def usable_size(self, off):
        """Usable bytes of the live fragment at ``off`` (-1 if not a live fragment)."""
        self._acquire()
        try:
            p = off - DBG_HEAD_SIZE if self.mode else off
            sf, _, err = self._validate(p)
            if err >= 0:
                return -1
            if self.mode:
                magic, req = _DBG.unpack_from(self._mm, p)[:2]
                return req if magic == LIVE_MAGIC else -1
            return sf
        finally:
            self._release()

    # ---------------------------------------------------------------- status
    def stats(self):
        """Return OpenSER's shmem statistics as a dict (one locked read)."""
        self._acquire()
        try:
            used, real, mx, frags, ffr = _ustats(self._mm, STATS_OFF)
            errs = _ERRS.unpack_from(self._mm, ERRS_OFF)
        finally:
            self._release()
        st = {"total_size": self.size, "used_size": used, "real_used_size": real,
              "max_used_size": mx, "free_size": self.size - real,
              "fragments": frags, "free_fragments": ffr,
              "live_fragments": frags - ffr}
        st.update(zip(ERR_NAMES, errs))
        return st

    def available(self):
        """Free bytes (OpenSER ``shm_available``): total - real_used."""
        self._acquire()
        try:
            real = _ustats(self._mm, STATS_OFF)[1]
        finally:
            self._release()
        return self.size - real

    def status(self):
        """Statistics plus the largest free fragment and the debug mode."""
        from openser_py.mem import shm_walk
        st = self.stats()
        st["largest_free"] = shm_walk.largest_free(self)
        st["debug_mode"] = ("none", "site", "site+guards")[self.mode]
        return st

    def dump_live(self):
        """List live fragments as (offset, size, site) tuples (for SIGUSR1)."""
        from openser_py.mem import shm_walk
        return shm_walk.dump_live(self)

    def check(self):
        """Verify every heap invariant; return a list of problems (empty = OK)."""
        from openser_py.mem import shm_walk
        return shm_walk.check(self)
