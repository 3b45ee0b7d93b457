"""Cross-process locks for structures that live in the shm arena.

Choice of primitive
-------------------
Every lock here is a POSIX semaphore created through ``multiprocessing`` with
the *fork* context (a ``_multiprocessing.SemLock``), which the master creates
before it forks; the children inherit it.  With the fork context the
semaphore's name is unlinked the moment it is created, so nothing is left in
``/dev/shm`` after a crash and no resource-tracker process is started.

Measured on the project's 2-core machine (CPython 3.11, see
``benchmarks/bench_shm.py`` and ``doc/dev/shm.md``):

=====================================  =============  ======================
primitive                              uncontended    4 procs, 2 cores
=====================================  =============  ======================
SemLock ``acquire()``/``release()``    0.05 us        0.6 us per locked op
SemLock ``with lock:``                 0.13-0.17 us   --
``sem_t`` inside the arena via ctypes  0.39 us        0.9 us per locked op
``fcntl.lockf`` on a byte range        1.4 us         2.4 us per locked op
=====================================  =============  ======================

A lock word inside the arena would need an atomic compare-and-swap, which
pure Python does not have; ``sem_init`` on arena memory through ctypes works
but costs 8x more per call.  So locks are SemLocks.  Their one limitation is
that they must be created before the fork, exactly like OpenSER's locks that
``mod_init`` allocates: a lock created in a child is private to that child.
Each SemLock maps one page, so large tables stripe buckets over a
:class:`LockSet` instead of having one lock per bucket.

Lock order rule
---------------
* Never hold a shm lock while calling script or module code (callbacks,
  logging handlers that may block, DB access, sending packets): copy what you
  need out of shm, release, then act.
* A bucket lock (a :class:`LockSet` stripe) may be held while calling
  ``shm_malloc``/``shm_free`` (which take the mem lock); the reverse never
  happens because the allocator calls nothing while it holds the mem lock.
  Order: bucket lock -> mem lock, never mem lock -> bucket lock.
* Never hold two stripes of the same :class:`LockSet` at once (two buckets
  may share a stripe and the locks are not recursive).
* Signal handlers never touch shm (they only enqueue; see ARCHITECTURE 5.6):
  a handler that ran while its own process held the lock would deadlock.
* If a process dies while holding a lock, the lock is lost; OpenSER's answer
  (and ours) is that the master stops the whole server.
"""

import multiprocessing

_CTX = multiprocessing.get_context("fork")

__all__ = ["Lock", "LockSet"]


class Lock:
    """A non-recursive lock shared by all processes forked after its creation.

    Use ``with lock:`` or the bound ``acquire()``/``release()`` methods (the
    latter are the raw C methods of the semaphore and are the fastest path).
    """

    __slots__ = ("_mp", "_sem", "acquire", "release")

    def __init__(self):
        self._mp = _CTX.Lock()
        # The C-level semaphore has acquire/release without the Python
        # wrapper frames; fall back to the wrapper if the attribute changes.
        self._sem = getattr(self._mp, "_semlock", self._mp)
        self.acquire = self._sem.acquire
        self.release = self._sem.release

    def try_acquire(self):
        """Acquire the lock without blocking; return True on success."""
        return self._sem.acquire(False)

    def acquire_timeout(self, timeout):
        """Acquire with a timeout in seconds; return True on success."""
        return self._sem.acquire(True, timeout)

    def __enter__(self):
        self._sem.acquire()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._sem.release()
        return False

    def __repr__(self):
        return "<openser_py.mem.locking.Lock at 0x%x>" % id(self)


class LockSet:
    """``n`` locks used to stripe a larger set of buckets.

    ``lockset.get(i)`` (or ``lockset[i]``) returns the stripe for bucket or
    hash value ``i`` (``i % n``).  Create it before fork, like every lock.
    """

    __slots__ = ("_locks", "size")

    def __init__(self, n):
        if n < 1:
            raise ValueError("LockSet size must be >= 1")
        self._locks = [Lock() for _ in range(n)]
        self.size = n

    def get(self, i):
        """Return the lock that protects bucket (or hash) ``i``."""
        return self._locks[i % self.size]

    __getitem__ = get

    def __len__(self):
        return self.size

    def __iter__(self):
        return iter(self._locks)
