"""pkg memory: per-process private buffers with OpenSER's pool limit.

In OpenSER every process has its own fixed pkg pool (1 MB by default; the
``-M`` option of later versions sets it) and ``pkg_malloc`` returns NULL when
it is exhausted.  In Python a process's private heap is its own interpreter
heap, so this module only *accounts*: :func:`pkg_malloc` hands out a
``bytearray`` and counts its size against the limit set by :func:`pkg_init`;
:func:`pkg_free` gives the size back.  Accounting is per process: a forked
child starts with a copy of its parent's numbers, as a C child inherits a
copy of the parent's pkg pool.

Buffers are tracked by identity, so a double free or the free of a buffer
that did not come from :func:`pkg_malloc` is logged and ignored.  A buffer
dropped without :func:`pkg_free` stays counted (a leak, as in C) until its
id is reused by a later allocation, which then reclaims the stale entry.
"""

import logging
import tracemalloc

LOG = logging.getLogger("openser.mem")

#: OpenSER's default private pool size per process.
PKG_MEM_POOL_SIZE = 1024 * 1024

_limit = PKG_MEM_POOL_SIZE
_used = 0
_max_used = 0
_failures = 0
_live = {}          # id(buffer) -> size

__all__ = ["PKG_MEM_POOL_SIZE", "pkg_init", "pkg_malloc", "pkg_free", "pkg_realloc",
           "pkg_status"]


def pkg_init(limit_bytes):
    """Set this process's pkg limit in bytes (0 or None: no limit).

    The master calls it once from the command line (``-M``) before fork;
    children inherit the limit.  Current accounting is kept.
    """
    global _limit
    if limit_bytes is not None and limit_bytes < 0:
        raise ValueError("pkg limit must be >= 0")
    _limit = limit_bytes or 0


def _account(delta):
    global _used, _max_used
    _used += delta
    if _used > _max_used:
        _max_used = _used


def _over(extra, what):
    global _failures
    if _limit and _used + extra > _limit:
        _failures += 1
        LOG.error("%s: not enough pkg memory (%d requested, %d of %d used)",
                  what, extra, _used, _limit)
        return True
    return False


def pkg_malloc(size):
    """Return a zeroed ``bytearray`` of ``size`` bytes, or None over the limit."""
    if size < 0 or _over(size, "pkg_malloc"):
        return None
    try:
        buf = bytearray(size)
    except MemoryError:
        LOG.error("pkg_malloc: the process is out of memory (%d requested)", size)
        return None
    stale = _live.pop(id(buf), None)
    if stale is not None:           # a leaked buffer's id was reused
        _account(-stale)
    _live[id(buf)] = size
    _account(size)
    return buf


def pkg_free(buf):
    """Give ``buf`` back to the pool.  Unknown buffers and double frees are logged."""
    if buf is None:
        return
    size = _live.get(id(buf))
    if size is None or size != len(buf):
        LOG.error("pkg_free: buffer %#x was not allocated by pkg_malloc (or was "
                  "freed twice, or resized outside pkg_realloc); ignored", id(buf))
        return
    del _live[id(buf)]
    _account(-size)


def pkg_realloc(buf, size):
    """Resize ``buf`` in place to ``size`` bytes and return it; None over the limit.

    ``pkg_realloc(None, n)`` is ``pkg_malloc(n)``.  On failure ``buf`` is
    unchanged.
    """
    if buf is None:
        return pkg_malloc(size)
    old = _live.get(id(buf))
    if old is None or old != len(buf):
        LOG.error("pkg_realloc: buffer %#x was not allocated by pkg_malloc", id(buf))
        return None
    if size < 0 or (size > old and _over(size - old, "pkg_realloc")):
        return None
    if size < old:
        del buf[size:]
    else:
        buf.extend(bytes(size - old))
    _live[id(buf)] = size
    _account(size - old)
    return buf


def pkg_status():
    """Return this process's pkg statistics as a dict.

    Keys: ``used``, ``max_used``, ``limit`` (0 = none), ``free`` (None when
    unlimited), ``fragments`` (live buffers), ``failures`` (refused
    allocations) and, when ``tracemalloc`` is tracing, ``traced_current`` /
    ``traced_peak`` for the whole interpreter heap.
    """
    st = {"used": _used, "max_used": _max_used, "limit": _limit,
          "free": (_limit - _used) if _limit else None,
          "fragments": len(_live), "failures": _failures}
    if tracemalloc.is_tracing():
        st["traced_current"], st["traced_peak"] = tracemalloc.get_traced_memory()
    return st


def _reset_for_tests():
    """Forget all accounting (tests only)."""
    global _used, _max_used, _failures, _limit
    _live.clear()
    _used = _max_used = _failures = 0
    _limit = PKG_MEM_POOL_SIZE
