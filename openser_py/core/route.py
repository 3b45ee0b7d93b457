"""Route tables and running the compiled script (OpenSER ``route.c``).

Theory of operation
-------------------
The config is compiled once, in the master, into plain Python callables
(see :mod:`openser_py.cfg.compile`): every route block becomes one function
``f(msg) -> int``.  The tables below hold them by route type and index, as
OpenSER's ``rlist``/``onreply_rlist``/``failure_rlist``/``branch_rlist``.

Flow control uses three exceptions, all raised and caught inside the engine:

* :class:`ScriptExit` -- ``exit``, ``drop`` (its subclass
  :class:`ScriptDrop`), or a module function returning 0: unwinds every
  nested ``route()`` up to :func:`run_top_route`.
* :class:`RouteReturn` -- ``return(n)``: leaves the current route block; the
  ``route(N)`` call site turns it into the value ``n``.
* nothing for ``break``: switch bodies are compiled so that a case ending
  in ``break`` simply stops (1.3 only allows ``break`` at the end of a case).

Both derive from ``BaseException`` so that a module's ``except Exception``
can never swallow them.  A module function raising an exception is logged with the cfg file:line of
its call and counts as -1: a worker never dies because of script code.
"""
from openser_py.core import dset, usr_avp
from openser_py.core.dset import Q_UNSPECIFIED
from openser_py.core.exports import (BRANCH_ROUTE, ERROR_ROUTE, FAILURE_ROUTE,
                                     ONREPLY_ROUTE, REQUEST_ROUTE)
from openser_py.core.script_state import state

RT_NO = 40            # routes 0..39 (OpenSER RT_NO)
ONREPLY_RT_NO = RT_NO
FAILURE_RT_NO = RT_NO
BRANCH_RT_NO = RT_NO
MAX_REC_LEV = 100     # nested route() calls

# run flags, as OpenSER's action.h
EXIT_R_F = 1
RETURN_R_F = 2
DROP_R_F = 4


class ScriptExit(BaseException):
    """``exit`` (and ``drop``: :class:`ScriptDrop`, ``drop`` True)."""

    drop = False        # a class attribute: no __init__ to run per exit


class ScriptDrop(ScriptExit):
    """``drop``."""

    drop = True


class RouteReturn(BaseException):
    """``return(n)``: leave the current route block with value *n*."""

    def __init__(self, value=1):
        super().__init__()
        self.value = value


class RouteTables:
    """All compiled route blocks of one config."""

    KINDS = {
        "route": REQUEST_ROUTE, "failure_route": FAILURE_ROUTE,
        "onreply_route": ONREPLY_ROUTE, "branch_route": BRANCH_ROUTE,
        "error_route": ERROR_ROUTE,
    }

    def __init__(self):
        self.request = [None] * RT_NO
        self.onreply = [None] * ONREPLY_RT_NO
        self.failure = [None] * FAILURE_RT_NO
        self.branch = [None] * BRANCH_RT_NO
        self.error = None

    def table(self, route_type):
        """The list for *route_type* (error_route has no table)."""
        return {REQUEST_ROUTE: self.request, ONREPLY_ROUTE: self.onreply,
                FAILURE_ROUTE: self.failure, BRANCH_ROUTE: self.branch}[route_type]

    def get(self, route_type, index=0):
        """The compiled function for a route, or None."""
        if route_type == ERROR_ROUTE:
            return self.error
        tbl = self.table(route_type)
        return tbl[index] if 0 <= index < len(tbl) else None


def run_top_route(fn, route_type, msg, route_name=None):
    """Run a compiled top-level route *fn* on *msg*; return the run flags.

    Returns a bitmask of :data:`EXIT_R_F` / :data:`DROP_R_F` telling the
    caller how the script ended (``drop`` matters for branch and reply
    routes).  Script flags are cleared first, as 1.3 does.
    """
    state.start_route(route_type, route_name)
    try:
        state.retcode = fn(msg)
        return 0
    except ScriptExit as exc:
        return EXIT_R_F | (DROP_R_F if exc.drop else 0)
    except RouteReturn as ret:
        state.retcode = ret.value
        return RETURN_R_F


def reset_msg_context():
    """Forget per-message script context: branches and AVPs (new message).

    ``dset.clear_branches()`` and ``usr_avp.reset_avps()`` written out
    (three calls less): it runs for every message.
    """
    branches = dset._branches
    if branches:
        del branches[:]
    dset._ruri_q = Q_UNSPECIFIED
    avps = usr_avp._global_list
    usr_avp._crt_list = avps
    avps._by_key.clear()


# -- route references made by fixups (t_on_failure("3") ...) ----------------
_compiler = None


def begin_fixups(compiler):
    """The compiler running fixups now (so they can report route refs)."""
    global _compiler
    _compiler = compiler


def end_fixups():
    """Fixups are over."""
    global _compiler
    _compiler = None


def require_route(route_type, index):
    """Declare that the script needs route *index* of *route_type*.

    Called from a fixup, e.g. tm's ``t_on_failure("3")``; the compiler
    reports an undefined route at the call's file:line:col.
    """
    if _compiler is not None:
        _compiler.require_route(route_type, index)
