"""Fixtures for the memory tests: fresh arenas and a bounded fork helper."""


import pytest

from openser_py.mem import shm
from openser_py.mem.shm import Arena
from openser_py.mem.shm_alloc import ShmAllocator

ARENA_SIZE = 1 << 20


@pytest.fixture
def alloc():
    """A 1 MiB arena with a non-debug allocator."""
    return ShmAllocator(Arena(ARENA_SIZE), debug=False)


@pytest.fixture
def dbg_alloc():
    """A 1 MiB arena with the allocator in full (QM) debug mode."""
    return ShmAllocator(Arena(ARENA_SIZE), debug=True)


@pytest.fixture
def global_shm():
    """The process-wide arena (shm_init), removed after the test."""
    from openser_py import mem
    a = mem.shm_init(4 * ARENA_SIZE, debug=False)
    yield a
    mem.shm_destroy()
    shm.set_allocator(None)


from tests.forking import reap, run_forked, spawn  # noqa: E402,F401


@pytest.fixture
def forked():
    """The :func:`run_forked` helper."""
    return run_forked


@pytest.fixture
def fork_tools():
    """``(spawn, reap)`` for tests that talk to children while they run."""
    return spawn, reap
