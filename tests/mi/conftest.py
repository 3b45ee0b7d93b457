"""Fixtures for the MI tests."""
import pytest

from openser_py.core import sr_module


@pytest.fixture
def global_shm():
    """The process-wide shm arena, with the MI core's shared debug level;
    everything is undone afterwards."""
    from openser_py import mem
    from openser_py.mem import shm
    from openser_py.mi import mi_core
    a = mem.shm_init(1 << 20, debug=False)
    yield a
    mi_core.reset_mi_core()
    mem.shm_destroy()
    shm.set_allocator(None)


@pytest.fixture
def registry():
    """A fresh module registry made current (the previous one restored)."""
    from openser_py.mi import mi
    old = sr_module.current_registry()
    reg = sr_module.ModuleRegistry()
    sr_module.set_current_registry(reg)
    mi.reset_mi_registry()
    yield reg
    sr_module.set_current_registry(old)
    mi.reset_mi_registry()


@pytest.fixture
def debug_level():
    """Restore the process's debug level after the test."""
    from openser_py.core import dprint
    saved = (dprint.state.debug, dprint.state.saved_debug)
    yield
    dprint.state.debug, dprint.state.saved_debug = saved
