"""The module contract: OpenSER's ``struct module_exports`` in Python.

A module is a package ``openser_py/modules/<name>/`` (or, for a third-party
module, a package or ``.py`` file in an ``mpath`` directory) that defines one
module-level object named ``exports``, a :class:`ModuleExports`.  Its fields
follow OpenSER 1.3's ``module_exports`` in order (reference §14.1); the last
three (``api``, ``doc``, ``deps``) are additions for other modules and the
generated README.

Script functions (``cmds``) are OpenSER's ``cmd_export_t``::

    CmdExport("mf_process_maxfwd_header", w_process_maxfwd, 1,
              fixup_maxfwd, None, REQUEST_ROUTE)

``function(msg, p1, p2)`` returns an int: >0 true, <0 false, 0 stops the script.
``fixup(value, param_no)`` runs once per call site at start-up and returns
the value passed to the function (or raises :class:`FixupError`).

Module parameters (``params``) are OpenSER's ``param_export_t``.  Where C
points at a global variable, Python names a namespace object whose attribute
of the same name receives the value (its initial value is the default)::

    class cfg:                      # the module's modparam values
        max_limit = 256
    ParamExport("max_limit", INT_PARAM, cfg)

With ``USE_FUNC_PARAM`` the target is a function ``f(type, value) -> int``
called for every ``modparam`` (repeatable parameters); <0 means rejected.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Tuple

# route types (cmd flags), as in OpenSER's route.h
REQUEST_ROUTE = 1
FAILURE_ROUTE = 2
ONREPLY_ROUTE = 4
BRANCH_ROUTE = 8
ERROR_ROUTE = 16
ALL_ROUTES = (REQUEST_ROUTE | FAILURE_ROUTE | ONREPLY_ROUTE | BRANCH_ROUTE
              | ERROR_ROUTE)
ROUTE_TYPE_NAMES = {
    REQUEST_ROUTE: "route", FAILURE_ROUTE: "failure_route",
    ONREPLY_ROUTE: "onreply_route", BRANCH_ROUTE: "branch_route",
    ERROR_ROUTE: "error_route",
}

# modparam types (sr_module.h)
STR_PARAM = 1
INT_PARAM = 2
USE_FUNC_PARAM = 1 << 31


def param_type(t):
    """Strip ``USE_FUNC_PARAM`` from a param type (``PARAM_TYPE_MASK``)."""
    return t & ~USE_FUNC_PARAM


# statistics flags (statistics.h)
STAT_NO_RESET = 1
STAT_NO_SYNC = 2
STAT_SHM_NAME = 4
STAT_IS_FUNC = 8

# MI flags (mi/mi.h)
MI_NO_INPUT_FLAG = 1
MI_ASYNC_RPL_FLAG = 2

DEFAULT_DLFLAGS = 0

# process ranks (pt.h); workers are >= 1
PROC_MAIN = 0
PROC_TIMER = -1
PROC_MODULE = -2
PROC_TCP_MAIN = -4


class FixupError(Exception):
    """A fixup rejected a script parameter (reported with the call's coord)."""


@dataclass(frozen=True)
class CmdExport:
    """``cmd_export_t``: one script function (name + arity is the key)."""
    name: str
    function: Callable[..., int]
    param_no: int = 0
    fixup: Optional[Callable[[Any, int], Any]] = None
    free_fixup: Optional[Callable[[Any, int], None]] = None
    flags: int = 0
    doc: str = ""
    params_doc: Tuple[str, ...] = ()


@dataclass(frozen=True)
class ParamExport:
    """``param_export_t``: one modparam.  See the module docstring."""
    name: str
    type: int
    target: Any
    doc: str = ""

    def default(self):
        """The value before any modparam (None for function params)."""
        if self.type & USE_FUNC_PARAM:
            return None
        return getattr(self.target, self.name, None)


@dataclass(frozen=True)
class StatExport:
    """``stat_export_t``: a statistic; ``func`` for STAT_IS_FUNC ones."""
    name: str
    flags: int = 0
    func: Optional[Callable[[], int]] = None
    doc: str = ""


@dataclass(frozen=True)
class MiExport:
    """``mi_export_t``: an MI command ``handler(args, param) -> reply``."""
    name: str
    handler: Callable[..., Any]
    flags: int = 0
    param: Any = None
    init_f: Optional[Callable[[], int]] = None
    doc: str = ""


@dataclass(frozen=True)
class PvExport:
    """``pv_export_t``: a module pseudo-variable such as ``$T_branch_idx``."""
    name: str
    getter: Callable[..., Any]
    setter: Optional[Callable[..., Any]] = None
    parse_name: Optional[Callable[[str], Any]] = None
    doc: str = ""


@dataclass(frozen=True)
class ProcExport:
    """``proc_export_t``: extra processes (``name`` is the ``ps`` type)."""
    name: str
    function: Callable[[int], None]
    no: int = 1
    pre_fork: Optional[Callable[[], int]] = None
    post_fork: Optional[Callable[[], int]] = None


@dataclass(frozen=True)
class ModuleExports:
    """``struct module_exports``, field by field (reference §14.1).

    ``mod_init()`` runs once in the master before fork (non-zero fails the
    start-up), ``child_init(rank)`` in every process after fork,
    ``response_f(msg)`` for every reply (0 = consumed), ``destroy_f()`` at
    shutdown.  ``api`` is what :func:`openser_py.sr_module.load_module_api`
    hands to other modules (OpenSER's ``load_tm``/``bind_usrloc``).
    """
    name: str
    dlflags: int = DEFAULT_DLFLAGS
    cmds: Tuple[CmdExport, ...] = ()
    params: Tuple[ParamExport, ...] = ()
    stats: Tuple[StatExport, ...] = ()
    mi_cmds: Tuple[MiExport, ...] = ()
    items: Tuple[PvExport, ...] = ()
    procs: Tuple[ProcExport, ...] = ()
    mod_init: Optional[Callable[[], int]] = None
    response_f: Optional[Callable[[Any], int]] = None
    destroy_f: Optional[Callable[[], None]] = None
    child_init: Optional[Callable[[int], int]] = None
    api: Any = None
    doc: str = ""
    deps: Tuple[str, ...] = field(default_factory=tuple)
