"""Memory services: pkg (per process) and shm (shared by all processes).

Facade for the core (importing this package has no side effects)::

    from openser_py import mem
    mem.pkg_init(limit)            # -M, before fork
    mem.shm_init(size_bytes)       # -m, in the master, before any fork
    ...                            # mod_init: tables, counters, locks
    mem.shm_status()               # SIGUSR1 / MI / the "shmem" statistics
    mem.shm_dump_live()            # SIGUSR1 in debug mode

Modules use :mod:`openser_py.mem.shm_mem` (``shm_malloc``, ``shm_free`` ...),
:mod:`openser_py.mem.shtable`, :mod:`openser_py.mem.counters` and
:mod:`openser_py.mem.locking`.  See ``doc/dev/shm.md``.
"""

import logging

from openser_py.mem.mem import (  # noqa: F401
    PKG_MEM_POOL_SIZE, pkg_free, pkg_init, pkg_malloc, pkg_realloc, pkg_status)
from openser_py.mem.shm import SHM_MEM_SIZE, get_allocator, shm_mem_destroy, shm_mem_init
from openser_py.mem.shm_mem import (  # noqa: F401
    shm_available, shm_buf, shm_free, shm_get_bytes, shm_malloc, shm_put_bytes,
    shm_realloc)

#: the names of OpenSER's ``shmem`` statistics group (all function-backed).
SHMEM_STATS = ("total_size", "used_size", "real_used_size", "max_used_size",
               "free_size", "fragments")


def shm_init(size_bytes=SHM_MEM_SIZE, debug=None):
    """Create the shm arena and its allocator (master, before fork).

    Args:
        size_bytes: arena size (OpenSER ``-m``, default 32 MB).
        debug: force the allocator's debug mode on/off; None follows
            ``openser_py.buildcfg.DBG_QM_MALLOC`` / ``DBG_F_MALLOC``.

    Returns:
        The :class:`openser_py.mem.shm_alloc.ShmAllocator`.
    """
    return shm_mem_init(size_bytes, debug)


def shm_destroy():
    """Drop the arena (master, at exit; tests)."""
    shm_mem_destroy()


def shm_status():
    """Return the shm statistics dict, or {} before :func:`shm_init`.

    Keys: OpenSER's ``total_size``, ``used_size``, ``real_used_size``,
    ``max_used_size``, ``free_size``, ``fragments``, plus
    ``free_fragments``, ``live_fragments``, ``largest_free``, the error
    counters ``oom``, ``double_free``, ``bad_pointer``, ``overrun``, and
    ``debug_mode``.
    """
    a = get_allocator()
    return a.status() if a is not None else {}


def shm_dump_live():
    """Return live shm fragments as ``(offset, size, "file:line:func")`` tuples.

    The site is known only in debug mode (empty otherwise).
    """
    a = get_allocator()
    return a.dump_live() if a is not None else []


def shm_report_lines():
    """The memory report OpenSER prints on SIGUSR1, as a list of text lines.

    Status first (``qm_status`` style), then, in debug mode, one line per
    live fragment with its allocation site.  The caller logs them (never
    from inside a signal handler).
    """
    st = shm_status()
    if not st:
        return ["shm: not initialised"]
    lines = ["shm status (%s debug):" % st["debug_mode"]]
    lines += ["  %s = %d" % (k, st[k]) for k in SHMEM_STATS + (
        "free_fragments", "live_fragments", "largest_free", "oom", "double_free",
        "bad_pointer", "overrun")]
    if st["debug_mode"] != "none":
        live = shm_dump_live()
        lines.append("  %d live fragments:" % len(live))
        lines += ["    offset=%d size=%d %s" % frag for frag in live]
    return lines


def log_mem_status(logger=None, level=logging.INFO):
    """Log :func:`shm_report_lines` and :func:`pkg_status` (SIGUSR1 handling)."""
    logger = logger or logging.getLogger("openser.mem")
    for line in shm_report_lines():
        logger.log(level, "%s", line)
    logger.log(level, "pkg status: %s", pkg_status())
