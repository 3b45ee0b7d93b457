"""The mi_fifo module: the Management Interface over a named pipe.

At start-up (mod_init) any file at ``fifo_name`` is removed and a FIFO is
created with ``fifo_mode`` (owner ``fifo_user``/``fifo_group`` when set).
One extra process, "MI FIFO", reads requests from it and writes every
reply into a FIFO that the client created in ``reply_dir``.  The FIFO is
removed when the server stops.

Request (one line each, an empty line ends it)::

    :<command>:<reply_fifo_name>
    [name::]value
    <empty line>

The reply is ``<code> <reason>`` followed by one line per reply node,
indented with ``reply_indent`` per level, and an empty line.  Transport
errors are single lines: ``500 command '<cmd>' not available``,
``400 parse error in command '<cmd>'``, ``500 command '<cmd>' failed``.
The reply fifo name must not contain '.', '/' or '\\'.  Clients:
``openserctl fifo ...`` or :mod:`openser_py.ctl.mi_client.fifo`.
"""
import os
import stat

from openser_py.core.dprint import LM_ERR, LM_WARN
from openser_py.core.exports import (INT_PARAM, STR_PARAM, ModuleExports,
                                     ParamExport, ProcExport)
from openser_py.mi import mi_core, owner


class cfg:
    """The module's parameters (modparam values)."""
    fifo_name = "/tmp/openser_fifo"
    fifo_mode = 0o600
    fifo_group = None
    fifo_user = None
    reply_dir = "/tmp/"
    reply_indent = "\t"


class _state:
    created = None        # the FIFO this server created (removed at exit)
    reply_dir = "/tmp/"


def mod_init():
    """Check the parameters, (re)create the FIFO; 0 or -1."""
    name = cfg.fifo_name
    if not name:
        LM_ERR("no MI fifo configured (fifo_name)")
        return -1
    reply_dir = cfg.reply_dir or ""
    if not reply_dir or not os.path.isdir(reply_dir):
        LM_ERR("reply_dir %r is not an existing directory", reply_dir)
        return -1
    if not reply_dir.endswith("/"):
        reply_dir += "/"
    mode = cfg.fifo_mode
    if not mode:
        LM_WARN("fifo_mode 0 is not usable: using 0600")
        mode = 0o600
    try:
        uid, gid = owner.file_ids(cfg.fifo_user, cfg.fifo_group)
    except ValueError as exc:
        LM_ERR("%s", exc)
        return -1
    try:
        owner.remove_stale(name)
        os.mkfifo(name, mode)
        _state.created = name
        owner.set_mode_owner(name, mode, uid, gid)
    except OSError as exc:
        LM_ERR("cannot create the MI fifo %s: %s", name, exc.strerror or exc)
        return -1
    _state.reply_dir = reply_dir
    if mi_core.init_mi_core() < 0:
        LM_ERR("cannot initialise the MI core (no shared memory)")
        return -1
    return 0


def fifo_process(rank):
    """The "MI FIFO" process."""
    from openser_py.mi import mi
    from openser_py.modules.mi_fifo.fifo_server import fifo_loop
    mi.init_mi_child()
    fifo_loop(cfg.fifo_name, _state.reply_dir, cfg.reply_indent or "")


def destroy():
    """Remove the FIFO this server created."""
    path, _state.created = _state.created, None
    if not path:
        return
    try:
        if stat.S_ISFIFO(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass


exports = ModuleExports(
    name="mi_fifo",
    params=(
        ParamExport("fifo_name", STR_PARAM, cfg,
                    doc="Path of the FIFO the server reads MI requests "
                    "from. Any file at this path is removed at start-up."),
        ParamExport("fifo_mode", INT_PARAM, cfg,
                    doc="Permissions of the FIFO (octal in the config, e.g. "
                    "0660). The default lets only the server's user "
                    "write commands (OpenSER 1.3 used 0660)."),
        ParamExport("fifo_group", STR_PARAM, cfg,
                    doc="Group (name or number) to give the FIFO."),
        ParamExport("fifo_group", INT_PARAM, cfg,
                    doc="Group id to give the FIFO."),
        ParamExport("fifo_user", STR_PARAM, cfg,
                    doc="User (name or number) to give the FIFO."),
        ParamExport("fifo_user", INT_PARAM, cfg,
                    doc="User id to give the FIFO."),
        ParamExport("reply_dir", STR_PARAM, cfg,
                    doc="Directory where clients create their reply FIFOs; "
                    "must exist."),
        ParamExport("reply_indent", STR_PARAM, cfg,
                    doc="String written once per tree level before a reply "
                    "line."),
    ),
    procs=(ProcExport("MI FIFO", fifo_process, 1),),
    mod_init=mod_init,
    destroy_f=destroy,
)
