"""Lock and LockSet, in one process and across real forks."""

import mmap
import os
import struct
import time

import pytest

from openser_py.mem.locking import Lock, LockSet

_Q = struct.Struct("<Q")


def test_lock_basics():
    lock = Lock()
    with lock:
        assert not lock.try_acquire()
    assert lock.try_acquire()
    assert not lock.acquire_timeout(0.01)
    lock.release()
    lock.acquire()
    lock.release()


def test_lockset_striping():
    ls = LockSet(4)
    assert len(ls) == 4 and len(list(ls)) == 4
    assert ls.get(1) is ls[5] is ls.get(9)
    assert ls.get(0) is not ls.get(1)
    with pytest.raises(ValueError):
        LockSet(0)


def test_lock_excludes_other_processes(forked):
    """4 forked processes do unlocked-unsafe read-modify-writes under one Lock."""
    mm = mmap.mmap(-1, 4096, flags=mmap.MAP_SHARED)
    lock = Lock()
    n = 5000

    def child(_):
        for _ in range(n):
            with lock:
                v = _Q.unpack_from(mm, 0)[0]
                _Q.pack_into(mm, 0, v + 1)

    assert forked(4, child, timeout=30) == [0] * 4
    assert _Q.unpack_from(mm, 0)[0] == 4 * n


def test_lockset_across_processes(forked):
    mm = mmap.mmap(-1, 4096, flags=mmap.MAP_SHARED)
    ls = LockSet(3)
    n = 2000

    def child(i):
        for k in range(n):
            slot = (k + i) % 6
            lock = ls.get(slot)
            lock.acquire()
            try:
                v = _Q.unpack_from(mm, 8 * slot)[0]
                _Q.pack_into(mm, 8 * slot, v + 1)
            finally:
                lock.release()

    assert forked(3, child, timeout=30) == [0] * 3
    assert sum(_Q.unpack_from(mm, 8 * s)[0] for s in range(6)) == 3 * n


def test_lock_held_by_child_blocks_parent(fork_tools):
    spawn, reap = fork_tools
    lock = Lock()
    r, w = os.pipe()

    def child(_):
        with lock:
            os.write(w, b"x")
            time.sleep(0.3)

    pids = spawn(1, child)
    try:
        assert os.read(r, 1) == b"x"             # the child holds the lock now
        assert not lock.try_acquire()
        assert lock.acquire_timeout(5)           # released when the child is done
        lock.release()
    finally:
        assert reap(pids, timeout=10) == [0]
        os.close(r)
        os.close(w)
