"""The process table (OpenSER ``pt.c``), in shared memory.

One fixed-size row per process, written by the process itself right after
fork and read by anyone (MI ``ps``, ``openserctl ps``):

    pid  i32 | rank i32 | last_alive f64 | description 88 bytes (utf-8, NUL padded)

Row 0 is the attendant (the master).  ``process_no`` is the index of the
running process.  ``touch()`` refreshes ``last_alive`` (one 8-byte write, no
lock: only the owner writes its row) so ``ps`` can show how recently each
process looped -- a heartbeat for operators, never used to kill anything.
"""
import os
import struct
import time

from openser_py.mem.shm_mem import shm_buf, shm_free, shm_malloc

_ROW = struct.Struct("<iid88s")
_ALIVE = struct.Struct("<d")
_ALIVE_OFF = 8

_off = 0
_n = 0
process_no = 0


class PtError(Exception):
    """The table could not be created (out of shm)."""


def init(n_procs):
    """Allocate the table for *n_procs* processes (master, before fork)."""
    global _off, _n
    size = _ROW.size * n_procs
    off = shm_malloc(size)
    if not off:
        raise PtError("out of shared memory for the process table")
    shm_buf(off, size)[:] = bytes(size)
    _off, _n = off, n_procs
    return n_procs


def destroy():
    """Free the table (master, at exit)."""
    global _off, _n
    if _off:
        shm_free(_off)
    _off, _n = 0, 0


def size():
    """Number of rows."""
    return _n


def set_row(idx, pid, rank, desc):
    """Fill row *idx*; called by the process itself (or the master for 0)."""
    if not 0 <= idx < _n:
        raise IndexError("process index %d out of range (%d rows)" % (idx, _n))
    data = desc.encode("utf-8", "replace")[:88]
    _ROW.pack_into(shm_buf(_off + idx * _ROW.size, _ROW.size), 0,
                   pid, rank, time.time(), data)


def set_self(idx, rank, desc):
    """This process takes row *idx*."""
    global process_no
    process_no = idx
    set_row(idx, os.getpid(), rank, desc)


def touch():
    """Refresh this process's ``last_alive``."""
    if _n:
        _ALIVE.pack_into(shm_buf(_off + process_no * _ROW.size + _ALIVE_OFF,
                                 _ALIVE.size), 0, time.time())


def rows():
    """``[(idx, pid, rank, description, last_alive)]`` of filled rows."""
    out = []
    if not _n:
        return out
    view = shm_buf(_off, _ROW.size * _n)
    for i in range(_n):
        pid, rank, alive, desc = _ROW.unpack_from(view, i * _ROW.size)
        if pid:
            out.append((i, pid, rank, desc.rstrip(b"\0").decode("utf-8",
                                                                "replace"),
                        alive))
    return out


def pids():
    """PIDs of every filled row except the caller's."""
    me = os.getpid()
    return [r[1] for r in rows() if r[1] != me]
