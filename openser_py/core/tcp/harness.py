"""A self-contained TCP server on loopback for tests and benchmarks.

:class:`TcpHarness` plays the master: ``tcp_init`` on a fresh loopback
port, then forks N TCP workers, one *sender* process (stands for a UDP
receiver or the timer: it calls ``tcp_send`` on command) and TCP main, and
closes its own copies.  The default message handler reports every framed
message over a datagram socketpair (:meth:`TcpHarness.records`) and acts
on two test headers:

* ``X-Echo: yes`` -- answers ``SIP/2.0 200 OK`` (same Call-ID) with
  ``tcp_send`` to the source ``ip:port`` (connection reuse by address);
* ``X-Alias: <port>`` -- ``tcp_add_alias(conn_id, port)``;
* ``X-Lifetime: <seconds>`` -- ``tcp_set_lifetime(conn_id, seconds)``.

Every wait is bounded; :meth:`TcpHarness.stop` kills (SIGTERM, then
SIGKILL) and reaps exactly the processes it forked.
"""
import json
import os
import select
import signal
import socket
import time

from openser_py.core.ip_addr import PROTO_TCP, SocketInfo
from openser_py.core.tcp import send as tcp_send_mod
from openser_py.core.tcp.state import (tcp_child_init, tcp_init,
                                       tcp_parent_close)
from openser_py.core.tcp.tcp_main import tcp_main_loop
from openser_py.core.tcp.worker import tcp_worker_loop

_DGRAM_BUF = 1 << 20


def _header(frame, name):
    head = frame.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        k, sep, v = line.partition(":")
        if sep and k.strip().lower() == name.lower():
            return v.strip()
    return None


def make_record_handler(rec_sock):
    """The default handler: report *frame* on *rec_sock*, echo, alias."""
    def handler(frame, rcv):
        rec = {"pid": os.getpid(), "conn": rcv.conn_id,
               "src": [rcv.src_ip, rcv.src_port],
               "dst": [rcv.dst_ip, rcv.dst_port], "sock": str(rcv.sock),
               "frame": frame.decode("latin-1")}
        alias = _header(frame, "X-Alias")
        if alias:
            tcp_send_mod.tcp_add_alias(rcv.conn_id, int(alias), rcv.src_ip)
        keep = _header(frame, "X-Lifetime")
        if keep:
            tcp_send_mod.tcp_set_lifetime(rcv.conn_id, float(keep))
        if _header(frame, "X-Echo") == "yes":
            reply = ("SIP/2.0 200 OK\r\nCall-ID: %s\r\nContent-Length: 0"
                     "\r\n\r\n" % _header(frame, "Call-ID")).encode()
            rec["echo"] = tcp_send_mod.tcp_send(rcv.sock, rcv.src_ip,
                                                rcv.src_port, reply)
        rec_sock.send(json.dumps(rec).encode())
    return handler


def _sender_loop(cmd, si):
    """Sender process: ``{"ip","port","data","conn_id","repeat"}`` ->
    ``tcp_send`` (data repeated *repeat* times) -> ``{"ok": bool}``."""
    while True:
        data = cmd.recv(_DGRAM_BUF)
        if not data:
            return
        req = json.loads(data)
        data = req["data"].encode("latin-1") * req.get("repeat", 1)
        ok = tcp_send_mod.tcp_send(si, req["ip"], req["port"], data,
                                   conn_id=req.get("conn_id"))
        cmd.send(json.dumps({"ok": ok}).encode())


def _dgram_pair():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for s in (a, b):
        for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            s.setsockopt(socket.SOL_SOCKET, opt, _DGRAM_BUF)
    return a, b


class TcpHarness:
    """TCP main + workers + a sender process on ``127.0.0.1:<free port>``."""

    def __init__(self, n_workers=2, params=None, handler=None,
                 ip="127.0.0.1"):
        self.n_workers = n_workers
        self.params = dict(params or {})
        self.handler = handler
        self.si = SocketInfo(PROTO_TCP, ip, 0)
        self.pids = {}
        self.rec = self.cmd = None

    @property
    def addr(self):
        """``(ip, port)`` of the listening socket."""
        return (self.si.ip, self.si.port)

    def start(self):
        """Fork everything; returns once the children exist."""
        rec_r, rec_w = _dgram_pair()
        cmd_p, cmd_c = _dgram_pair()
        # process indexes: 0 this process, 1 sender, workers, TCP main last
        n_procs = self.n_workers + 3
        state = tcp_init([self.si], self.n_workers, self.params, n_procs)
        handler = self.handler or make_record_handler(rec_w)
        for w in range(self.n_workers):
            self._fork("worker%d" % w, lambda w=w: (
                tcp_child_init(state.worker_procs[w]),
                tcp_worker_loop(state, w, handler)))
        self._fork("sender", lambda: (tcp_child_init(1),
                                      _sender_loop(cmd_c, self.si)))
        self._fork("main", lambda: (tcp_child_init(state.main_proc),
                                    tcp_main_loop(state)))
        tcp_parent_close(state)
        for s in (rec_w, cmd_c):
            s.close()
        self.rec, self.cmd = rec_r, cmd_p
        return self

    def _fork(self, name, body):
        pid = os.fork()
        if pid == 0:            # child: never return into the caller
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                body()
            except BaseException:  # noqa: BLE001
                import traceback
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        self.pids[name] = pid

    def alive(self, name):
        """True if child *name* has not exited."""
        pid = self.pids.get(name)
        try:
            return pid is not None and os.waitpid(pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def stop(self, timeout=5.0):
        """SIGTERM then SIGKILL our children; reap them all (bounded)."""
        for pid in self.pids.values():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        left = dict(self.pids)
        while left:
            for name, pid in list(left.items()):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    del left[name]
            if not left:
                break
            if time.monotonic() > deadline:
                for pid in left.values():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + timeout
            time.sleep(0.01)
        for s in (self.rec, self.cmd):
            if s is not None:
                s.close()

    def records(self, n=1, timeout=5.0):
        """The next *n* handler records (fewer if *timeout* expires)."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rec], [], [], left)[0]:
                break
            out.append(json.loads(self.rec.recv(_DGRAM_BUF)))
        return out

    def send(self, ip, port, data, conn_id=None, timeout=15.0, repeat=1):
        """Have the sender process ``tcp_send`` *data* (* *repeat*); its
        result or None on timeout."""
        if isinstance(data, bytes):
            data = data.decode("latin-1")
        self.cmd.send(json.dumps({"ip": ip, "port": port, "data": data,
                                  "conn_id": conn_id,
                                  "repeat": repeat}).encode())
        if not select.select([self.cmd], [], [], timeout)[0]:
            return None
        return json.loads(self.cmd.recv(_DGRAM_BUF))["ok"]
