"""The TCP main process: accept, poll, dispatch, connect, expire.

One ``selectors`` loop (epoll on Linux) watches the listening sockets, the
idle connections, connections being connected, the workers' channels and
every process's request channel.  Nothing here blocks: sockets and the
main ends of the channels are non-blocking, connects are asynchronous, and
the loop wakes up at least every ``tick`` seconds to expire connections.
"""
import collections
import errno
import os
import resource
import selectors
import socket
import time

from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.ip_addr import PROTO_TLS
from openser_py.core.tcp import ipc
from openser_py.core.tcp.conn import (S_CONNECTING, S_HELD, S_IDLE,
                                      S_QUEUED, ConnTable, TcpConn)
from openser_py.core.tcp.requests import RequestsMixin
from openser_py.core.tcp.tls_main import TlsMainMixin

ACCEPT_BURST = 64                  # accepts per wake-up of a listener
_EV_READ = selectors.EVENT_READ
_OUT_OF_FDS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


def raise_fd_limit(wanted):
    """Raise RLIMIT_NOFILE's soft limit towards *wanted* (up to the hard
    limit); return the resulting soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    return soft


class TcpMain(RequestsMixin, TlsMainMixin):
    """State and handlers of the TCP main loop (one instance per process)."""

    def __init__(self, state, clock=time.monotonic):
        self.state = state
        self.cfg = state.cfg
        self.clock = clock
        self.sel = selectors.DefaultSelector()
        self.table = ConnTable()
        n = state.n_workers
        self.idle = collections.deque(range(n))   # round-robin order
        self.busy = [None] * n                    # conn id held by worker
        self.alive = [True] * n
        self.queue = collections.deque()          # conn ids awaiting worker
        self.tick = min(0.5, max(0.02, self.cfg.lifetime / 8.0))
        self.paused = []                          # listeners out of fds
        per_conn = 3 if getattr(state, "tls", None) is not None else 1
        wanted = per_conn * self.cfg.max_connections + 2 * (
            len(state.proc_chans) + n) + 64
        have = raise_fd_limit(wanted)
        if have < wanted:
            LM_WARN("tcp main: open files limit %d is below the %d that "
                    "tcp_max_connections=%d needs", have, wanted,
                    self.cfg.max_connections)
        for lidx, si in enumerate(state.sockets):
            si.sock.setblocking(False)
            self.sel.register(si.sock, _EV_READ, ("listen", lidx))
        for w, (main_end, _) in enumerate(state.worker_chans):
            main_end.setblocking(False)
            self.sel.register(main_end, _EV_READ, ("worker", w))
        for p, (main_end, _) in enumerate(state.proc_chans):
            main_end.setblocking(False)
            self.sel.register(main_end, _EV_READ, ("proc", p))

    # -- the loop ------------------------------------------------------------
    def run(self, stop=None):
        """Serve until *stop()* returns true (forever when None)."""
        next_check = self.clock() + self.tick
        while stop is None or not stop():
            for key, mask in self.sel.select(self.tick):
                kind, obj = key.data
                try:
                    if kind == "conn":
                        self._conn_event(obj, mask)
                    elif kind in ("tlsnet", "tlsapp"):
                        self._tls_event(obj, kind, mask)
                    elif kind == "listen":
                        self._accept(obj)
                    elif kind == "worker":
                        self._worker_msgs(obj)
                    else:
                        self._proc_msgs(obj)
                except Exception as exc:  # noqa: BLE001 - keep main alive
                    LM_ERR("tcp main: %s event failed: %s: %s", kind,
                           type(exc).__name__, exc)
            now = self.clock()
            if now >= next_check:
                self.expire(now)
                self._resume_listeners()
                next_check = now + self.tick

    # -- connections ---------------------------------------------------------
    def _accept(self, lidx):
        listener = self.state.sockets[lidx].sock
        for _ in range(ACCEPT_BURST):
            try:
                sock, addr = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                LM_ERR("tcp main: accept failed: %s", exc)
                if exc.errno in _OUT_OF_FDS:      # level-triggered: pause
                    self.sel.unregister(listener)
                    self.paused.append(lidx)
                return
            if len(self.table) >= self.cfg.max_connections:
                LM_ERR("tcp main: maximum number of connections exceeded "
                       "(%d): closing new connection from %s:%d",
                       self.cfg.max_connections, addr[0], addr[1])
                sock.close()
                continue
            self._prepare(sock)
            try:
                local = sock.getsockname()
            except OSError:
                sock.close()
                continue
            if self.state.sockets[lidx].proto == PROTO_TLS:
                self._accept_tls(sock, addr, local, lidx)
                continue
            conn = TcpConn(self.table.new_id(), sock, addr[0], addr[1],
                           local[0], local[1], lidx, self.clock())
            self.table.add(conn)
            self.sel.register(sock, _EV_READ, ("conn", conn))
            LM_DBG("tcp main: accepted %r", conn)

    @staticmethod
    def _prepare(sock):
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def _resume_listeners(self):
        while self.paused:
            lidx = self.paused.pop()
            self.sel.register(self.state.sockets[lidx].sock, _EV_READ,
                              ("listen", lidx))

    def _conn_event(self, conn, mask):
        if conn.state == S_CONNECTING:
            self._connect_done(conn)
            return
        if conn.state != S_IDLE:
            return
        self._unregister(conn)
        if self.idle:
            self._hand(conn, self.idle.popleft())
        else:
            conn.state = S_QUEUED
            self.queue.append(conn.id)

    def _hand(self, conn, w):
        """Pass *conn* (fd + unframed tail) to worker *w*."""
        hdr = conn.describe()
        hdr["op"] = "read"
        if conn.tls is not None and conn.tls.info is not None:
            hdr["tls"] = conn.tls.info          # tlsops: msg.rcv.tls
        try:
            ipc.send_msg(self.state.worker_chans[w][0], hdr, conn.buf,
                         conn.fileno())
        except OSError as exc:
            LM_ERR("tcp main: cannot pass %r to worker %d: %s", conn, w, exc)
            self._worker_dead(w)
            conn.state = S_QUEUED
            self.queue.appendleft(conn.id)
            self._drain_queue()
            return
        conn.buf = b""
        conn.state = S_HELD
        conn.worker = w
        self.busy[w] = conn.id

    def _drain_queue(self):
        while self.queue and self.idle:
            conn = self.table.get(self.queue.popleft())
            if conn is not None and conn.state == S_QUEUED:
                self._hand(conn, self.idle.popleft())

    def _unregister(self, conn):
        try:
            self.sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass

    def close_conn(self, conn, why):
        """Remove *conn* from the table and close it for every process.

        ``shutdown()`` acts on the socket, not on this descriptor, so the
        duplicates cached in other processes die with it (they see HUP).
        """
        LM_DBG("tcp main: closing %r: %s", conn, why)
        self.table.remove(conn)
        if conn.state in (S_IDLE, S_CONNECTING):
            self._unregister(conn)
        for p, seq in conn.waiters:
            self._answer_error(p, seq, why)
        conn.waiters = []
        if conn.tls is not None:
            self._tls_unregister(conn)
            conn.tls.close()
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        ipc.close_quietly(conn.sock)
        conn.state = "closed"

    def expire(self, now):
        """Close idle connections past their lifetime, failed connects."""
        lifetime = self.cfg.lifetime
        for conn in self.table:
            if conn.proto == PROTO_TLS and self.expire_tls(conn, now):
                continue
            if conn.state == S_IDLE and now - conn.last_activity >= \
                    lifetime and now >= conn.keep_until:
                LM_DBG("tcp main: %r idle for %.1fs", conn,
                       now - conn.last_activity)
                self.close_conn(conn, "connection lifetime expired")
            elif conn.state == S_CONNECTING and now >= conn.deadline:
                LM_ERR("tcp main: connect to %s:%d timed out", conn.peer_ip,
                       conn.peer_port)
                self.close_conn(conn, "connect timeout")

    # -- workers -------------------------------------------------------------
    def _worker_msgs(self, w):
        chan = self.state.worker_chans[w][0]
        while True:
            try:
                msg = ipc.recv_msg(chan, ipc.MAX_IPC)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                LM_ERR("tcp main: worker %d channel: %s", w, exc)
                if not isinstance(exc, ipc.IpcError):
                    self._worker_dead(w)
                    return
                continue
            if msg is None:
                self._worker_dead(w)
                return
            hdr, raw, fd = msg
            if fd is not None:
                os.close(fd)
            if hdr.get("op") == "done":
                self._worker_done(w, hdr, raw)
            elif hdr.get("op") == "alias":
                self._alias(hdr)

    def _worker_done(self, w, hdr, raw):
        cid = hdr.get("id")
        self.busy[w] = None                 # one connection at a time
        if self.alive[w] and w not in self.idle:
            self.idle.append(w)
        conn = self.table.get(cid)
        if conn is not None and conn.state == S_HELD and conn.worker == w:
            conn.worker = None
            status = hdr.get("st")
            if status != "ok":
                self.close_conn(conn, "worker: %s" % (hdr.get("why")
                                                      or status))
            else:
                if hdr.get("n"):
                    conn.last_activity = self.clock()
                conn.buf = raw
                conn.state = S_IDLE
                self.sel.register(conn.sock, _EV_READ, ("conn", conn))
        self._drain_queue()

    def _worker_dead(self, w):
        if not self.alive[w]:
            return
        LM_ERR("tcp main: lost TCP worker %d", w)
        self.alive[w] = False
        chan = self.state.worker_chans[w][0]
        try:
            self.sel.unregister(chan)
        except (KeyError, ValueError):
            pass
        ipc.close_quietly(chan)
        if w in self.idle:
            self.idle.remove(w)
        conn = self.table.get(self.busy[w]) if self.busy[w] else None
        self.busy[w] = None
        if conn is not None:
            self.close_conn(conn, "its worker died")


def tcp_main_loop(state, stop=None):
    """Body of the ``TCP main`` process; never returns unless *stop()*."""
    from openser_py.core.tcp.state import tcp_child_init
    if state.role == "master":
        tcp_child_init(state.main_proc, state=state)
    elif state.role != "main":
        raise RuntimeError("tcp_main_loop in a process initialised as %s "
                           "(process index %r, TCP main is %r)"
                           % (state.role, state.process_index,
                              state.main_proc))
    TcpMain(state).run(stop)
