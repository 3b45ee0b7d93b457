"""TCP start-up in the master and per-process set-up after fork.

:func:`tcp_init` runs in the master before anything forks and returns the
:class:`TcpState` every process inherits; :func:`tcp_child_init` runs in
each child right after fork and closes the descriptors that child has no
business holding, so that a process exiting is seen by its peer as EOF on
its channel.  See the package docstring for the whole picture.
"""
import socket

from openser_py.core.dprint import LM_DBG, LM_WARN
from openser_py.core.ip_addr import AF_INET6, PROTO_TCP, PROTO_TLS
from openser_py.core.tcp.ipc import BUF_SIZE, channel_pair, close_quietly
from openser_py.mem.locking import LockSet

TCP_BACKLOG = 1024
WRITE_LOCKS = 64          # stripes of the per-connection write lock


def _param(params, name, default):
    """Value of core parameter *name* from a dict or an attribute object."""
    if params is None:
        return default
    if isinstance(params, dict):
        value = params.get(name)
    else:
        value = getattr(params, name, None)
    return default if value is None else value


class TcpConfig:
    """The ``tcp_*`` core parameters TCP needs (reference 1.8)."""
    __slots__ = ("lifetime", "send_timeout", "connect_timeout",
                 "max_connections", "accept_aliases", "buf_size",
                 "tls_send_timeout", "tls_handshake_timeout")

    def __init__(self, params=None):
        self.lifetime = float(_param(params, "tcp_connection_lifetime", 120))
        self.send_timeout = float(_param(params, "tcp_send_timeout", 10))
        self.connect_timeout = float(_param(params, "tcp_connect_timeout",
                                            10))
        self.max_connections = int(_param(params, "tcp_max_connections",
                                          2048))
        self.accept_aliases = bool(_param(params, "tcp_accept_aliases",
                                          False))
        self.buf_size = BUF_SIZE        # largest message on a stream
        self.tls_send_timeout = float(_param(params, "tls_send_timeout",
                                             30))
        self.tls_handshake_timeout = float(_param(
            params, "tls_handshake_timeout", 30))


class TcpState:
    """Everything the TCP processes share, created by :func:`tcp_init`.

    Attributes:
        cfg: the :class:`TcpConfig`.
        sockets: TCP listening ``SocketInfo`` objects (index = ``lidx``).
        worker_chans: per TCP worker ``(main_end, child_end)``; TCP main
            passes connections down it, the worker reports back on it.
        proc_chans: per process index ``(main_end, child_end)``; the
            process asks TCP main for connections on it (``tcp_send``).
        write_locks: a LockSet striped by connection id: one writer at a
            time on a connection, whichever process it is.
        main_proc: process index of TCP main; ``worker_procs``: the
            process indexes of the TCP workers (worker i is
            ``worker_procs[i]``).
        role: in a child, ``"main"``, ``"worker"`` or ``"other"``.
        tls: the :class:`~openser_py.core.tls.TlsContexts` (TCP main uses
            them) or None when TLS is not enabled.
    """

    def __init__(self, cfg, sockets, worker_chans, proc_chans, write_locks,
                 main_proc, worker_procs):
        self.cfg = cfg
        self.sockets = sockets
        self.worker_chans = worker_chans
        self.proc_chans = proc_chans
        self.write_locks = write_locks
        self.main_proc = main_proc
        self.worker_procs = worker_procs
        self.role = "master"
        self.process_index = None
        self.worker_idx = None
        self.tls = None

    @property
    def n_workers(self):
        """Number of TCP workers."""
        return len(self.worker_chans)

    def proc_chan(self):
        """This process's request channel to TCP main (child end) or None."""
        idx = self.process_index
        if idx is None or not 0 <= idx < len(self.proc_chans):
            return None
        return self.proc_chans[idx][1]


_state = None


def get_state():
    """The TcpState created by :func:`tcp_init` in this server (or None)."""
    return _state


def _listen_socket(si):
    """The listening socket of SocketInfo *si*: the master's, else ours."""
    sock = si.sock
    if sock is None:
        family = socket.AF_INET6 if si.af == AF_INET6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((si.ip, si.port))
        except OSError:
            sock.close()
            raise
        si.sock = sock
    elif sock.type != socket.SOCK_STREAM:
        raise ValueError("%s: bound socket is not a stream socket" % si)
    sock.listen(TCP_BACKLOG)        # idempotent if the master listened
    sock.set_inheritable(True)
    if not si.port:                 # port 0: the kernel chose one
        si.port = sock.getsockname()[1]
    return sock


def tcp_init(listen_sockets, n_workers, params=None, n_procs=None,
             worker_procs=None, main_proc=None, tls=None):
    """Create the TCP listening sockets, channels and locks (master, pre-fork).

    Args:
        listen_sockets: SocketInfo objects; those with ``proto == PROTO_TCP``
            are served, and ``PROTO_TLS`` ones when *tls* is given.  A
            socket whose ``sock`` is None is bound here (SO_REUSEADDR) and
            stored in ``si.sock``; a socket the master bound is put in
            listen state if it is not already.
        n_workers: number of TCP workers (``tcp_children``).
        params: core parameters (dict or object) for ``tcp_*`` values.
        n_procs: size of the process table: process indexes
            ``0..n_procs-1`` each get a request channel to TCP main.
            Default ``n_workers + 2``.
        worker_procs: process indexes of the workers (default: the
            ``n_workers`` indexes just before TCP main, OpenSER's ps order).
        main_proc: process index of TCP main (default ``n_procs - 1``).
        tls: :class:`~openser_py.core.tls.TlsContexts` from ``tls_init``
            (None: TLS sockets are skipped with a warning, TLS connects
            refused).

    Returns:
        TcpState (also kept as the module-wide state for tcp_child_init).
    """
    global _state
    if n_workers < 1:
        raise ValueError("TCP needs at least one worker")
    if n_procs is None:
        n_procs = n_workers + 2
    if main_proc is None:
        main_proc = n_procs - 1
    if worker_procs is None:
        first = main_proc - n_workers
        worker_procs = list(range(max(first, 0), main_proc))
    worker_procs = list(worker_procs)
    socks = []
    for si in listen_sockets:
        if si.proto == PROTO_TLS and tls is None:
            LM_WARN("%s: TLS is not enabled: socket not served", si)
            continue
        if si.proto not in (PROTO_TCP, PROTO_TLS):
            LM_WARN("%s: not a stream socket: not served", si)
            continue
        _listen_socket(si)
        socks.append(si)
    worker_chans = [channel_pair() for _ in range(n_workers)]
    proc_chans = [channel_pair() for _ in range(n_procs)]
    locks = LockSet(WRITE_LOCKS)
    _state = TcpState(TcpConfig(params), socks, worker_chans, proc_chans,
                      locks, main_proc, worker_procs)
    _state.tls = tls
    LM_DBG("tcp: %d listening sockets, %d workers, %d process channels",
           len(socks), n_workers, n_procs)
    return _state


def _role_of(state, process_index, worker_idx):
    if worker_idx is not None:
        return "worker", worker_idx
    if process_index is not None and process_index == state.main_proc:
        return "main", None
    if process_index in state.worker_procs:
        return "worker", state.worker_procs.index(process_index)
    return "other", None


def tcp_child_init(process_index, worker_idx=None, state=None):
    """Per-child set-up right after fork (every child, any role).

    Keeps this process's request channel (child end) and, for TCP worker
    *worker_idx* (derived from ``worker_procs`` when not given), that
    worker's channel; TCP main (``process_index == main_proc``) keeps the
    main ends and the listening sockets.  Everything else is closed.
    Safe to call again (the loops call it for their role).
    """
    from openser_py.core.tcp import send
    st = state or _state
    if st is None:
        return None
    role, widx = _role_of(st, process_index, worker_idx)
    st.role, st.process_index, st.worker_idx = role, process_index, widx
    for w, (main_end, child_end) in enumerate(st.worker_chans):
        if role != "main":
            close_quietly(main_end)
        if role == "main" or w != widx:
            close_quietly(child_end)
    for p, (main_end, child_end) in enumerate(st.proc_chans):
        if role != "main":
            close_quietly(main_end)
        if role == "main" or p != process_index:
            close_quietly(child_end)
    if role != "main":
        for si in st.sockets:
            close_quietly(si.sock)
    send.init_process(st)
    return st


def tcp_parent_close(state=None):
    """In the attendant after every fork: drop all TCP descriptors.

    The attendant never sends over TCP; closing its copies lets TCP main
    see a dead process's channel as EOF.  The listening sockets are closed
    too (TCP main owns them now).
    """
    st = state or _state
    if st is None:
        return
    for pair in st.worker_chans + st.proc_chans:
        for s in pair:
            close_quietly(s)
    for si in st.sockets:
        close_quietly(si.sock)
