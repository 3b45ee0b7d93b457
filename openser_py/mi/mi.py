"""The MI command registry (OpenSER ``mi/mi.c``) and running a command.

Commands come from two places: the core (:mod:`openser_py.mi.mi_core`,
registered on import) and every loaded module's ``exports.mi_cmds``, taken
from the running server's module registry
(:func:`openser_py.core.sr_module.current_registry`) the first time a
command is looked up.  Names are unique: a module command that repeats a
name already registered is refused with an error log (1.3 refuses it at
start-up).

Running a command::

    from openser_py.mi.mi import run_mi_cmd
    rpl = run_mi_cmd("get_statistics", ["core:"])     # -> MiRoot, never None

:func:`run_mi_cmd` always returns an :class:`MiRoot`: an unknown command is
``500 command '<name>' not available``, a handler that returns None is
``500 command '<name>' failed``, and a handler that raises is logged and
answered ``500 Server Internal Error`` -- an MI bug never kills the process
that serves MI.  The transports use :func:`lookup_mi_cmd` and
:func:`call_mi_cmd` because their error lines differ.

Asynchronous commands (``MI_ASYNC_RPL_FLAG``, tm's ``t_uac_dlg``): the
transport passes an *async_hdl* to :func:`call_mi_cmd`; while the handler
runs, :func:`get_async_handler` returns it.  The handler keeps it (it is
picklable: a reply fifo path or a socket address), returns
:data:`MI_ROOT_ASYNC_RPL`, and later, from any process, calls
``async_hdl.reply(root)``.  Without a handler (``run_mi_cmd``) the command
must answer at once.
"""
from openser_py.core.dprint import LM_ERR
from openser_py.core.exports import MiExport
from openser_py.mi.tree import (MI_ASYNC_RPL_FLAG, MI_INTERNAL_ERR,
                                MI_NO_INPUT_FLAG, MiNode, MiRoot, mi_error)

__all__ = ["MI_ROOT_ASYNC_RPL", "MiCmd", "register_mi_cmd", "lookup_mi_cmd",
           "mi_commands", "call_mi_cmd", "run_mi_cmd", "init_mi_child",
           "get_async_handler", "defer", "run_deferred",
           "reset_mi_registry"]


class _AsyncReply:
    """The value a handler returns to say "the reply comes later"."""

    def __repr__(self):
        return "MI_ROOT_ASYNC_RPL"


#: returned by an asynchronous handler that will reply through its handler
MI_ROOT_ASYNC_RPL = _AsyncReply()


class MiCmd:
    """One registered command: its export and the module it came from."""
    __slots__ = ("name", "export", "module", "initialised")

    def __init__(self, export, module):
        self.name = export.name
        self.export = export
        self.module = module
        self.initialised = False

    @property
    def flags(self):
        return self.export.flags

    def __repr__(self):
        return "<mi cmd %s (%s)>" % (self.name, self.module)


_core = {}            # name -> MiCmd, core commands (registration order)
_modules = {}         # name -> MiCmd, loaded modules' commands
_extra = {}           # name -> MiCmd, registered by code (not exports)
_synced = [None, -1]  # registry object, number of modules already taken
_async = [None]       # the async handler of the command running now
_deferred = []        # actions to run once the reply is out (kill)


def register_mi_cmd(export, module="core", _table=None):
    """Register an :class:`~openser_py.core.exports.MiExport` for *module*
    (commands a module exports are taken from its ``exports.mi_cmds``
    without this call); 0, or -1 for a name already taken."""
    if not isinstance(export, MiExport):
        export = MiExport(*export)
    table = _table if _table is not None else (
        _core if module == "core" else _extra)
    if export.name in _core or export.name in _extra or \
            export.name in _modules:
        LM_ERR("MI command %s (module %s) is already registered",
               export.name, module)
        return -1
    table[export.name] = MiCmd(export, module)
    return 0


def _sync_modules():
    """Take the commands of modules loaded since the last look."""
    from openser_py.core.sr_module import current_registry
    reg = current_registry()
    if reg is None:
        return
    if _synced[0] is not reg:
        _modules.clear()
        _synced[0], _synced[1] = reg, 0
    mods = reg.modules
    if _synced[1] == len(mods):
        return
    for mod in mods[_synced[1]:]:
        for export in mod.exports.mi_cmds:
            register_mi_cmd(export, mod.name, _modules)
    _synced[1] = len(mods)


def lookup_mi_cmd(name):
    """The :class:`MiCmd` called *name*, or None."""
    _sync_modules()
    return _core.get(name) or _extra.get(name) or _modules.get(name)


def mi_commands():
    """Every command name: the core's first, then the modules' in load order."""
    _sync_modules()
    return list(_core) + list(_extra) + list(_modules)


def init_mi_child():
    """Run every command's ``init_f`` once in this process (MI processes
    call it before serving, as 1.3's ``init_mi_child``).  Returns 0, or -1
    when an ``init_f`` failed (that command is then left out)."""
    rc = 0
    _sync_modules()
    for cmd in list(_core.values()) + list(_extra.values()) + \
            list(_modules.values()):
        if cmd.initialised:
            continue
        init = cmd.export.init_f
        ok = True
        if init is not None:
            try:
                ok = init() in (None, 0)
            except Exception as exc:  # noqa: BLE001 - report, go on
                LM_ERR("init of MI command %s failed: %s: %s", cmd.name,
                       type(exc).__name__, exc)
                ok = False
        if ok:
            cmd.initialised = True
        else:
            LM_ERR("MI command %s disabled: its init failed", cmd.name)
            for table in (_core, _extra, _modules):
                if table.get(cmd.name) is cmd:
                    del table[cmd.name]
            rc = -1
    return rc


def defer(func):
    """Run *func()* after the current command's reply has been sent (the
    transports call :func:`run_deferred`); ``kill`` uses it so that its
    own process answers before the server stops."""
    _deferred.append(func)


def run_deferred():
    """Run and forget the deferred actions (errors are logged)."""
    while _deferred:
        func = _deferred.pop(0)
        try:
            func()
        except Exception as exc:  # noqa: BLE001
            LM_ERR("deferred MI action failed: %s: %s", type(exc).__name__,
                   exc)


def get_async_handler():
    """The async reply handler of the command now running, or None."""
    return _async[0]


def _as_nodes(args):
    nodes = []
    for a in args or ():
        if isinstance(a, MiNode):
            nodes.append(a)
        elif isinstance(a, tuple):
            nodes.append(MiNode(a[0], None if a[1] is None else str(a[1])))
        else:
            nodes.append(MiNode("", str(a)))
    return nodes


def call_mi_cmd(cmd, args=(), async_hdl=None):
    """Run *cmd* (a :class:`MiCmd`); return its MiRoot, None for "failed",
    or :data:`MI_ROOT_ASYNC_RPL`.  Never raises: an exception in the
    handler is logged and answered ``500 Server Internal Error``.

    A ``MI_NO_INPUT_FLAG`` command gets no arguments.
    """
    nodes = [] if cmd.flags & MI_NO_INPUT_FLAG else _as_nodes(args)
    _async[0] = async_hdl if cmd.flags & MI_ASYNC_RPL_FLAG else None
    try:
        rpl = cmd.export.handler(nodes, cmd.export.param)
    except Exception as exc:  # noqa: BLE001 - MI must survive handler bugs
        LM_ERR("MI command %s raised %s: %s", cmd.name, type(exc).__name__,
               exc)
        return mi_error(*MI_INTERNAL_ERR)
    finally:
        _async[0] = None
    if rpl is MI_ROOT_ASYNC_RPL or rpl is None:
        return rpl
    if not isinstance(rpl, MiRoot):
        LM_ERR("MI command %s returned %r, not an MiRoot", cmd.name, rpl)
        return mi_error(*MI_INTERNAL_ERR)
    return rpl


def run_mi_cmd(name, args=()):
    """Run the command *name* with *args* and return an :class:`MiRoot`.

    *args* items are :class:`MiNode`, plain values or ``(name, value)``
    pairs.  Errors become replies (see the module docstring); an
    asynchronous command run this way gets no async handler.
    """
    cmd = lookup_mi_cmd(name)
    if cmd is None:
        return mi_error(500, "command '%s' not available" % name)
    rpl = call_mi_cmd(cmd, args)
    run_deferred()
    if rpl is None or rpl is MI_ROOT_ASYNC_RPL:
        return mi_error(500, "command '%s' failed" % name)
    return rpl


def reset_mi_registry():
    """Forget the modules' commands (tests; core commands stay)."""
    _modules.clear()
    _extra.clear()
    _synced[0], _synced[1] = None, -1


def _register_core():
    from openser_py.mi import mi_core
    for export in mi_core.CORE_MI_CMDS:
        if export.name not in _core:
            register_mi_cmd(export)


_register_core()
