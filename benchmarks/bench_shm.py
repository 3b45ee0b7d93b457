"""Micro-benchmarks of openser_py.mem (not a test): prints microseconds per op.

Run from the repo root::

    python benchmarks/bench_shm.py            # full run (~30 s on 2 cores)
    python benchmarks/bench_shm.py --quick    # smaller counts

Sections: lock primitives, alloc+free latency (plain and debug mode),
fragmentation after churn, shared hash table insert/lookup/delete, a
usrloc-sized load (100k records), per-process counters, and 1/2/4 forked
processes contending for the allocator and for one table (run it on a quiet
machine: other jobs on the 2 cores distort the scaling numbers).
"""

import argparse
import fcntl
import os
import random
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from openser_py.mem import shm_alloc as sa  # noqa: E402
from openser_py.mem.counters import CounterTable  # noqa: E402
from openser_py.mem.locking import Lock  # noqa: E402
from openser_py.mem.shm import Arena  # noqa: E402
from openser_py.mem.shm_alloc import ShmAllocator  # noqa: E402
from openser_py.mem.shtable import ShTable, key_hash  # noqa: E402


def report(name, seconds, ops):
    print("  %-52s %8.2f us/op" % (name, seconds / ops * 1e6))


def timed(fn, ops):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t, ops


def bench_locks(n):
    print("lock primitives (uncontended)")
    lock = Lock()
    acq, rel = lock.acquire, lock.release

    def raw():
        for _ in range(n):
            acq()
            rel()

    def ctx():
        for _ in range(n):
            with lock:
                pass

    report("SemLock acquire()/release()", *timed(raw, n))
    report("SemLock 'with lock:'", *timed(ctx, n))
    with tempfile.TemporaryFile() as f:
        fd = f.fileno()

        def flock():
            for _ in range(n // 10):
                fcntl.lockf(fd, fcntl.LOCK_EX, 1, 0)
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, 0)

        report("fcntl.lockf range lock+unlock", *timed(flock, n // 10))


def bench_alloc(n, mode):
    a = ShmAllocator(Arena(32 << 20), debug=mode)
    keep = [a.malloc(s) for s in range(8, 4000, 7)]       # a used heap
    for off in keep[::2]:
        a.free(off)
    label = ("debug" if mode else "plain")
    print("alloc+free, %s mode" % label)
    for size in (32, 256, 2000):
        def pair():
            for _ in range(n):
                a.free(a.malloc(size))
        report("malloc(%d)+free, same block" % size, *timed(pair, n))
    offs = []
    rnd = random.Random(1)
    sizes = [rnd.choice((rnd.randint(8, 128), rnd.randint(128, 3000))) for _ in range(n)]

    def batch_alloc():
        offs.extend(a.malloc(s) for s in sizes)

    def batch_free():
        for off in offs:
            a.free(off)

    report("malloc, %d mixed sizes live at once" % n, *timed(batch_alloc, n))
    rnd.shuffle(offs)
    report("free of the same in random order (coalescing)", *timed(batch_free, n))


def bench_fragmentation(n):
    print("fragmentation after %d random ops (4 MiB arena, live set ~50%%)" % n)
    a = ShmAllocator(Arena(4 << 20), debug=False)
    rnd = random.Random(7)
    live = []
    for _ in range(n):
        if live and rnd.random() < 0.5:
            a.free(live.pop(rnd.randrange(len(live))))
        else:
            off = a.malloc(rnd.choice((rnd.randint(1, 128), rnd.randint(128, 4000),
                                       rnd.randint(4000, 30000))))
            if off:
                live.append(off)
    st = a.status()
    print("  live %d frags, free %d frags; used %d, free %d, largest free %d (%.0f%%)"
          % (st["live_fragments"], st["free_fragments"], st["used_size"],
             st["free_size"], st["largest_free"],
             100.0 * st["largest_free"] / max(1, st["free_size"])))
    print("  overhead (real_used - used): %d bytes = %.2f%% of the arena"
          % (st["real_used_size"] - st["used_size"],
             100.0 * (st["real_used_size"] - st["used_size"]) / st["total_size"]))


def bench_shtable(n, buckets):
    print("shared hash table (%d entries, %d buckets)" % (n, buckets))
    a = ShmAllocator(Arena(64 << 20), debug=False)
    t = ShTable(buckets, allocator=a)
    keys = [b"sip:user%d@example.org" % i for i in range(n)]
    hashes = [key_hash(k) for k in keys]
    value = b"v" * 120
    pairs = list(zip(hashes, keys))

    def ins():
        for h, k in pairs:
            t.insert(h, k, value)

    def look():
        for h, k in pairs:
            t.lookup(h, k)

    def upd():
        for h, k in pairs:
            t.update(h, k, value)

    def dele():
        for h, k in pairs:
            t.delete(h, k)

    report("insert", *timed(ins, n))
    report("lookup (hit)", *timed(look, n))
    report("update (in place)", *timed(upd, n))
    report("key_hash (crc32)", *timed(lambda: [key_hash(k) for k in keys], n))
    report("delete", *timed(dele, n))


def bench_usrloc_like(n):
    print("usrloc-like load: %d records of ~200 bytes in a 32 MiB arena" % n)
    a = ShmAllocator(Arena(32 << 20), debug=False)
    t = ShTable(1 << 14, allocator=a)
    rec = b"c" * 200
    keys = [b"user%d" % i for i in range(n)]
    stored = []

    def ins():
        for k in keys:
            if t.insert(key_hash(k), k, rec):
                stored.append(k)

    report("insert (incl. crc32)", *timed(ins, n))
    st = a.stats()
    print("  stored %d, used %.1f MiB, real_used %.1f MiB, free %.1f MiB"
          % (len(stored), st["used_size"] / 2**20, st["real_used_size"] / 2**20,
             st["free_size"] / 2**20))
    report("lookup (incl. crc32)", *timed(
        lambda: [t.lookup(key_hash(k), k) for k in stored], len(stored)))
    report("full dump via items()", *timed(lambda: sum(1 for _ in t.items()), len(stored)))


def bench_counters(n):
    print("per-process counters")
    a = ShmAllocator(Arena(1 << 20), debug=False)
    c = CounterTable(8, allocator=a)
    h = c.register("rcv_requests")
    report("inc (own row, no lock)", *timed(lambda: [c.inc(h) for _ in range(n)], n))
    report("get (sum of 9 rows)", *timed(lambda: [c.get(h) for _ in range(n // 10)], n // 10))


def _fork_timed(nproc, target):
    """Run ``target(i)`` in ``nproc`` children; return (first start, last end)."""
    r, w = os.pipe()
    pids = []
    for i in range(nproc):
        pid = os.fork()
        if pid == 0:
            try:
                t0 = time.monotonic()          # CLOCK_MONOTONIC: system-wide
                target(i)
                os.write(w, struct.pack("dd", t0, time.monotonic()))
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    raw = os.read(r, 16 * nproc)
    os.close(r)
    os.close(w)
    spans = [struct.unpack_from("dd", raw, 16 * i) for i in range(len(raw) // 16)]
    return min(s for s, _ in spans), max(e for _, e in spans)


def bench_contention(n):
    print("forked processes on %d cores, %d ops each, timed inside the children"
          % (os.cpu_count(), n))
    a = ShmAllocator(Arena(32 << 20), debug=False)
    t = ShTable(65536, allocator=a)
    keys = [(key_hash(b"sip:u%d@x" % k), b"sip:u%d@x" % k) for k in range(n)]
    for h, k in keys:
        t.insert(h, k, b"v" * 100)

    def alloc_free(i):
        for _ in range(n):
            a.free(a.malloc(200))

    def lookups(i):
        for h, k in keys:
            t.lookup(h, k)

    def table_mix(i):
        mine = [b"k%d-%d" % (i, k) for k in range(n // 3)]
        for k in mine:
            t.insert(key_hash(k), k, b"x" * 100)
        for k in mine:
            t.lookup(key_hash(k), k)
        for k in mine:
            t.delete(key_hash(k), k)

    for name, fn in (("malloc(200)+free", alloc_free), ("shtable lookup", lookups),
                     ("shtable insert/lookup/delete", table_mix)):
        for nproc in (1, 2, 4):
            start, end = _fork_timed(nproc, fn)
            report("%s, %d proc: wall time per op (all procs)" % (name, nproc),
                   end - start, n * nproc)
    assert a.check() == [] and t.count() == n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller counts")
    args = ap.parse_args()
    k = 5 if args.quick else 1
    print("openser_py.mem benchmarks (CPython %s, %d cores)"
          % (sys.version.split()[0], os.cpu_count()))
    bench_locks(200000 // k)
    bench_alloc(100000 // k, sa.MODE_NONE)
    bench_alloc(50000 // k, sa.MODE_GUARD)
    bench_fragmentation(20000 // k)
    bench_shtable(50000 // k, 65536)       # tm-like: load factor < 1
    bench_shtable(50000 // k, 4096)        # crowded: ~12 per bucket
    bench_usrloc_like(100000 // k)
    bench_counters(200000 // k)
    bench_contention(30000 // k)


if __name__ == "__main__":
    main()
