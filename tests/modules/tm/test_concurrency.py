"""h_table + timer wheel under real forked processes (2 cores, bounded time).

Workers insert, look up, claim and update cells while a timer process fires
wait/delete timers; the checks: no lost update, exactly one claimer, one
cell per transaction even when a retransmission races its original, no
cell freed while a worker holds a reference, and shm back to its baseline.
"""
import functools
import random
import struct
import time

from openser_py.mem.locking import Lock
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import h_table as H
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.t_lookup import FOUND, match_request, request_key

from .conftest import make_cell, reap, req, spawn

N_WORKERS = 4
N_INCR = 300
N_CLAIM = 40
N_DUP = 60
N_OWN = 100
N_TIGHT = 3000


def key_of(msg):
    return (H.tm_hash(msg.callid, msg.cseq.num_str),
            functools.partial(match_request, request_key(msg)),
            C.encode(make_cell(msg, branches=1)))


def dup_msg(j):
    return req(callid="dup%d@x" % j,
               via="SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKdup%d" % j)


class Barrier:
    """All ``n`` processes leave :meth:`wait` together (a shm counter)."""

    def __init__(self, alloc, n):
        self.alloc, self.n, self.lock = alloc, n, Lock()
        self.off = alloc.malloc(4)
        struct.pack_into("<I", alloc.mm, self.off, 0)

    def wait(self, timeout=30.0):
        with self.lock:
            n = struct.unpack_from("<I", self.alloc.mm, self.off)[0] + 1
            struct.pack_into("<I", self.alloc.mm, self.off, n)
        deadline = time.monotonic() + timeout
        while struct.unpack_from("<I", self.alloc.mm, self.off)[0] < self.n:
            assert time.monotonic() < deadline, "barrier timeout"

    def free(self):
        self.alloc.free(self.off)


def incr(table, h, label, field="bflags"):
    with table.edit(h, label) as v:
        v.bset(0, field, v.bget(0, field) + 1)


def test_workers_no_lost_update_single_claimer_single_insert(table, alloc):
    barrier = Barrier(alloc, N_WORKERS)
    base = alloc.status()["used_size"]
    counter = table.insert(100, C.encode(make_cell(req(), branches=1)),
                           ref=False)
    claims = [table.insert(200 + i, C.encode(make_cell(req(), branches=1)),
                           ref=False) for i in range(N_CLAIM)]
    dups = [key_of(dup_msg(j)) for j in range(N_DUP)]

    def worker(i):
        rnd = random.Random(i)
        barrier.wait()                  # everybody races from here
        for _ in range(N_TIGHT):        # hot spot: one field, no pause
            incr(table, 100, counter, "status")
        for step in range(max(N_INCR, N_CLAIM, N_DUP, N_OWN)):
            if step < N_INCR:
                incr(table, 100, counter)
            if step < N_CLAIM:
                b, label = 200 + step, claims[step]
                if table.claim(b, label, C.CLAIM_REPLY) == H.CLAIMED:
                    incr(table, b, label, "status")
                    with table.edit(b, label) as v:
                        v.set("msg_flags", i + 1)
            if step < N_DUP:
                h, matcher, value = dups[step]
                res, label = table.lookup_request(h, matcher, value)
                assert res in (H.INSERTED, FOUND), res
                incr(table, h, label)
                table.unref(h, label)
            if step < N_OWN:
                msg = req(callid="own%d-%d@x" % (i, step),
                          via="SIP/2.0/UDP 10.1.%d.1;branch=z9hG4bKo%d" % (i, step))
                h, matcher, value = key_of(msg)
                res, label = table.lookup_request(h, matcher, value)
                assert res == H.INSERTED
                with table.edit(h, label) as v:
                    v.set("msg_flags", (i << 16) | step)
                if rnd.random() < 0.2:
                    time.sleep(0.0005)
                assert table.read(h, label).msg_flags == (i << 16) | step
                assert table.unref(h, label) == 0
                assert table.remove(h, label) == H.DELETED

    pids = spawn(N_WORKERS, worker)
    assert reap(pids, timeout=120) == [0] * N_WORKERS

    assert table.read(100, counter).branches[0].bflags == N_WORKERS * N_INCR
    assert table.read(100, counter).branches[0].status == N_WORKERS * N_TIGHT
    for i, label in enumerate(claims):
        c = table.read(200 + i, label)
        assert c.branches[0].status == 1            # exactly one winner
        assert 1 <= c.msg_flags <= N_WORKERS
        assert c.claims == C.CLAIM_REPLY
    for j, (h, matcher, _) in enumerate(dups):
        cells = [table.read(h, lab) for lab in table.labels(h)]
        mine = [c for c in cells if c.match.callid == "dup%d@x" % j]
        assert len(mine) == 1                       # never a second cell
        assert mine[0].branches[0].bflags == N_WORKERS
        assert mine[0].ref_count == 0
    assert table.count() == 1 + N_CLAIM + N_DUP
    table.clear()
    assert alloc.status()["used_size"] == base
    barrier.free()


N_TIMER_WORKERS = 3
N_CELLS = 150
_CTL = struct.Struct("<IIII")           # done, busy, deleted, stale


def test_timer_process_never_frees_a_busy_cell(table, alloc):
    wheel = W.TimerWheel(capacity=4096, resolution=0.005, allocator=alloc)
    ctl = alloc.malloc(_CTL.size)
    _CTL.pack_into(alloc.mm, ctl, 0, 0, 0, 0)
    base = alloc.status()["used_size"]

    def timer_process(_):
        busy = deleted = stale = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = time.monotonic()
            for handle, h, label, br, kind in wheel.advance(now):
                with table.edit(h, label) as v:
                    live = v is not None and v.timer(kind, br)[0] == handle
                    if live:
                        v.set_timer(kind, br, 0, 0.0)
                if not live:
                    stale += 1
                    continue
                res = table.remove(h, label)
                if res == H.BUSY:
                    busy += 1
                    with table.edit(h, label) as v:
                        if v is not None:       # else the last unref freed it
                            nh = wheel.arm(now, 0.01, h, label, 0, W.TK_DELETE)
                            assert nh
                            v.set_timer(W.TK_DELETE, 0, nh, now + 0.01)
                elif res == H.DELETED:
                    deleted += 1
            _CTL.pack_into(alloc.mm, ctl, _CTL.unpack_from(alloc.mm, ctl)[0],
                           busy, deleted, stale)
            if (_CTL.unpack_from(alloc.mm, ctl)[0] and not table.count()
                    and not wheel.pending()):
                return
            time.sleep(0.002)
        raise AssertionError("the timer process did not drain the table")

    def worker(i):
        rnd = random.Random(100 + i)
        for k in range(N_CELLS):
            msg = req(callid="t%d-%d@x" % (i, k),
                      via="SIP/2.0/UDP 10.2.%d.1;branch=z9hG4bKt%d" % (i, k))
            h, matcher, value = key_of(msg)
            res, label = table.lookup_request(h, matcher, value)
            assert res == H.INSERTED                # referenced by us
            magic = (i << 16) | k
            slow = k % 10 == 0                      # surely busy at expiry
            with table.edit(h, label) as v:         # arm under the bucket lock
                v.set("msg_flags", magic)
                now = time.monotonic()
                delay = 0.0 if slow else rnd.choice((0.0, 0.005, 0.02))
                hd = wheel.arm(now, delay, h, label, 0, W.TK_WAIT)
                assert hd
                v.set_timer(W.TK_WAIT, 0, hd, now + delay)
            if rnd.random() < 0.3:                  # a restarted timer
                with table.edit(h, label) as v:
                    old = v.timer(W.TK_WAIT)[0]
                    if old and not v.get("flags") & C.T_REMOVED:
                        wheel.disarm(old)
                        now = time.monotonic()
                        v.set_timer(W.TK_WAIT, 0, wheel.arm(
                            now, 0.005, h, label, 0, W.TK_WAIT), now + 0.005)
            time.sleep(0.03 if slow else rnd.choice((0, 0, 0.001, 0.004)))
            with table.edit(h, label) as v:
                assert v is not None, "cell freed while referenced"
                assert v.get("msg_flags") == magic
                assert v.get("ref_count") == 1
            assert table.unref(h, label) in (0, H.FREED)

    tpid = spawn(1, timer_process)
    wpids = spawn(N_TIMER_WORKERS, worker)
    try:
        assert reap(wpids, timeout=120) == [0] * N_TIMER_WORKERS
    finally:
        done = _CTL.unpack_from(alloc.mm, ctl)
        _CTL.pack_into(alloc.mm, ctl, 1, *done[1:])
        assert reap(tpid, timeout=60) == [0]
    _, busy, deleted, stale = _CTL.unpack_from(alloc.mm, ctl)
    assert busy > 0 and deleted > 0                 # both paths exercised
    assert table.count() == 0 and wheel.pending() == 0
    assert alloc.status()["used_size"] == base
    alloc.free(ctl)
    wheel.destroy()
