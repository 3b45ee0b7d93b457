"""Real multi-process tests: forked processes share the arena concurrently.

Each test forks 4 children (2 cores, so they really interleave), bounds them
with a timeout, always reaps them, and then checks from the parent: no lost
update, no leak (``used_size`` back to its start value) and a consistent heap.
"""

import random
import struct

import pytest

from openser_py.mem import shm_alloc as sa
from openser_py.mem.shm import Arena
from openser_py.mem.shm_alloc import ShmAllocator
from openser_py.mem.shtable import ShTable, key_hash

NPROC = 4
_Q = struct.Struct("<Q")


@pytest.fixture(params=[sa.MODE_NONE, sa.MODE_GUARD], ids=["plain", "debug"])
def big_alloc(request):
    return ShmAllocator(Arena(8 << 20), debug=request.param)


def test_concurrent_alloc_free_no_leak(big_alloc, forked):
    a = big_alloc
    start = a.stats()

    def child(i):
        rnd = random.Random(i)
        live = []
        for step in range(1500):
            if live and rnd.random() < 0.5:
                off, size, byte = live.pop(rnd.randrange(len(live)))
                assert bytes(a.view[off:off + size]) == bytes([byte]) * size
                a.free(off)
            else:
                size = rnd.choice((rnd.randint(1, 100), rnd.randint(100, 3000)))
                off = a.malloc(size)
                assert off, "unexpected OOM"
                byte = (i * 37 + step) & 0xFF
                a.view[off:off + size] = bytes([byte]) * size
                live.append((off, size, byte))
        for off, size, byte in live:
            assert bytes(a.view[off:off + size]) == bytes([byte]) * size
            a.free(off)

    assert forked(NPROC, child, timeout=60) == [0] * NPROC
    st = a.stats()
    assert a.check() == []
    assert st["used_size"] == start["used_size"]
    assert st["real_used_size"] == start["real_used_size"]
    assert st["fragments"] == 1
    assert st["double_free"] == st["bad_pointer"] == st["overrun"] == 0
    assert st["max_used_size"] > start["max_used_size"]


def test_blocks_allocated_in_one_process_freed_in_another(big_alloc, forked):
    a = big_alloc
    start = a.stats()["used_size"]
    box = a.malloc(8 * 200)                 # the master's handoff slots

    def producer(i):
        for k in range(100):
            off = a.malloc(64)
            a.view[off:off + 8] = _Q.pack(off)
            _Q.pack_into(a.mm, box + 8 * (i * 100 + k), off)

    assert forked(2, producer, timeout=30) == [0, 0]

    def consumer(i):
        for k in range(100):
            off = _Q.unpack_from(a.mm, box + 8 * ((1 - i) * 100 + k))[0]
            assert _Q.unpack_from(a.mm, off)[0] == off
            a.free(off)

    assert forked(2, consumer, timeout=30) == [0, 0]
    a.free(box)
    assert a.stats()["used_size"] == start and a.check() == []


def test_shtable_concurrent_insert_lookup_delete(big_alloc, forked):
    a = big_alloc
    start = a.stats()["used_size"]
    t = ShTable(64, n_locks=8, allocator=a)
    per_child = 300

    def child(i):
        keys = [b"sip:u%d-%d@example.org" % (i, k) for k in range(per_child)]
        for k, key in enumerate(keys):
            assert t.insert(key_hash(key), key, b"v%d" % k)
        for k, key in enumerate(keys):
            assert t.lookup(key_hash(key), key) == b"v%d" % k
            assert t.update(key_hash(key), key, b"w%d" % k * 5)
        for key in keys[::2]:
            assert t.delete(key_hash(key), key)
        for k, key in enumerate(keys):
            want = None if k % 2 == 0 else b"w%d" % k * 5
            assert t.lookup(key_hash(key), key) == want

    assert forked(NPROC, child, timeout=60) == [0] * NPROC
    assert t.count() == NPROC * per_child // 2
    assert len(list(t.items())) == t.count()
    t.destroy()
    assert a.stats()["used_size"] == start and a.check() == []


def test_shtable_read_modify_write_no_lost_update(big_alloc, forked):
    """All children bump the same few records under the bucket lock."""
    a = big_alloc
    t = ShTable(16, n_locks=4, allocator=a)
    keys = [b"counter%d" % k for k in range(3)]
    for key in keys:
        t.insert(key_hash(key), key, _Q.pack(0))
    rounds = 1500

    def child(i):
        for r in range(rounds):
            key = keys[(r + i) % 3]
            with t.locked(key_hash(key)):
                e = t.find_locked(key_hash(key), key)
                view = t.value_view(e)
                _Q.pack_into(view, 0, _Q.unpack_from(view, 0)[0] + 1)
                view.release()

    assert forked(NPROC, child, timeout=60) == [0] * NPROC
    total = sum(_Q.unpack(t.lookup(key_hash(k), k))[0] for k in keys)
    assert total == NPROC * rounds
    t.destroy()


def test_shtable_timer_style_sweep(big_alloc, fork_tools):
    """A sweeper process deletes by (bucket, label) while workers insert."""
    spawn, reap = fork_tools
    a = big_alloc
    start = a.stats()["used_size"]
    t = ShTable(32, n_locks=8, allocator=a)

    def worker(i):
        for k in range(400):
            key = b"tx-%d-%d" % (i, k)
            assert t.insert(key_hash(key), key, b"x" * (k % 50))

    def sweeper(_):
        removed = 0
        for _ in range(20):
            for b in range(t.n_buckets):
                for label, _key, _value in t.bucket_items(b):
                    removed += t.delete_label(b, label)

    pids = spawn(3, worker) + spawn(1, sweeper)
    assert reap(pids, timeout=60) == [0] * 4
    for b, label, _, _ in list(t.items()):
        assert t.delete_label(b, label)
    assert t.count() == 0
    t.destroy()
    assert a.stats()["used_size"] == start and a.check() == []


def test_errors_in_a_child_are_counted_in_shared_stats(forked):
    a = ShmAllocator(Arena(1 << 20), debug=True)
    off = a.malloc(32)

    def child(_):
        a.free(off)
        a.free(off)                          # double free: logged, not fatal
        a.free(off + 3)                      # bad pointer

    assert forked(1, child, timeout=10) == [0]
    st = a.stats()
    assert st["double_free"] == 1 and st["bad_pointer"] == 1
    assert st["used_size"] == 0 and a.check() == []


def test_pkg_accounting_is_per_process(forked):
    from openser_py.mem import mem as pkg
    before = pkg.pkg_status()["used"]

    def child(_):
        pkg._reset_for_tests()               # a clean slate in this child only
        pkg.pkg_init(1000)
        assert pkg.pkg_malloc(800) is not None
        assert pkg.pkg_malloc(800) is None   # this child's own limit

    assert forked(2, child, timeout=10) == [0, 0]
    assert pkg.pkg_status()["used"] == before
