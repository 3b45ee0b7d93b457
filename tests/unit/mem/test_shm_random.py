"""Randomized malloc/free/realloc sequences checked against a model.

The model is a dict offset -> (size, fill byte).  Every live block is filled
with its byte; before a block is freed or resized its content is verified,
so overlapping blocks or a block handed out twice are caught.  The heap
invariants (``check()``) are verified every 250 operations.  Seeded and
bounded: ~2000 operations per case.
"""

import random

import pytest

from openser_py.mem import shm_alloc as sa
from openser_py.mem.shm import Arena
from openser_py.mem.shm_alloc import ShmAllocator

OPS = 2000


def _size(rnd):
    kind = rnd.random()
    if kind < 0.5:
        return rnd.randint(0, 120)
    if kind < 0.9:
        return rnd.randint(121, 2000)
    return rnd.randint(2001, 40000)


def _fill(a, off, size, byte):
    a.view[off:off + size] = bytes([byte]) * size


def _verify(a, off, size, byte):
    assert bytes(a.view[off:off + size]) == bytes([byte]) * size, "block %d clobbered" % off


def _overlaps(live, off, size):
    end = off + max(size, 1)
    return any(o < end and off < o + max(s, 1) for o, (s, _) in live.items())


def _run(a, seed):
    rnd = random.Random(seed)
    live = {}
    start = a.stats()
    for step in range(OPS):
        r = rnd.random()
        if live and r < 0.45:
            off = rnd.choice(list(live))
            size, byte = live.pop(off)
            _verify(a, off, size, byte)
            a.free(off)
        elif live and r < 0.6:
            off = rnd.choice(list(live))
            size, byte = live[off]
            new_size = _size(rnd) or 1           # realloc(p, 0) would free
            new = a.realloc(off, new_size)
            if new:
                del live[off]
                _verify(a, new, min(size, new_size), byte)
                assert not _overlaps(live, new, new_size)
                live[new] = (new_size, byte)
                _fill(a, new, new_size, byte)
            else:
                _verify(a, off, size, byte)          # failure keeps the block
        else:
            size = _size(rnd)
            off = a.malloc(size)
            if off:
                assert off % 8 == 0 and not _overlaps(live, off, size)
                byte = rnd.randrange(256)
                live[off] = (size, byte)
                _fill(a, off, size, byte)
        if step % 250 == 0:
            assert a.check() == []
            st = a.stats()
            assert st["live_fragments"] == len(live)
    for off, (size, byte) in live.items():
        _verify(a, off, size, byte)
        a.free(off)
    st = a.stats()
    assert a.check() == []
    assert st["used_size"] == start["used_size"] == 0
    assert st["real_used_size"] == start["real_used_size"]
    assert st["fragments"] == 1
    assert st["double_free"] == st["bad_pointer"] == st["overrun"] == 0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", [sa.MODE_NONE, sa.MODE_GUARD])
def test_random_sequences(seed, mode):
    # A small arena, so that out-of-memory paths are exercised too.
    _run(ShmAllocator(Arena(256 * 1024), debug=mode), seed)


def test_fragmentation_is_bounded():
    """After churn with mixed sizes, most free memory is still usable."""
    a = ShmAllocator(Arena(4 << 20), debug=False)
    rnd = random.Random(42)
    live = []
    for _ in range(4000):
        if live and rnd.random() < 0.5:
            a.free(live.pop(rnd.randrange(len(live))))
        else:
            off = a.malloc(_size(rnd))
            if off:
                live.append(off)
    st = a.status()
    # The largest free block is a good share of all free memory, and free
    # fragments are few compared with live ones.
    assert st["largest_free"] >= st["free_size"] * 0.4
    assert st["free_fragments"] <= st["live_fragments"]
    assert st["real_used_size"] - st["used_size"] < 0.05 * st["total_size"]
