"""The generic shared hash table (single process)."""

import pytest

from openser_py.mem.shm import Arena
from openser_py.mem.shm_alloc import ShmAllocator
from openser_py.mem.shtable import ShTable, key_hash


@pytest.fixture
def table(alloc):
    return ShTable(16, allocator=alloc)


def h(key):
    return key_hash(key)


def test_power_of_two_buckets(alloc):
    t = ShTable(100, n_locks=8, allocator=alloc)
    assert t.n_buckets == 128 and len(t.locks) == 8
    assert t.bucket_index(130) == 2


def test_insert_lookup_update_delete(table, alloc):
    start = alloc.stats()["used_size"]
    e = table.insert(h(b"alice"), b"alice", b"v1")
    assert e
    assert table.lookup(h(b"alice"), b"alice") == b"v1"
    assert table.lookup(h(b"bob"), b"bob") is None
    assert table.update(h(b"alice"), b"alice", b"v2") == e         # fits: in place
    assert table.lookup(h(b"alice"), b"alice") == b"v2"
    assert table.update(h(b"bob"), b"bob", b"x") == 0
    assert table.count() == 1
    assert table.delete(h(b"alice"), b"alice")
    assert not table.delete(h(b"alice"), b"alice")
    assert table.lookup(h(b"alice"), b"alice") is None
    assert table.count() == 0
    assert alloc.stats()["used_size"] == start
    assert alloc.check() == []


def test_growing_update_relocates_and_keeps_label(table):
    e, label = table.insert_labeled(h(b"k"), b"k", b"small")
    e2 = table.update(h(b"k"), b"k", b"L" * 1000)
    assert e2 and e2 != e
    b = table.bucket_index(h(b"k"))
    assert table.lookup_label(b, label) == (b"k", b"L" * 1000)
    assert table.update(h(b"k"), b"k", b"short") == e2            # room left
    assert table.lookup(h(b"k"), b"k") == b"short"


def test_capacity_keeps_updates_in_place(table):
    e = table.insert(h(b"k"), b"k", b"a", capacity=64)
    assert table.update(h(b"k"), b"k", b"b" * 64) == e


def test_collisions_same_bucket(alloc):
    t = ShTable(4, allocator=alloc)
    keys = [b"key%d" % i for i in range(20)]
    for i, k in enumerate(keys):
        t.insert(7, k, b"%d" % i)                    # all share hash 7
    for i, k in enumerate(keys):
        assert t.lookup(7, k) == b"%d" % i
    assert t.bucket_count(3) == 20 and t.count() == 20
    labels = [label for label, _, _ in t.bucket_items(3)]
    assert labels == list(range(1, 21))              # oldest first
    assert t.delete(7, b"key10") and t.delete(7, b"key0") and t.delete(7, b"key19")
    assert [k for _, k, _ in t.bucket_items(3)] == [k for k in keys
                                                   if k not in (b"key0", b"key10", b"key19")]
    t.destroy()
    assert alloc.stats()["used_size"] == 0


def test_duplicate_keys_and_labels(table):
    table.insert(1, b"same", b"first")
    _, label2 = table.insert_labeled(1, b"same", b"second")
    assert table.lookup(1, b"same") == b"first"      # first match wins
    assert table.delete_label(1, label2)
    assert not table.delete_label(1, label2)
    assert table.lookup_label(1, label2) is None
    assert table.count() == 1


def test_labels_are_per_bucket_and_not_reused(table):
    _, l1 = table.insert_labeled(2, b"a", b"")
    table.delete(2, b"a")
    _, l2 = table.insert_labeled(2, b"a", b"")
    _, other = table.insert_labeled(3, b"b", b"")
    assert (l1, l2, other) == (1, 2, 1)


def test_items_and_clear(table, alloc):
    data = {b"k%d" % i: b"v%d" % i for i in range(50)}
    for k, v in data.items():
        table.insert(h(k), k, v)
    got = {k: v for _, _, k, v in table.items()}
    assert got == data
    assert all(b == table.bucket_index(h(k)) for b, _, k, _ in table.items())
    table.clear()
    assert table.count() == 0 and list(table.items()) == []
    table.destroy()
    table.destroy()                                  # idempotent
    assert alloc.stats()["used_size"] == 0


def test_compound_operations_under_lock(table):
    key = b"aor@example.org"
    with table.locked(h(key)):
        assert table.find_locked(h(key), key) == 0
        e, label = table.insert_locked(h(key), key, b"\0" * 8)
        view = table.value_view(e)
        view[0:4] = b"\1\2\3\4"
        view.release()
        assert table.entry_key(e) == key and table.entry_label(e) == label
        e2 = table.set_value_locked(e, b"x" * 100)
        assert table.entry_value(e2) == b"x" * 100
        assert len(table.value_view(e2, capacity=True)) >= 100
        table.delete_entry_locked(e2)
    assert table.count() == 0


def test_out_of_memory_is_zero_not_exception():
    a = ShmAllocator(Arena(64 * 1024), debug=False)
    t = ShTable(8, allocator=a)
    n = 0
    while t.insert(n, b"key%d" % n, b"v" * 1000):
        n += 1
    assert 30 < n < 64
    assert t.insert_labeled(1, b"k", b"v" * 1000) == (0, 0)
    e = t.insert(1, b"small", b"")
    assert t.update(1, b"small", b"v" * 5000) == 0    # relocation fails ...
    assert t.lookup(1, b"small") == b""               # ... old value kept
    assert e
    t.destroy()
    assert a.stats()["used_size"] == 0 and a.check() == []
    with pytest.raises(MemoryError):
        ShTable(1 << 20, allocator=a)


def test_key_hash_is_stable():
    # CRC-32: the same value in every process (unlike hash(), per interpreter).
    assert key_hash(b"abc") == 0x352441C2
