"""Real openser processes on loopback, driven over real sockets.

:class:`OpenserProcess` writes a config with a free port, starts
``python -m openser_py.main`` (``-DD -E`` unless told otherwise), waits until
the server answers an OPTIONS, and on teardown stops it with SIGTERM and
checks that no process it started is left.  Every wait is bounded.
"""
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from tests.conftest import ROOT, free_port


def options(port, call_id=None, host="127.0.0.1", branch=None, extra=""):
    """A minimal OPTIONS request to 127.0.0.1:*port*, as bytes."""
    call_id = call_id or uuid.uuid4().hex
    branch = branch or "z9hG4bK" + uuid.uuid4().hex[:12]
    return ("OPTIONS sip:%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=%s\r\n"
            "From: <sip:test@127.0.0.1>;tag=t1\r\n"
            "To: <sip:%s:%d>\r\n"
            "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n%s"
            "Content-Length: 0\r\n\r\n"
            % (host, port, branch, host, port, call_id, extra)).encode()


def udp_request(port, data, timeout=2.0, host="127.0.0.1"):
    """Send *data* over UDP; return the reply bytes or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(data, (host, port))
        try:
            return s.recvfrom(65535)[0]
        except socket.timeout:
            return None


def ready_probe(port, timeout=0.3, host="127.0.0.1"):
    """True when *port* answers an OPTIONS of ours.

    The socket is connected, so only datagrams from (host, port) count,
    and the reply must carry our Call-ID: a stray datagram (a late
    retransmission of an earlier test's server to the ephemeral port this
    socket got) must not pass for the server being up.
    """
    call_id = uuid.uuid4().hex
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        s.send(options(port, call_id=call_id, host=host))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            s.settimeout(left)
            try:
                data = s.recv(65535)
            except socket.timeout:
                return False
            except ConnectionRefusedError:      # nothing bound there yet
                time.sleep(min(0.05, max(left, 0)))
                return False
            if call_id.encode() in data:
                return True


class OpenserProcess:
    """One openser server started for a test."""

    def __init__(self, tmp_path, route, modules=("sl", "textops", "xlog"),
                 children=2, extra="", args=("-DD", "-E"), port=None,
                 tcp=False):
        self.port = port or free_port()
        self.tmp = tmp_path
        self.cfg = tmp_path / "openser.cfg"
        self.pid_file = tmp_path / "openser.pid"
        self.log = tmp_path / "openser.log"
        listen = "listen=udp:127.0.0.1:%d\n" % self.port
        if tcp:
            listen += "listen=tcp:127.0.0.1:%d\n" % self.port
        else:
            listen += "disable_tcp=yes\n"
        self.cfg.write_text(
            "debug=3\nchildren=%d\n%s%s\n%s\nroute {\n%s\n}\n" % (
                children, listen, extra,
                "\n".join('loadmodule "%s.so"' % m for m in modules), route))
        self.args = list(args)
        self.proc = None
        self.pids = set()

    def start(self, wait=True):
        env = dict(os.environ, PYTHONPATH=ROOT)
        self.logfh = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "openser_py.main", "-f", str(self.cfg),
             "-P", str(self.pid_file)] + self.args,
            stdout=self.logfh, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("openser exited with %s:\n%s"
                                     % (self.proc.returncode, self.output()))
            if ready_probe(self.port):
                self.pids = self.all_pids()
                return
        raise AssertionError("openser did not answer within %.0fs:\n%s"
                             % (timeout, self.output()))

    def all_pids(self):
        try:
            master = psutil.Process(self.proc.pid)
            return {master.pid} | {c.pid for c in master.children(recursive=True)}
        except psutil.NoSuchProcess:
            return set()

    def titles(self):
        out = {}
        for pid in self.all_pids():
            try:
                out[pid] = " ".join(
                    a for a in psutil.Process(pid).cmdline() if a).strip()
            except psutil.NoSuchProcess:
                pass
        return out

    def output(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.pids |= self.all_pids()
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_all()
            raise AssertionError("openser did not stop within %.0fs" % timeout)

    def kill_all(self):
        for pid in self.pids | self.all_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def leftovers(self, timeout=5.0):
        """PIDs this test started that still run after the stop."""
        deadline = time.monotonic() + timeout
        alive = set(self.pids)
        while alive and time.monotonic() < deadline:
            alive = {p for p in alive if psutil.pid_exists(p)
                     and psutil.Process(p).status() != psutil.STATUS_ZOMBIE}
            time.sleep(0.05)
        return alive

    def close(self):
        self.kill_all()
        if getattr(self, "logfh", None):
            self.logfh.close()


@pytest.fixture
def openser(tmp_path):
    """Factory: ``openser(route, **kw)`` -> a started OpenserProcess."""
    started = []

    def make(route, start=True, **kw):
        srv = OpenserProcess(tmp_path, route, **kw)
        started.append(srv)
        return srv.start() if start else srv
    yield make
    for srv in started:
        srv.close()
