"""The shared-memory arena (OpenSER's ``shm_getmem``) and its process-wide instance.

The arena is one anonymous ``MAP_SHARED`` mapping made by the master after
the configuration is parsed and *before* any fork, sized by ``-m``.  The
children inherit the mapping at the same offsets, so offsets (plain ints)
are valid handles in every process.  Nothing but bytes lives there: no
Python object, no pointer.  An anonymous mapping has no name, so nothing can
leak in ``/dev/shm`` when the server dies, and no other process can attach
to it (tools go through MI).

The allocator that manages the arena is in :mod:`openser_py.mem.shm_alloc`;
this module only maps memory and keeps the process-wide allocator created by
:func:`shm_mem_init` (the facade ``openser_py.mem.shm_init`` calls it).
"""

import logging
import mmap
import os

LOG = logging.getLogger("openser.mem")

#: OpenSER's default ``-m`` (32 MB).
SHM_MEM_SIZE = 32 * 1024 * 1024
#: the allocator stores sizes and offsets in 32-bit words.
MAX_ARENA_SIZE = (1 << 32) - mmap.PAGESIZE

_allocator = None


class Arena:
    """An anonymous shared mapping of ``size`` bytes (rounded up to a page).

    Attributes:
        size: the mapped size in bytes.
        mm: the ``mmap`` object (``struct.pack_into``/``unpack_from`` work on it).
        view: a ``memoryview`` of the whole mapping.
        creator_pid: pid of the process that mapped it (the master).
    """

    def __init__(self, size):
        if size <= 0:
            raise ValueError("arena size must be positive")
        page = mmap.PAGESIZE
        size = (size + page - 1) // page * page
        if size > MAX_ARENA_SIZE:
            raise ValueError("arena size %d exceeds %d" % (size, MAX_ARENA_SIZE))
        self.size = size
        self.mm = mmap.mmap(-1, size, flags=mmap.MAP_SHARED,
                            prot=mmap.PROT_READ | mmap.PROT_WRITE)
        self.view = memoryview(self.mm)
        self.creator_pid = os.getpid()

    def close(self):
        """Unmap the arena (master, at shutdown).  Outstanding views keep it alive."""
        try:
            self.view.release()
            self.mm.close()
        except BufferError:
            LOG.debug("shm arena still has exported views; not unmapped")


def shm_mem_init(size, debug=None):
    """Map an arena of ``size`` bytes and install its allocator process-wide.

    Must run in the master before fork.  ``debug`` forces the debug mode
    (see :class:`openser_py.mem.shm_alloc.ShmAllocator`); ``None`` reads
    ``openser_py.buildcfg`` at this moment.  Returns the allocator.
    """
    from openser_py.mem.shm_alloc import ShmAllocator

    global _allocator
    if _allocator is not None:
        LOG.warning("shm_mem_init: replacing the existing shm arena")
        shm_mem_destroy()
    _allocator = ShmAllocator(Arena(size), debug=debug)
    return _allocator


def shm_mem_destroy():
    """Forget (and unmap, when possible) the process-wide arena."""
    global _allocator
    if _allocator is not None:
        alloc, _allocator = _allocator, None
        alloc.arena.close()


def get_allocator():
    """Return the process-wide allocator, or None before :func:`shm_mem_init`."""
    return _allocator


def set_allocator(alloc):
    """Install ``alloc`` as the process-wide allocator (tests, embedding)."""
    global _allocator
    _allocator = alloc
