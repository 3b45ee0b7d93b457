"""Per-process counters: single process and real forks."""

import os

import pytest

from openser_py.mem.counters import CounterTable


@pytest.fixture
def table(alloc):
    t = CounterTable(4, max_counters=8, allocator=alloc)
    yield t
    t.destroy()


def test_register_inc_get(table):
    rcv = table.register("rcv_requests")
    fwd = table.register("fwd_requests")
    assert table.register("rcv_requests") == rcv != fwd
    assert table.handle("fwd_requests") == fwd
    table.inc(rcv)
    table.inc(rcv, 4)
    table.dec(fwd, 2)
    assert table.get(rcv) == 5 and table.get(fwd) == -2
    assert table.get_all() == {"rcv_requests": 5, "fwd_requests": -2}
    assert table.names() == ["rcv_requests", "fwd_requests"]


def test_reset_uses_a_base(table):
    h = table.register("x")
    table.inc(h, 10)
    table.reset(h)
    assert table.get(h) == 0
    table.inc(h, 3)
    assert table.get(h) == 3


def test_capacity(table):
    for i in range(8):
        table.register("c%d" % i)
    with pytest.raises(ValueError):
        table.register("one too many")


def test_destroy_frees_shm(alloc):
    start = alloc.stats()["used_size"]
    t = CounterTable(2, allocator=alloc)
    assert alloc.stats()["used_size"] > start
    t.destroy()
    t.destroy()
    assert alloc.stats()["used_size"] == start


def test_no_lost_increments_across_processes(table, forked):
    h = table.register("hits")
    other = table.register("other")
    table.inc(h, 7)                                   # the master's own row
    n = 5000

    def child(i):
        for _ in range(n):
            table.inc(h)
        table.inc(other, i)

    assert forked(4, child, timeout=30) == [0] * 4
    assert table.get(h) == 7 + 4 * n
    assert table.get(other) == 0 + 1 + 2 + 3


def test_reset_while_children_count(table, fork_tools):
    spawn, reap = fork_tools
    h = table.register("hits")
    n = 20000
    pids = spawn(2, lambda i: [table.inc(h) for _ in range(n)])
    table.reset(h)                                    # races with the children
    base_seen = table.get(h)
    assert reap(pids, 30) == [0, 0]
    # Nothing is lost: the total is exact up to what reset had subtracted.
    assert table.get(h) + table._bases[h] == 2 * n
    assert base_seen >= 0


def test_register_after_fork_refused(table, forked):
    table.register("before")
    assert forked(1, lambda i: table.register("before"), timeout=10) == [0]
    assert forked(1, lambda i: table.register("child"), timeout=10) == [1]
    with pytest.raises(RuntimeError):
        table.register("after")                       # the master forked


def test_more_processes_than_rows_share_overflow_row(alloc, forked):
    t = CounterTable(1, max_counters=2, allocator=alloc)   # one row + overflow
    h = t.register("hits")
    n = 3000

    def child(i):
        for _ in range(n):
            t.inc(h)

    assert forked(4, child, timeout=30) == [0] * 4
    assert t.get(h) == 4 * n
    t.destroy()


def test_child_rows_are_distinct(table, forked):
    h = table.register("hits")
    r, w = os.pipe()

    def child(i):
        table.inc(h)
        os.write(w, bytes([table._row]))

    assert forked(3, child, timeout=10) == [0] * 3
    rows = set(os.read(r, 16))
    os.close(r)
    os.close(w)
    assert len(rows) == 3 and 0 not in rows
