"""The shm timer wheel, single process, with an injected clock."""
import time

import pytest

from openser_py.modules.tm import timer_wheel as W

RES = 0.05


@pytest.fixture
def wheel(alloc):
    w = W.TimerWheel(capacity=1000, resolution=RES, epoch=0.0, allocator=alloc)
    yield w
    w.destroy()


def test_geometry(wheel):
    assert wheel.n_slots == 4096                 # 130 s / 50 ms -> 2^12
    assert W.slots_for(125.0, 0.1) == 2048
    assert W.slots_for(0.01, 1.0) == 1


def test_never_early_at_most_one_tick_late(wheel):
    h = wheel.arm(1.0, 0.5, 7, 9, 2, W.TK_FR)
    assert h and wheel.pending() == 1
    assert wheel.due_of(h) == 30                 # ceil(1.5 / 0.05)
    assert wheel.advance(1.49) == []
    assert wheel.advance(1.5) == [(h, 7, 9, 2, W.TK_FR)]
    assert wheel.pending() == 0 and wheel.due_of(h) is None
    h = wheel.arm(2.0, 0.51, 1, 1, 0, W.TK_RETR)    # due 2.51 -> tick 51
    assert wheel.advance(2.54) == []
    assert wheel.advance(2.55) == [(h, 1, 1, 0, W.TK_RETR)]


def test_due_in_the_past_fires_next_tick(wheel):
    wheel.advance(10.0)
    h = wheel.arm(5.0, 0.0, 1, 2, 0, W.TK_WAIT)
    assert wheel.due_of(h) == wheel.current_tick() + 1
    assert wheel.advance(10.0) == []
    assert [e[0] for e in wheel.advance(10.05)] == [h]


def test_disarm_and_stale_handles(wheel):
    h1 = wheel.arm(0.0, 1.0, 1, 1, 0, W.TK_FR)
    h2 = wheel.arm(0.0, 1.0, 1, 2, 0, W.TK_FR)
    h3 = wheel.arm(0.0, 1.0, 1, 3, 0, W.TK_FR)
    assert wheel.disarm(h2)                      # middle of the slot list
    assert not wheel.disarm(h2)
    assert wheel.disarm(h3)                      # head
    assert not wheel.disarm(0) and not wheel.disarm(99999)
    fired = wheel.advance(1.0)
    assert fired == [(h1, 1, 1, 0, W.TK_FR)]
    assert not wheel.disarm(h1)                  # already fired
    h4 = wheel.arm(1.0, 1.0, 2, 2, 0, W.TK_FR)  # reuses h1's entry
    assert h4 & 0xFFFFFFFF == h1 & 0xFFFFFFFF and h4 != h1
    assert not wheel.disarm(h1)                  # stale: does not touch h4
    assert wheel.pending() == 1
    h5 = wheel.rearm(h4, 1.0, 3.0, 2, 2, 0, W.TK_FR)
    assert wheel.pending() == 1 and wheel.due_of(h4) is None
    assert wheel.due_of(h5) == 80


def test_disarm_with_serial_zero_leaves_free_entries_alone(wheel):
    """A handle whose serial is 0 names a free entry: disarming it must not
    unlink that entry (it would corrupt the free list)."""
    hs = [wheel.arm(0.0, 1.0, 1, i, 0, W.TK_FR) for i in range(3)]
    assert wheel.disarm(hs[1])          # its entry is free again, serial 0
    idx = hs[1] & 0xFFFFFFFF
    assert not wheel.disarm(idx)        # serial 0, index of a free entry
    assert not wheel.disarm(5)          # an entry never used
    again = [wheel.arm(0.0, 1.0, 2, i, 0, W.TK_FR) for i in range(4)]
    assert all(again) and len({h & 0xFFFFFFFF for h in again + hs}) == 6
    assert wheel.pending() == 6
    assert len(wheel.advance(1.0)) == 6


def test_rounds_beyond_one_turn(alloc):
    w = W.TimerWheel(capacity=10, resolution=1.0, n_slots=8, epoch=0.0,
                     allocator=alloc)
    far = w.arm(0.0, 20.0, 1, 1, 0, W.TK_WAIT)   # 2.5 turns away
    near = w.arm(0.0, 4.0, 1, 2, 0, W.TK_WAIT)   # same slot as tick 20
    assert w.due_of(far) & 7 == w.due_of(near) & 7
    got = []
    for t in range(1, 25):
        got += [(t, e[0]) for e in w.advance(float(t))]
    assert got == [(4, near), (20, far)]
    w.destroy()


def test_stall_longer_than_a_turn(alloc):
    w = W.TimerWheel(capacity=10, resolution=1.0, n_slots=8, epoch=0.0,
                     allocator=alloc)
    hs = [w.arm(0.0, d, 1, i, 0, W.TK_FR) for i, d in enumerate((3, 9, 30))]
    fired = w.advance(20.0)                      # 20 ticks at once: full scan
    assert sorted(e[0] for e in fired) == sorted(hs[:2])
    assert w.current_tick() == 20 and w.pending() == 1
    assert [e[0] for e in w.advance(30.0)] == [hs[2]]
    w.destroy()


def test_limit_resumes_where_it_stopped(wheel):
    hs = [wheel.arm(0.0, 0.1 * (i % 3 + 1), 1, i, 0, W.TK_RETR)
          for i in range(10)]
    got = []
    for _ in range(10):
        batch = wheel.advance(1.0, limit=3)
        assert len(batch) <= 3
        got += batch
    assert sorted(e[0] for e in got) == sorted(hs)
    ticks = [wheel.due_of(h) for h in hs]        # all fired
    assert ticks == [None] * 10 and wheel.pending() == 0


def test_pool_exhaustion_returns_zero(alloc):
    w = W.TimerWheel(capacity=3, epoch=0.0, allocator=alloc)
    hs = [w.arm(0.0, 1.0, 1, i, 0, W.TK_FR) for i in range(3)]
    assert all(hs) and w.arm(0.0, 1.0, 1, 9, 0, W.TK_FR) == 0
    assert w.disarm(hs[1])
    assert w.arm(0.0, 1.0, 1, 9, 0, W.TK_FR)
    w.destroy()


def test_memory_released(alloc):
    base = alloc.status()["used_size"]
    w = W.TimerWheel(capacity=100, allocator=alloc)
    assert alloc.status()["used_size"] > base
    w.destroy()
    assert alloc.status()["used_size"] == base


def test_wheel_speed(wheel):
    """arm+disarm and a tick with N due entries (printed with -s)."""
    n = 2000
    t0 = time.perf_counter()
    for i in range(n):
        wheel.disarm(wheel.arm(1.0, 30.0, i & 0xFFFF, i, 0, W.TK_FR))
    arm_disarm = (time.perf_counter() - t0) / n * 1e6
    big = W.TimerWheel(capacity=20000, resolution=RES, epoch=0.0,
                       allocator=wheel._a)
    out = []
    for due in (1, 100, 1000, 10000):
        now = 10.0 * len(out) + 10.0
        big.advance(now)
        for i in range(due):
            big.arm(now, 1.0, i & 0xFFFF, i, 0, W.TK_FR)
        t0 = time.perf_counter()
        fired = big.advance(now + 1.0)
        dt = time.perf_counter() - t0
        assert len(fired) == due
        out.append((due, dt * 1e6))
    big.destroy()
    print("wheel: arm+disarm %.2f us; tick: %s" % (arm_disarm, ", ".join(
        "%d due %.0f us (%.2f us each)" % (d, t, t / d) for d, t in out)))
    assert arm_disarm < 100
