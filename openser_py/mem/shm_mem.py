"""The shm API that modules use (OpenSER's ``shm_mem.h`` names).

Every function works on the process-wide arena created by
``openser_py.mem.shm_init()`` in the master before fork.  Handles are ints
(offsets into the arena); 0 is NULL.

Out of memory is not an exception: ``shm_malloc``/``shm_realloc``/
``shm_put_bytes`` return 0 and the caller answers ``500`` (or fails its
``mod_init``), as OpenSER code does after ``shm_malloc`` returns NULL.

A handle is only as safe as the lock that protects the structure holding
it: read or write a block only while no other process can free it.
"""

import struct

from openser_py.mem import shm as _shm

__all__ = ["shm_malloc", "shm_free", "shm_realloc", "shm_buf", "shm_put_bytes",
           "shm_get_bytes", "shm_available"]

_LEN = struct.Struct("<I")


def _alloc():
    a = _shm._allocator
    if a is None:
        raise RuntimeError("shm is not initialised: call openser_py.mem.shm_init() "
                           "in the master before fork")
    return a


def shm_malloc(size):
    """Allocate ``size`` bytes of shared memory (not zeroed).

    Returns the offset of the block, or 0 when there is not enough free shm.
    """
    return _alloc().malloc(size, 2)


def shm_free(off):
    """Free the block at ``off``.  0 is a no-op; a double free or a bad
    offset is logged (and counted), never raised, never corrupts the arena."""
    _alloc().free(off, 2)


def shm_realloc(off, size):
    """Resize the block at ``off`` to ``size`` bytes, keeping its content.

    Returns the new offset (possibly ``off`` itself), or 0 on failure, in
    which case the old block is untouched.  ``shm_realloc(0, n)`` is
    ``shm_malloc(n)``; ``shm_realloc(off, 0)`` frees and returns 0.
    """
    return _alloc().realloc(off, size, 2)


def shm_buf(off, size):
    """Return a writable ``memoryview`` of ``size`` bytes at ``off``.

    Use it for in-place ``struct.pack_into``/``unpack_from``; do not keep it
    after the block may have been freed.  Raises ValueError for a range
    outside the arena, or (debug mode) outside the block.
    """
    a = _alloc()
    if off <= 0 or size < 0 or off + size > a.size:
        raise ValueError("shm_buf(%r, %r): outside the shm arena" % (off, size))
    if a.mode:
        usable = a.usable_size(off)
        if usable < size:
            raise ValueError("shm_buf(%d, %d): block has %d usable bytes"
                             % (off, size, usable))
    return a.view[off:off + size]


def shm_put_bytes(data):
    """Copy ``data`` into a new length-prefixed shm blob; return its offset or 0."""
    a = _alloc()
    n = len(data)
    off = a.malloc(4 + n, 2)
    if off:
        _LEN.pack_into(a.mm, off, n)
        a.mm[off + 4:off + 4 + n] = data
    return off


def shm_get_bytes(off):
    """Return a copy of the blob stored by :func:`shm_put_bytes` at ``off``."""
    a = _alloc()
    n = _LEN.unpack_from(a.mm, off)[0]
    if off + 4 + n > a.size:
        raise ValueError("shm_get_bytes(%d): not a blob" % off)
    return a.mm[off + 4:off + 4 + n]


def shm_available():
    """Free shm bytes (total - real_used), like OpenSER's ``shm_available()``."""
    return _alloc().available()
