"""Heap walks over the shm allocator: integrity check, live dump, largest free.

These are O(heap) operations for tests, SIGUSR1 dumps and MI status; they
hold the mem lock for the whole walk (they only read allocator structs, and
build their result lists without logging), like OpenSER's ``qm_status``.
See :mod:`openser_py.mem.shm_alloc` for the layout and the invariants.
"""

from openser_py.mem import shm_alloc as sa

_U32 = sa._U32
_HDR = sa._HDR
_DBG = sa._DBG


def _walk(a):
    """Yield (payload, size, is_free, prev_size) of every fragment (lock held).

    Stops early (yielding ``(p, -1, False, 0)``) on a header that would take
    the walk outside the heap.
    """
    mm, end = a._mm, a._heap_end
    p = a._first
    while p < end:
        sf, psz = _HDR.unpack_from(mm, p - 8)
        size = sf & sa.SIZE_MASK
        if size < 8 or p + size + sa.HDR > end:
            yield p, -1, False, psz
            return
        yield p, size, bool(sf & sa.FREE), psz
        p += size + sa.HDR


def _check_heap(a, problems):
    """Walk the fragments; return (used, frags, free set, free payload, last size)."""
    used = frags = free_bytes = 0
    free = set()
    prev_size, prev_free, last = 0, False, a._first
    for p, size, is_free, psz in _walk(a):
        if size < 0:
            problems.append("fragment %d: bad size, walk stopped" % p)
            return used, frags, free, free_bytes, None
        if psz != prev_size:
            problems.append("fragment %d: prev_size %d != %d" % (p, psz, prev_size))
        if is_free and prev_free:
            problems.append("fragment %d: free and adjacent to a free one" % p)
        frags += 1
        if is_free:
            free.add(p)
            free_bytes += size
        else:
            used += size
        prev_size, prev_free, last = size, is_free, p + size + sa.HDR
    if last != a._heap_end:
        problems.append("heap walk ended at %d, not %d" % (last, a._heap_end))
    return used, frags, free, free_bytes, prev_size


def _check_lists(a, free, problems):
    """Verify free lists and bitmaps against the set of free fragments."""
    mm = a._mm
    seen = set()
    flbm = _U32.unpack_from(mm, sa.FLBM_OFF)[0]
    for fl in range(sa.FL_COUNT):
        slbm = _U32.unpack_from(mm, sa.SLBM_OFF + 4 * fl)[0]
        if bool(flbm >> fl & 1) != bool(slbm):
            problems.append("fl bitmap bit %d wrong" % fl)
        for sl in range(sa.SL_COUNT):
            head = _U32.unpack_from(mm, sa.HEADS_OFF + ((fl << sa.SL_LOG2) + sl) * 4)[0]
            if bool(slbm >> sl & 1) != bool(head):
                problems.append("sl bitmap bit %d/%d wrong" % (fl, sl))
            p, prev, steps = head, 0, 0
            while p and steps <= len(free):
                steps += 1
                if p not in free or p in seen:
                    problems.append("list %d/%d: %d not a free fragment" % (fl, sl, p))
                    break
                seen.add(p)
                size = _U32.unpack_from(mm, p - 8)[0] & sa.SIZE_MASK
                if sa.mapping(size) != (fl, sl):
                    problems.append("fragment %d (size %d) in list %d/%d" % (p, size, fl, sl))
                if _U32.unpack_from(mm, p + 4)[0] != prev:
                    problems.append("fragment %d: bad prev link" % p)
                prev, p = p, _U32.unpack_from(mm, p)[0]
    if seen != free:
        problems.append("%d free fragments not in any list" % len(free - seen))


def check(a):
    """Verify all allocator invariants; return a list of problems (empty = OK)."""
    problems = []
    a._acquire()
    try:
        used, frags, free, free_bytes, last = _check_heap(a, problems)
        if last is not None:
            sf, psz = _HDR.unpack_from(a._mm, a._heap_end - 8)
            if sf != 0 or psz != last:
                problems.append("end sentinel damaged")
        _check_lists(a, free, problems)
        s_used, s_real, s_max, s_frags, s_ffr = sa._STATS.unpack_from(a._mm, sa.STATS_OFF)
    finally:
        a._release()
    expect = {"used": (s_used, used), "fragments": (s_frags, frags),
              "free_fragments": (s_ffr, len(free)),
              "real_used": (s_real, a.size - free_bytes)}
    for name, (have, want) in expect.items():
        if have != want:
            problems.append("stat %s is %d, heap says %d" % (name, have, want))
    if s_max < s_real:
        problems.append("max_real_used < real_used")
    return problems


def dump_live(a):
    """Return live fragments as (offset, size, site) tuples.

    In debug mode ``offset`` is the handle the caller got, ``size`` the
    requested size and ``site`` the ``file:line:function`` of the
    allocation; otherwise the fragment size and an empty site.
    """
    out = []
    a._acquire()
    try:
        for p, size, is_free, _ in _walk(a):
            if size < 0:
                break
            if is_free:
                continue
            if a.mode:
                magic, req, site = _DBG.unpack_from(a._mm, p)
                if magic == sa.LIVE_MAGIC:
                    out.append((p + sa.DBG_HEAD_SIZE, req, site.rstrip(b"\0")))
                    continue
            out.append((p, size, b""))
    finally:
        a._release()
    return [(off, size, site.decode("utf-8", "replace")) for off, size, site in out]


def largest_free(a):
    """Size of the largest free fragment (the biggest malloc that can succeed)."""
    mm = a._mm
    a._acquire()
    try:
        flbm = _U32.unpack_from(mm, sa.FLBM_OFF)[0]
        if not flbm:
            return 0
        fl = flbm.bit_length() - 1
        sl = _U32.unpack_from(mm, sa.SLBM_OFF + 4 * fl)[0].bit_length() - 1
        p = _U32.unpack_from(mm, sa.HEADS_OFF + ((fl << sa.SL_LOG2) + sl) * 4)[0]
        best = 0
        while p:
            best = max(best, _U32.unpack_from(mm, p - 8)[0] & sa.SIZE_MASK)
            p = _U32.unpack_from(mm, p)[0]
        return best
    finally:
        a._release()
