"""TCP main's answers to the other processes (the request channels).

Requests (see :mod:`.send`): ``get`` a connection's descriptor -- by id,
else by ``ip:port`` (aliases included), else connect asynchronously and
answer every waiter when the connect completes or times out; ``touch``
(refresh the lifetime after a send); ``lifetime`` (keep the connection
at least that long, ``tcp_set_lifetime``); ``alias``; ``close`` (a sender saw the
connection fail).  Mixed into :class:`~.tcp_main.TcpMain`.
"""
import errno
import ipaddress
import os
import selectors
import socket

from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS
from openser_py.core.tcp import ipc
from openser_py.core.tcp.conn import S_CONNECTING, S_IDLE, TcpConn

_EV_READ = selectors.EVENT_READ
_EV_WRITE = selectors.EVENT_WRITE
_FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6}


def _is_wildcard(ip):
    return ip in (None, "", "0.0.0.0", "::")


class RequestsMixin:
    """Request handling of TCP main (needs ``state``, ``cfg``, ``sel``,
    ``table``, ``clock``, ``close_conn`` and ``_prepare`` from the host)."""

    def _proc_msgs(self, p):
        chan = self.state.proc_chans[p][0]
        for _ in range(64):
            try:
                msg = ipc.recv_msg(chan, ipc.SMALL_IPC)
            except (BlockingIOError, InterruptedError):
                return
            except ipc.IpcError as exc:
                LM_ERR("tcp main: process %d: %s", p, exc)
                continue
            except OSError as exc:
                msg = None
                LM_ERR("tcp main: process %d channel: %s", p, exc)
            if msg is None:
                self.sel.unregister(chan)
                ipc.close_quietly(chan)
                return
            hdr, _, fd = msg
            if fd is not None:
                os.close(fd)
            op = hdr.get("op")
            if op == "get":
                self._get(p, hdr)
            elif op == "touch":
                conn = self.table.get(hdr.get("id"))
                if conn is not None:
                    conn.last_activity = self.clock()
            elif op == "alias":
                self._alias(hdr)
            elif op == "lifetime":
                conn = self.table.get(hdr.get("id"))
                if conn is not None:
                    conn.keep_until = max(conn.keep_until, self.clock()
                                          + float(hdr.get("secs") or 0))
            elif op == "close":
                conn = self.table.get(hdr.get("id"))
                if conn is not None:
                    self.close_conn(conn, hdr.get("why") or "sender error")
            else:
                LM_WARN("tcp main: unknown request %r from process %d", op, p)

    def _alias(self, hdr):
        conn = self.table.get(hdr.get("id"))
        if conn is None:
            return
        if not self.table.add_alias(conn, int(hdr.get("port") or 0)):
            LM_WARN("tcp main: too many aliases on %r", conn)

    def _get(self, p, hdr):
        seq = hdr.get("seq")
        conn = self.table.get(hdr["id"]) if hdr.get("id") else None
        ip, port = hdr.get("ip"), hdr.get("port")
        proto = hdr.get("proto") or PROTO_TCP
        if conn is None and ip:
            conn = self.table.find(ip, port, proto)
        if conn is not None:
            if conn.state == S_CONNECTING:
                conn.waiters.append((p, seq))
            else:
                self._answer(p, seq, conn)
            return
        if hdr.get("connect") and ip:
            self._connect(p, seq, ip, int(port), hdr.get("lidx"),
                          hdr.get("src"), proto)
        else:
            self._answer_error(p, seq, "no such connection")

    def _answer(self, p, seq, conn):
        hdr = conn.describe()
        hdr.update(seq=seq, ok=True)
        conn.last_activity = self.clock()     # a send is coming
        try:
            ipc.send_msg(self.state.proc_chans[p][0], hdr, fd=conn.fileno())
        except OSError as exc:
            LM_ERR("tcp main: cannot answer process %d: %s", p, exc)

    def _answer_error(self, p, seq, why):
        try:
            ipc.send_msg(self.state.proc_chans[p][0],
                         {"seq": seq, "ok": False, "err": why})
        except OSError as exc:
            LM_ERR("tcp main: cannot answer process %d: %s", p, exc)

    def _connect(self, p, seq, ip, port, lidx, src, proto=PROTO_TCP):
        if proto == PROTO_TLS and getattr(self.state, "tls", None) is None:
            self._answer_error(p, seq, "TLS is not enabled")
            return
        if len(self.table) >= self.cfg.max_connections:
            LM_ERR("tcp main: maximum number of connections exceeded (%d): "
                   "not connecting to %s:%d", self.cfg.max_connections, ip,
                   port)
            self._answer_error(p, seq, "too many connections")
            return
        ip = ip.strip("[]")
        try:
            family = _FAMILY[ipaddress.ip_address(ip).version]
            sock = socket.socket(family, socket.SOCK_STREAM)
        except (ValueError, OSError) as exc:     # no DNS in TCP main
            self._answer_error(p, seq, "cannot connect to %r: %s" % (ip, exc))
            return
        self._prepare(sock)
        if not _is_wildcard(src) and (":" in src) == (":" in ip):
            try:
                sock.bind((src.strip("[]"), 0))
            except OSError as exc:
                LM_WARN("tcp main: cannot bind to %s for %s:%d: %s", src, ip,
                        port, exc)
        try:
            err = sock.connect_ex((ip, port))
        except (OSError, OverflowError) as exc:
            err = getattr(exc, "errno", None) or errno.EINVAL
        if err not in (0, errno.EINPROGRESS, errno.EAGAIN):
            sock.close()
            LM_ERR("tcp main: connect to %s:%d failed: %s", ip, port,
                   os.strerror(err))
            self._answer_error(p, seq, os.strerror(err))
            return
        lidx = lidx if isinstance(lidx, int) and \
            0 <= lidx < len(self.state.sockets) else -1
        if proto == PROTO_TLS:
            try:
                conn = self._connect_tls(sock, ip, port, lidx, self.clock())
            except OSError as exc:
                sock.close()
                self._answer_error(p, seq, "TLS set-up failed: %s" % exc)
                return
            conn.waiters.append((p, seq))
            self.table.add(conn)
            self._tls_register(conn)
            LM_DBG("tcp main: connecting TLS %r", conn)
            return
        conn = TcpConn(self.table.new_id(), sock, ip, port, "", 0,
                       lidx, self.clock(), outgoing=True)
        conn.state = S_CONNECTING
        conn.deadline = self.clock() + self.cfg.connect_timeout
        conn.waiters.append((p, seq))
        self.table.add(conn)
        self.sel.register(sock, _EV_WRITE, ("conn", conn))
        LM_DBG("tcp main: connecting %r", conn)

    def _connect_done(self, conn):
        err = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            LM_ERR("tcp main: connect to %s:%d failed: %s", conn.peer_ip,
                   conn.peer_port, os.strerror(err))
            self.close_conn(conn, os.strerror(err))
            return
        try:
            conn.local_ip, conn.local_port = conn.sock.getsockname()[:2]
        except OSError as exc:
            self.close_conn(conn, str(exc))
            return
        if conn.lidx < 0:
            conn.lidx = self._lidx_for(conn.local_ip)
        conn.state = S_IDLE
        conn.last_activity = self.clock()
        self.sel.modify(conn.sock, _EV_READ, ("conn", conn))
        waiters, conn.waiters = conn.waiters, []
        for p, seq in waiters:
            self._answer(p, seq, conn)
        LM_DBG("tcp main: connected %r", conn)

    def _lidx_for(self, ip, proto=PROTO_TCP):
        for i, si in enumerate(self.state.sockets):
            if si.ip == ip and si.proto == proto:
                return i
        for i, si in enumerate(self.state.sockets):
            if si.proto == proto:
                return i
        return 0 if self.state.sockets else -1
