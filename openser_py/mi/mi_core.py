"""The core MI commands (OpenSER ``mi/mi_core.c`` and the statistics
commands of ``statistics.c``), reference §9.4 and §12.

========================= ==============================================
``which``                 one unnamed node per command name
``ps``                    ``Process:: ID=<i> PID=<pid> Type=<desc>``
``uptime``                ``Now::``, ``Up since::``, ``Up time:: N [sec]``
``version``               ``Server:: OpenSER (1.3.1-tls (arch/os))``
``pwd``                   ``WD:: <cwd>``
``arg``                   one unnamed node per command-line argument
``kill``                  SIGTERM to the attendant; no reply tree
``debug [level]``         ``DEBUG:: <level>``, sets it with an argument
``get_statistics``        ``group:name = value`` per match (all, group:,
                          name); 404 ``Statistics Not Found``
``reset_statistics``      200 if any named statistic exists, else 404
``reload_cfg``            validated reload of the routing script
                          (:mod:`openser_py.core.reload`)
========================= ==============================================

The debug level is global, as in 1.3 where it lives in shm:
:func:`init_mi_core` (called by the MI transports' ``mod_init``, in the
master before fork) puts it in a shm cell.  ``debug N`` writes the cell and
the MI process's own level; every other process picks the new value up
before it runs the script for its next message (a pre-script callback:
one shm read per message) and the timer process once a second.  A process
whose level was changed by the script function ``setdebug()`` keeps its
override; the new global level applies when it calls ``setdebug()`` again.

``kill`` differs on purpose from 1.3, which signals its whole process
group: a server started in the foreground shares its group with the shell
or test runner that started it, so here only the attendant gets SIGTERM
and stops every process the usual way -- once the transport has sent the
reply (``500 command 'kill' failed``: kill returns no tree).
"""
import os
import re
import signal
import sys
import time

from openser_py import version
from openser_py.core import dprint, pt, statistics, timer
from openser_py.core.exports import MI_NO_INPUT_FLAG, MiExport
from openser_py.mi.tree import MI_BAD_PARM, MI_MISSING_PARM, MiRoot, mi_error

__all__ = ["CORE_MI_CMDS", "init_mi_core", "sync_debug", "reset_mi_core"]

STATS_NOT_FOUND = (404, "Statistics Not Found")
_SINT = re.compile(r"^[+-]?[0-9]+$")


# -- the shared debug level -----------------------------------------------------
class _SharedDebug:
    __slots__ = ("cell", "alloc", "seen")

    def __init__(self):
        self.cell = None      # memoryview cast to 'i', one int in shm
        self.alloc = None     # the shm allocator the cell belongs to
        self.seen = None      # last shared value applied in this process


_dbg = _SharedDebug()


def init_mi_core():
    """Put the debug level in shm and arrange for every process to follow
    it (master, before fork; idempotent).  Returns 0, -1 without shm."""
    from openser_py import mem
    from openser_py.core import script_cb
    from openser_py.mem.shm_mem import shm_buf, shm_malloc
    alloc = mem.get_allocator()
    if alloc is None:
        return -1
    if _dbg.alloc is not alloc:
        off = shm_malloc(8)
        if not off:
            return -1
        _dbg.cell = shm_buf(off, 4).cast("i")
        _dbg.alloc = alloc
    _dbg.cell[0] = dprint.get_debug()
    _dbg.seen = _dbg.cell[0]
    script_cb.register_script_cb(
        _sync_cb, script_cb.PRE_SCRIPT_CB | script_cb.REQ_TYPE_CB
        | script_cb.RPL_TYPE_CB)
    if not any(t.func is _sync_tick for t in timer.timers()):
        timer.register_timer(_sync_tick, None, 1, name="mi_debug_sync")
    return 0


def sync_debug():
    """Apply the shared debug level in this process if it changed."""
    cell = _dbg.cell
    if cell is None:
        return
    level = cell[0]
    if level == _dbg.seen:
        return
    _dbg.seen = level
    if dprint.state.saved_debug is not None:     # setdebug() override
        dprint.state.saved_debug = level
    else:
        dprint.set_debug(level)


def _sync_cb(msg):
    sync_debug()


def _sync_tick(ticks, param):
    sync_debug()


def _set_global_debug(level):
    dprint.set_debug(level)
    if _dbg.cell is not None:
        _dbg.cell[0] = level
        _dbg.seen = level


# -- commands ---------------------------------------------------------------------
def mi_which(args, param):
    from openser_py.mi.mi import mi_commands
    rpl = MiRoot()
    for name in mi_commands():
        rpl.add_child("", name)
    return rpl


def mi_ps(args, param):
    rpl = MiRoot()
    for idx, pid, _rank, desc, _alive in pt.rows():
        rpl.add_child("Process").add_attr("ID", idx).add_attr(
            "PID", pid).add_attr("Type", desc)
    return rpl


def _ctime(t):
    return time.ctime(t)


def mi_uptime(args, param):
    now = int(time.time())
    up = timer.get_ticks()
    rpl = MiRoot()
    rpl.add_child("Now", _ctime(now))
    rpl.add_child("Up since", _ctime(now - up))
    rpl.add_child("Up time", "%d [sec]" % up)
    return rpl


def mi_version(args, param):
    rpl = MiRoot()
    rpl.add_child("Server", version.SERVER_HDR)
    return rpl


def mi_pwd(args, param):
    try:
        cwd = os.getcwd()
    except OSError:
        return None
    rpl = MiRoot()
    rpl.add_child("WD", cwd)
    return rpl


def mi_arg(args, param):
    rpl = MiRoot()
    for a in sys.argv:
        rpl.add_child("", a)
    return rpl


def mi_kill(args, param):
    from openser_py.mi.mi import defer
    rows = pt.rows()
    target = rows[0][1] if rows and rows[0][0] == 0 else os.getppid()

    def stop():
        try:
            os.kill(target, signal.SIGTERM)
        except OSError:
            pass
    defer(stop)             # after the reply, so that it gets out
    return None


def mi_debug(args, param):
    if args:
        text = args[0].value or ""
        if not _SINT.match(text):
            return mi_error(*MI_BAD_PARM)
        level = int(text)
        _set_global_debug(level)
    else:
        sync_debug()
        level = dprint.get_debug()
    rpl = MiRoot()
    rpl.add_child("DEBUG", level)
    return rpl


def _stat_line(rpl, var):
    rpl.add_child("", "%s:%s = %d" % (var.group, var.name, var.get()))


def _group_stats(name):
    low = name.lower()
    for group in statistics.groups():
        if group.lower() == low:
            return statistics.group_stats(group)
    return None


def mi_get_stats(args, param):
    if not args:
        return mi_error(*MI_MISSING_PARM)
    rpl = MiRoot()
    found = False
    for arg in args:
        val = arg.value or ""
        if not val:
            continue
        if val == "all":
            for var in statistics.all_stats():
                _stat_line(rpl, var)
            found = True
        elif len(val) > 1 and val.endswith(":"):
            stats = _group_stats(val[:-1])
            if stats is None:
                continue
            for var in stats:
                _stat_line(rpl, var)
            found = True
        else:
            var = statistics.get_stat(val)
            if var is None:
                continue
            _stat_line(rpl, var)
            found = True
    if not found:
        return mi_error(*STATS_NOT_FOUND)
    return rpl


def mi_reset_stats(args, param):
    if not args:
        return mi_error(*MI_MISSING_PARM)
    found = False
    for arg in args:
        val = arg.value or ""
        if not val:
            continue
        var = statistics.get_stat(val)
        if var is None:
            continue
        var.reset()
        found = True
    if not found:
        return mi_error(*STATS_NOT_FOUND)
    return MiRoot()


CORE_MI_CMDS = (
    MiExport("which", mi_which, MI_NO_INPUT_FLAG,
             doc="List every MI command."),
    MiExport("ps", mi_ps, MI_NO_INPUT_FLAG,
             doc="List the processes: ID, PID and type."),
    MiExport("uptime", mi_uptime, MI_NO_INPUT_FLAG,
             doc="Current time, start time and seconds since."),
    MiExport("version", mi_version, MI_NO_INPUT_FLAG,
             doc="The server's version string."),
    MiExport("pwd", mi_pwd, MI_NO_INPUT_FLAG,
             doc="The server's working directory."),
    MiExport("arg", mi_arg, MI_NO_INPUT_FLAG,
             doc="The server's command-line arguments."),
    MiExport("kill", mi_kill, MI_NO_INPUT_FLAG,
             doc="Stop the server (no reply tree)."),
    MiExport("debug", mi_debug, 0,
             doc="Show the debug level; with an integer, set it."),
    MiExport("get_statistics", mi_get_stats, 0,
             doc="Statistics by name, 'group:' or 'all'."),
    MiExport("reset_statistics", mi_reset_stats, 0,
             doc="Reset the named statistics."),
    MiExport("reload_cfg", lambda args, param: _reload_cfg(args, param),
             MI_NO_INPUT_FLAG,
             doc="Check the config file again; if valid, switch every "
                 "worker to its routing script (openser_py.core.reload)."),
)


def _reload_cfg(args, param):
    from openser_py.core import reload
    return reload.mi_reload_cfg(args, param)


def reset_mi_core():
    """Undo :func:`init_mi_core` in this process (tests): drop the shm cell
    (before the arena goes) and the debug-sync callback and timer."""
    from openser_py.core import script_cb
    if _dbg.cell is not None:
        _dbg.cell.release()
    _dbg.cell = _dbg.alloc = _dbg.seen = None
    for name in ("_pre_req", "_pre_rpl"):
        cbs = getattr(script_cb, name)
        setattr(script_cb, name, tuple(f for f in cbs if f is not _sync_cb))
    timer._timers[:] = [t for t in timer._timers if t.func is not _sync_tick]
