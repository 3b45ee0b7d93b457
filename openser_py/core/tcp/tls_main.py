"""TCP main's TLS part: accept, connect, pump and expire TLS connections.

Mixed into :class:`~.tcp_main.TcpMain`.  A TLS connection is a
:class:`~.conn.TcpConn` with ``proto == PROTO_TLS`` whose ``sock`` is the
plaintext end of its :class:`~openser_py.core.tls.pump.TlsPump` socketpair,
so the worker/sender machinery handles it as any TCP connection; this mixin
drives the pump's two sockets in TCP main's selector (``"tlsnet"``: the
peer's socket, ``"tlsapp"``: TCP main's end of the pair).

Connection states (``conn.state``) for TLS::

    accepted:  S_HANDSHAKE --handshake ok--> S_IDLE (then as TCP)
    outgoing:  S_CONNECTING (TCP connect, then handshake; senders wait)
               --handshake ok--> S_IDLE, waiters answered
    either   --handshake error / tls_handshake_timeout--> closed

The handshake never reaches a worker: a peer that connects and sends
nothing costs one descriptor and a few kilobytes until
``tls_handshake_timeout`` (checked every ``tick`` by :meth:`expire_tls`).
"""
import selectors
import socket

from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.ip_addr import PROTO_TLS
from openser_py.core.tcp.conn import (S_CONNECTING, S_HANDSHAKE, S_IDLE,
                                      TcpConn)

_EV_READ = selectors.EVENT_READ


def _session_info(conn):
    """tlsops' details of a just-established connection (None on error)."""
    from openser_py.core.tls.certinfo import session_info
    try:
        return session_info(conn.tls.obj)
    except Exception as exc:  # noqa: BLE001 - details are optional
        LM_WARN("tcp main: TLS details of %s:%d unavailable: %s",
                conn.peer_ip, conn.peer_port, exc)
        return None


class TlsMainMixin:
    """TLS handling of TCP main (needs ``state``, ``sel``, ``table``,
    ``clock``, ``close_conn``, ``_answer`` from the host)."""

    def _tls_ctxs(self):
        return getattr(self.state, "tls", None)

    def _accept_tls(self, sock, addr, local, lidx):
        """Start the server side of an accepted TLS connection."""
        from openser_py.core.tls.pump import TlsClosed, TlsPump
        ctxs = self._tls_ctxs()
        si = self.state.sockets[lidx]
        now = self.clock()
        try:
            pump = TlsPump(sock, ctxs.server_ctx(si.ip, si.port), True, now)
        except OSError as exc:
            LM_ERR("tcp main: cannot set up TLS for %s:%d: %s", addr[0],
                   addr[1], exc)
            sock.close()
            return
        conn = TcpConn(self.table.new_id(), pump.user, addr[0], addr[1],
                       local[0], local[1], lidx, now, proto=PROTO_TLS,
                       tls=pump)
        conn.state = S_HANDSHAKE
        conn.deadline = now + ctxs.handshake_timeout
        self.table.add(conn)
        try:
            pump.service(now)
        except TlsClosed as exc:
            self.close_conn(conn, str(exc))
            return
        self._tls_register(conn)
        LM_DBG("tcp main: accepted TLS %r", conn)

    def _connect_tls(self, sock, ip, port, lidx, now):
        """Outgoing TLS connection: *sock* is connecting (non-blocking)."""
        from openser_py.core.tls.pump import TlsPump
        ctxs = self._tls_ctxs()
        pump = TlsPump(sock, ctxs.client_ctx(ip, port), False, now,
                       connected=False)
        conn = TcpConn(self.table.new_id(), pump.user, ip, port, "", 0,
                       lidx, now, outgoing=True, proto=PROTO_TLS, tls=pump)
        conn.state = S_CONNECTING
        conn.deadline = now + self.cfg.connect_timeout
        return conn

    def _tls_register(self, conn):
        """Make the selector watch what the pump wants now."""
        pump = conn.tls
        for kind, sock, mask in (("tlsnet", pump.raw, pump.net_mask()),
                                 ("tlsapp", pump.app, pump.app_mask())):
            old = pump.registered.get(kind, 0)
            if mask == old:
                continue
            if not old:
                self.sel.register(sock, mask, (kind, conn))
            elif not mask:
                self.sel.unregister(sock)
            else:
                self.sel.modify(sock, mask, (kind, conn))
            pump.registered[kind] = mask

    def _tls_unregister(self, conn):
        pump = conn.tls
        for kind, sock in (("tlsnet", pump.raw), ("tlsapp", pump.app)):
            if pump.registered.pop(kind, 0):
                try:
                    self.sel.unregister(sock)
                except (KeyError, ValueError):
                    pass

    def _tls_event(self, conn, kind, mask):
        """An event on one of a TLS connection's two sockets."""
        from openser_py.core.tls.pump import TlsClosed
        pump = conn.tls
        if conn.state == "closed" or pump is None:
            return
        now = self.clock()
        if not pump.connected:
            if not self._tls_connected(conn, now):
                return
        try:
            done = pump.service(
                now, net_readable=kind == "tlsnet" and bool(mask & _EV_READ),
                app_readable=kind == "tlsapp" and bool(mask & _EV_READ))
        except TlsClosed as exc:
            level = LM_WARN if not pump.established else LM_DBG
            level("tcp main: TLS %s:%d: %s", conn.peer_ip, conn.peer_port,
                  exc)
            self.close_conn(conn, str(exc))
            return
        if pump.activity:
            conn.last_activity = now
        if done:
            self._tls_established(conn, now)
        self._tls_register(conn)

    def _tls_connected(self, conn, now):
        """TCP connect of an outgoing TLS connection finished."""
        pump = conn.tls
        err = pump.raw.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            import os
            LM_ERR("tcp main: connect to %s:%d failed: %s", conn.peer_ip,
                   conn.peer_port, os.strerror(err))
            self.close_conn(conn, os.strerror(err))
            return False
        try:
            conn.local_ip, conn.local_port = pump.raw.getsockname()[:2]
        except OSError as exc:
            self.close_conn(conn, str(exc))
            return False
        if conn.lidx < 0:
            conn.lidx = self._lidx_for(conn.local_ip, PROTO_TLS)
        pump.connected = True
        conn.deadline = now + self._tls_ctxs().handshake_timeout
        return True

    def _tls_established(self, conn, now):
        LM_DBG("tcp main: TLS with %s:%d established: %s", conn.peer_ip,
               conn.peer_port, conn.tls.describe())
        conn.last_activity = now
        conn.tls.info = _session_info(conn)
        waiters = conn.waiters if conn.state == S_CONNECTING else []
        conn.waiters = []
        conn.state = S_IDLE
        self.sel.register(conn.sock, _EV_READ, ("conn", conn))
        for p, seq in waiters:
            self._answer(p, seq, conn)

    def expire_tls(self, conn, now):
        """Deadlines of a TLS connection; True if it was closed."""
        if conn.state == S_HANDSHAKE and now >= conn.deadline:
            LM_WARN("tcp main: TLS handshake with %s:%d timed out",
                    conn.peer_ip, conn.peer_port)
            self.close_conn(conn, "TLS handshake timeout")
            return True
        ctxs = self._tls_ctxs()
        if conn.tls is not None and ctxs is not None and \
                conn.tls.stalled(now, ctxs.send_timeout):
            LM_ERR("tcp main: TLS send to %s:%d timed out", conn.peer_ip,
                   conn.peer_port)
            self.close_conn(conn, "TLS send timeout")
            return True
        return False
