"""The mi_datagram module: the Management Interface over datagrams.

``socket_name`` is a unix socket path (``/tmp/openser.sock``) or
``udp:<ip>:<port>``.  The socket is bound at start-up (an old file at the
path is removed first; mode ``unix_socket_mode``, owner
``unix_socket_user``/``unix_socket_group``) and served by
``children_count`` "MI Datagram" processes.  The socket file is removed
when the server stops.

A request is one datagram::

    :<command>:
    [name::]value
    ...

and the reply one datagram back to the sender: ``<code> <reason>``, then
one line per reply node (indented with ``reply_indent`` per level), without
the empty line the FIFO adds (1.3.1).  Errors are single lines:
``500 command not available``, ``400 parse error in command``,
``500 command failed``, ``500 Internal server error``.  Client:
``openserunix <socket>`` or :mod:`openser_py.ctl.mi_client.datagram`.
"""
import collections.abc
import os
import socket
import stat

from openser_py.core.dprint import LM_ERR
from openser_py.core.exports import (INT_PARAM, STR_PARAM, ModuleExports,
                                     ParamExport, ProcExport)
from openser_py.mi import mi_core, owner


class cfg:
    """The module's parameters (modparam values)."""
    socket_name = None
    children_count = 1
    unix_socket_mode = 0o600
    unix_socket_group = None
    unix_socket_user = None
    socket_timeout = 2000
    reply_indent = "\t"


class _state:
    sock = None
    unix_path = None      # the socket file this server created


def parse_socket_name(name):
    """``udp:ip:port`` -> ``(AF_INET|AF_INET6, (ip, port))``; anything else
    is a unix path -> ``(AF_UNIX, path)``.  Raises ValueError."""
    if name[:4].lower() == "udp:":
        hostport = name[4:]
        host, sep, port = hostport.rpartition(":")
        if not sep or not host or not port.isdigit() or \
                not 0 < int(port) < 65536:
            raise ValueError("bad udp socket_name %r (udp:ip:port)" % name)
        host = host.strip("[]")
        try:
            info = socket.getaddrinfo(host, int(port), 0, socket.SOCK_DGRAM)
        except socket.gaierror as exc:
            raise ValueError("cannot resolve %r: %s" % (host, exc)) from None
        family, _, _, _, addr = info[0]
        return family, addr
    if name[:5].lower() == "unix:":
        name = name[5:]
    if not name:
        raise ValueError("empty socket_name")
    return socket.AF_UNIX, name


def mod_init():
    """Check the parameters and bind the socket; 0 or -1."""
    if not cfg.socket_name:
        LM_ERR("no socket_name configured")
        return -1
    if cfg.children_count < 1:
        LM_ERR("children_count must be at least 1")
        return -1
    try:
        family, addr = parse_socket_name(cfg.socket_name)
        uid, gid = owner.file_ids(cfg.unix_socket_user, cfg.unix_socket_group)
    except ValueError as exc:
        LM_ERR("%s", exc)
        return -1
    _close()
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if family == socket.AF_UNIX:
            owner.remove_stale(addr)
            sock.bind(addr)
            _state.unix_path = addr
            owner.set_mode_owner(addr, cfg.unix_socket_mode or 0o600, uid,
                                 gid)
        else:
            sock.bind(addr)
    except OSError as exc:
        sock.close()
        LM_ERR("cannot bind the MI datagram socket %s: %s", cfg.socket_name,
               exc.strerror or exc)
        return -1
    sock.set_inheritable(True)
    _state.sock = sock
    if mi_core.init_mi_core() < 0:
        LM_ERR("cannot initialise the MI core (no shared memory)")
        return -1
    return 0


def datagram_process(rank):
    """One "MI Datagram" process."""
    from openser_py.mi import mi
    from openser_py.modules.mi_datagram.datagram_server import datagram_loop
    mi.init_mi_child()
    datagram_loop(_state.sock, cfg.reply_indent or "",
                  max(1, cfg.socket_timeout))


def _close():
    if _state.sock is not None:
        _state.sock.close()
        _state.sock = None


def destroy():
    """Close the socket, remove the socket file this server created."""
    _close()
    path, _state.unix_path = _state.unix_path, None
    if not path:
        return
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass


class _Procs(collections.abc.Sequence):
    """``exports.procs``: "MI Datagram" x ``children_count`` (a modparam,
    so the count is read when the server plans its processes)."""

    def _items(self):
        return (ProcExport("MI Datagram", datagram_process,
                           max(1, cfg.children_count)),)

    def __getitem__(self, i):
        return self._items()[i]

    def __len__(self):
        return 1


exports = ModuleExports(
    name="mi_datagram",
    params=(
        ParamExport("socket_name", STR_PARAM, cfg,
                    doc="The socket to read requests from: a unix socket "
                    "path, or udp:ip:port. Mandatory."),
        ParamExport("children_count", INT_PARAM, cfg,
                    doc="Number of processes serving the socket."),
        ParamExport("unix_socket_mode", INT_PARAM, cfg,
                    doc="Permissions of the unix socket file (octal in the "
                    "config). The default lets only the server's user "
                    "send commands (OpenSER 1.3 used 0660)."),
        ParamExport("unix_socket_group", STR_PARAM, cfg,
                    doc="Group (name or number) to give the socket file."),
        ParamExport("unix_socket_group", INT_PARAM, cfg,
                    doc="Group id to give the socket file."),
        ParamExport("unix_socket_user", STR_PARAM, cfg,
                    doc="User (name or number) to give the socket file."),
        ParamExport("unix_socket_user", INT_PARAM, cfg,
                    doc="User id to give the socket file."),
        ParamExport("socket_timeout", INT_PARAM, cfg,
                    doc="Milliseconds to wait for room in a client's queue "
                    "when sending a reply."),
        ParamExport("reply_indent", STR_PARAM, cfg,
                    doc="String written once per tree level before a reply "
                    "line."),
    ),
    procs=_Procs(),
    mod_init=mod_init,
    destroy_f=destroy,
)
