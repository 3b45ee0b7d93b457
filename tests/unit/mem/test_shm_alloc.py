"""Unit tests of the shm allocator (non-debug mode)."""

import logging

import pytest

from openser_py.mem import shm_alloc as sa
from openser_py.mem.shm import Arena
from openser_py.mem.shm_alloc import ShmAllocator


def test_initial_state(alloc):
    st = alloc.stats()
    assert st["total_size"] == alloc.size
    assert st["used_size"] == 0
    assert st["fragments"] == 1 and st["free_fragments"] == 1
    assert st["free_size"] == st["total_size"] - st["real_used_size"]
    assert st["max_used_size"] == st["real_used_size"]
    assert alloc.available() == st["free_size"]
    assert alloc.check() == []


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 15, 16, 127, 128, 129, 1000, 4095, 70000])
def test_alignment_and_rounding(alloc, size):
    offs = [alloc.malloc(size) for _ in range(3)]
    assert all(o and o % 8 == 0 for o in offs)
    want = max(8, (size + 7) // 8 * 8)
    assert all(alloc.usable_size(o) == want for o in offs)
    assert alloc.stats()["used_size"] == 3 * want
    # Blocks do not overlap: fill each fully, verify the others.
    for i, o in enumerate(offs):
        alloc.view[o:o + want] = bytes([i + 1]) * want
    for i, o in enumerate(offs):
        assert bytes(alloc.view[o:o + want]) == bytes([i + 1]) * want
    assert alloc.check() == []


def test_split_and_coalesce(alloc):
    start = alloc.stats()
    a, b, c = (alloc.malloc(24) for _ in range(3))
    guard = alloc.malloc(24)           # keeps c from touching the big free block
    assert b == a + 24 + sa.HDR and c == b + 24 + sa.HDR
    st = alloc.stats()
    assert st["fragments"] == 5 and st["free_fragments"] == 1
    alloc.free(b)                      # hole in the middle: no neighbour free
    st = alloc.stats()
    assert st["fragments"] == 5 and st["free_fragments"] == 2
    alloc.free(a)                      # merges with b (next)
    st = alloc.stats()
    assert st["fragments"] == 4 and st["free_fragments"] == 2
    alloc.free(c)                      # merges with a+b (previous)
    st = alloc.stats()
    assert st["fragments"] == 3 and st["free_fragments"] == 2
    assert alloc.malloc(3 * 24 + 2 * sa.HDR) == a      # the hole is one block
    assert alloc.check() == []
    alloc.free(a)
    alloc.free(guard)                  # three-way merge back to one block
    assert alloc.stats()["fragments"] == 1
    assert alloc.stats()["used_size"] == start["used_size"]
    assert alloc.stats()["real_used_size"] == start["real_used_size"]
    assert alloc.check() == []


def test_exact_fit_reuses_hole(alloc):
    a = alloc.malloc(48)
    alloc.malloc(48)
    alloc.free(a)
    assert alloc.malloc(48) == a       # exact small class, O(1)
    assert alloc.malloc(40) != a       # the hole is taken; a new block is carved


def test_stats_accounting(alloc):
    start = alloc.stats()
    offs = [alloc.malloc(s) for s in (10, 200, 3000, 64)]
    st = alloc.stats()
    assert st["used_size"] == 16 + 200 + 3000 + 64
    assert st["real_used_size"] == start["real_used_size"] + st["used_size"] + 4 * sa.HDR
    assert st["free_size"] == st["total_size"] - st["real_used_size"]
    assert st["live_fragments"] == 4
    peak = st["max_used_size"]
    for o in offs:
        alloc.free(o)
    st = alloc.stats()
    assert st["used_size"] == 0 and st["real_used_size"] == start["real_used_size"]
    assert st["max_used_size"] == peak >= st["real_used_size"]


def test_out_of_memory_returns_zero(alloc):
    assert alloc.malloc(alloc.size) == 0
    assert alloc.malloc(-1) == 0
    assert alloc.malloc(1 << 40) == 0
    offs = []
    while True:
        o = alloc.malloc(10000)
        if not o:
            break
        offs.append(o)
    assert len(offs) > 50
    assert alloc.stats()["oom"] >= 2
    # Smaller requests still fit in what is left; everything is recoverable.
    small = alloc.malloc(alloc.status()["largest_free"])
    assert small
    assert alloc.malloc(alloc.status()["largest_free"] + 8) == 0
    for o in offs + [small]:
        alloc.free(o)
    assert alloc.stats()["fragments"] == 1
    assert alloc.check() == []


def test_first_fit_fallback_within_class(alloc):
    # A block in the request's own class that the rounded search skips.
    a = alloc.malloc(1000)
    alloc.malloc(8)
    rest = alloc.status()["largest_free"]
    big = alloc.malloc(rest)           # arena is now full except the hole
    assert big and alloc.status()["largest_free"] == 0
    alloc.free(a)                      # a 1000-byte hole, class [992, 1024)
    assert alloc.malloc(1000) == a


def test_free_zero_is_noop(alloc):
    alloc.free(0)
    alloc.free(None)
    assert alloc.stats()["bad_pointer"] == 0


def test_double_free_detected(alloc, caplog):
    a = alloc.malloc(64)
    b = alloc.malloc(64)
    alloc.free(a)
    before = alloc.stats()
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        alloc.free(a)
    assert "double free" in caplog.text
    after = alloc.stats()
    assert after["double_free"] == 1
    assert after["used_size"] == before["used_size"]
    assert alloc.check() == []
    alloc.free(b)
    alloc.free(b)                      # merged with a: stale header says free
    assert alloc.stats()["double_free"] == 2
    assert alloc.check() == []


@pytest.mark.parametrize("delta", [1, 4, 8, 16, 24])
def test_bad_pointer_detected(alloc, caplog, delta):
    a = alloc.malloc(200)
    alloc.view[a:a + 200] = bytes(range(200))
    alloc.malloc(200)
    snapshot = bytes(alloc.view)
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        alloc.free(a + delta)          # inside the payload
        alloc.free(7)                  # inside the arena header
        alloc.free(alloc.size + 64)    # outside the arena
        alloc.free(-8)
    assert caplog.text.count("bad pointer") + caplog.text.count("double free") == 4
    st = alloc.stats()
    assert st["bad_pointer"] + st["double_free"] == 4
    # Nothing but the error counters changed.
    now = bytes(alloc.view)
    assert now[:sa.ERRS_OFF] == snapshot[:sa.ERRS_OFF]
    assert now[sa.FLBM_OFF:] == snapshot[sa.FLBM_OFF:]
    assert alloc.check() == []


def test_realloc_in_place_and_moving(alloc):
    a = alloc.malloc(100)
    alloc.view[a:a + 100] = bytes(range(100))
    assert alloc.realloc(a, 40) == a                   # shrink in place
    assert alloc.usable_size(a) == 40
    assert alloc.realloc(a, 300) == a                  # grows into the free tail
    assert bytes(alloc.view[a:a + 40]) == bytes(range(40))
    b = alloc.malloc(16)                               # pins a's right side
    c = alloc.realloc(a, 1000)                         # must move
    assert c not in (0, a)
    assert bytes(alloc.view[c:c + 40]) == bytes(range(40))
    assert alloc.usable_size(a) == -1                  # a was freed
    assert alloc.realloc(0, 24) != 0                   # realloc(0, n) = malloc
    assert alloc.realloc(b, 0) == 0                    # realloc(p, 0) = free
    assert alloc.realloc(c, 1 << 30) == 0              # failure keeps the block
    assert bytes(alloc.view[c:c + 40]) == bytes(range(40))
    assert alloc.check() == []


def test_realloc_bad_pointer(alloc, caplog):
    a = alloc.malloc(64)
    alloc.free(a)
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        assert alloc.realloc(a, 128) == 0
    assert alloc.stats()["double_free"] == 1


def test_small_arena_rejected():
    class Tiny:
        mm = bytearray(1024)
        view = memoryview(mm)
        size = 1024

    with pytest.raises(ValueError):
        ShmAllocator(Tiny(), debug=False)
    assert ShmAllocator(Arena(1), debug=False).size == Arena(1).size   # one page


def test_mapping_classes():
    assert sa.mapping(8) == (0, 1)
    assert sa.mapping(120) == (0, 15)
    assert sa.mapping(128) == (1, 0)
    assert sa.mapping(255) == (1, 15)
    assert sa.mapping(256) == (2, 0)
    assert sa.mapping((1 << 32) - 8)[0] == sa.FL_COUNT - 1
    for size in range(8, 1 << 16, 8):
        assert sa._CLS[size >> 3] == sa._class_of(size)


def _class_bounds(fl, sl):
    if fl == 0:
        return sl * 8, sl * 8 + 8
    shift = fl + 6 - sa.SL_LOG2
    return (sa.SL_COUNT + sl) << shift, (sa.SL_COUNT + sl + 1) << shift


def test_classes_partition_sizes():
    sizes = list(range(8, 1 << 14, 8)) + [(1 << k) + d for k in range(14, 32)
                                          for d in (-8, 0, 8)]
    for size in sizes:
        lo, hi = _class_bounds(*sa.mapping(size))
        assert lo <= size < hi, size


def test_status_and_dump(alloc):
    a = alloc.malloc(100)
    st = alloc.status()
    assert st["debug_mode"] == "none"
    assert st["largest_free"] == st["free_size"]
    assert alloc.dump_live() == [(a, 104, "")]
