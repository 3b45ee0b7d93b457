"""Build-time configuration, as chosen in ``Makefile.defs``.

``make`` turns the ``DEFS``, ``include_modules`` and ``exclude_modules`` knobs of
``Makefile.defs`` into the generated module ``openser_py/_build_config.py``
(see ``tools/gen_build_config.py``).  This module reads it once at import time
and falls back to the defaults below when the file has not been generated
(e.g. a plain ``pip install`` without ``make``).

Flags (OpenSER names):

* ``NO_DEBUG`` -- debug-level logging calls (``LM_DBG``, ``xdbg``, ``log(4, ..)``)
  are compiled out of the routing script and the core's ``LM_DBG`` becomes a no-op.
* ``DBG_QM_MALLOC`` -- the shm allocator runs in debug mode: it records the
  allocation site of every fragment, detects double frees and overruns, and
  dumps live fragments on SIGUSR1.
* ``DBG_F_MALLOC`` -- accepted for compatibility: the fast allocator with
  light-weight debugging (records the allocation site, no overrun guards).
"""

DEFS = ()
NO_DEBUG = False
DBG_QM_MALLOC = False
DBG_F_MALLOC = False
INCLUDE_MODULES = ()
EXCLUDE_MODULES = ()

try:  # pragma: no cover - depends on whether `make` ran
    from openser_py._build_config import (  # noqa: F401
        DEFS, INCLUDE_MODULES, EXCLUDE_MODULES)
except ImportError:
    pass

NO_DEBUG = "NO_DEBUG" in DEFS
DBG_QM_MALLOC = "DBG_QM_MALLOC" in DEFS
DBG_F_MALLOC = "DBG_F_MALLOC" in DEFS


def module_allowed(name):
    """Return True if module *name* is built/loadable per include/exclude_modules.

    As in OpenSER's Makefile, ``exclude_modules`` removes a module from the
    build and ``include_modules`` adds back one that is excluded by default.
    """
    if name in INCLUDE_MODULES:
        return True
    return name not in EXCLUDE_MODULES
