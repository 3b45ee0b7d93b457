"""Fixtures for the TLS / IPv6 transport tests: a test PKI, a server
started from a whole config text, SIP-over-stream helpers and a small TLS
UAS.  Every wait is bounded; every process and thread started here is
stopped here."""
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid

import psutil
import pytest

from tests.conftest import ROOT
from tests.transport.certs import make_pki


def has_ipv6():
    """True if ::1 can be bound here."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def free_port():
    """A port free for UDP and TCP on both 127.0.0.1 and ::1."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            for fam, host in ((socket.AF_INET, "127.0.0.1"),
                              (socket.AF_INET6, "::1")):
                for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    with socket.socket(fam, typ) as s2:
                        s2.bind((host, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """CA, server, client and rogue certificates (generated, not stored)."""
    return make_pki(tmp_path_factory.mktemp("pki"))


def options(host, port, proto="UDP", via_host="127.0.0.1", via_port=9,
            call_id=None):
    """An OPTIONS request as bytes."""
    call_id = call_id or uuid.uuid4().hex
    return ("OPTIONS sip:%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s:%d;rport;branch=z9hG4bK%s\r\n"
            "From: <sip:test@example.com>;tag=t1\r\nTo: <sip:%s:%d>\r\n"
            "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
            % (host, port, proto, via_host, via_port, uuid.uuid4().hex[:12],
               host, port, call_id)).encode()


def udp_ask(host, port, data, timeout=2.0):
    """Send one datagram, return the answer bytes or None."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(data, (host, port))
        try:
            return s.recvfrom(65535)[0]
        except socket.timeout:
            return None


class SipServer:
    """openser_py started from a whole config text (``-DD -E``)."""

    def __init__(self, tmp_path, cfg_text, ready=("127.0.0.1", None)):
        self.tmp = tmp_path
        self.cfg = tmp_path / "openser.cfg"
        self.cfg.write_text(cfg_text)
        self.log = tmp_path / "openser.log"
        self.ready = ready
        self.proc = None
        self.pids = set()

    def start(self, timeout=20.0, expect_fail=False):
        env = dict(os.environ, PYTHONPATH=ROOT)
        self.logfh = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "openser_py.main", "-f", str(self.cfg),
             "-DD", "-E"], stdout=self.logfh, stderr=subprocess.STDOUT,
            env=env, cwd=ROOT)
        if expect_fail:
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError("openser did not fail:\n" + self.output())
        host, port = self.ready
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("openser exited with %s:\n%s"
                                     % (self.proc.returncode, self.output()))
            if udp_ask(host, port, options(host, port), 0.3):
                self.pids = self.all_pids()
                return self
        raise AssertionError("openser not ready:\n" + self.output())

    def all_pids(self):
        try:
            master = psutil.Process(self.proc.pid)
            return {master.pid} | {c.pid for c in
                                   master.children(recursive=True)}
        except psutil.NoSuchProcess:
            return set()

    def output(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout=15.0):
        """SIGTERM; the exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.pids |= self.all_pids()
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
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
        if getattr(self, "logfh", None):
            self.logfh.close()
            self.logfh = None


@pytest.fixture
def sip_server(tmp_path):
    """Factory ``sip_server(cfg_text, ready=(host, port))`` -> started."""
    started = []

    def make(cfg_text, ready, start=True, **kw):
        srv = SipServer(tmp_path, cfg_text, ready)
        started.append(srv)
        return srv.start(**kw) if start else srv
    yield make
    for srv in started:
        srv.stop()
        srv.kill()


# -- SIP over a stream ------------------------------------------------------

def _frame(buf):
    """Length of the first complete message in *buf*, else None."""
    while buf[:2] == b"\r\n":
        del buf[:2]
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1")
    clen = 0
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() in ("content-length", "l"):
            clen = int(v.strip())
    total = end + 4 + clen
    return total if len(buf) >= total else None


class StreamPeer:
    """A SIP endpoint on one stream socket (plain or TLS)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def recv_msg(self, timeout=5.0):
        """The next SIP message as text, or None (timeout or EOF)."""
        deadline = time.monotonic() + timeout
        while True:
            n = _frame(self.buf)
            if n is not None:
                msg = bytes(self.buf[:n]).decode("latin-1")
                del self.buf[:n]
                return msg
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            pending = getattr(self.sock, "pending", lambda: 0)()
            if not pending and not select.select([self.sock], [], [],
                                                 left)[0]:
                return None
            try:
                data = self.sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            except (ssl.SSLError, OSError):
                self.eof = True
                return None
            if not data:
                self.eof = True
                return None
            self.buf += data

    def recv_until(self, pred, timeout=8.0):
        """Messages until one satisfies *pred*; (that one, all seen)."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv_msg(max(0.05, deadline - time.monotonic()))
            if m is None:
                break
            seen.append(m)
            if pred(m):
                return m, seen
        return None, seen

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def tls_client(host, port, pki, cert=None, key=None, verify=True,
               timeout=5.0):
    """A connected, handshaken TLS StreamPeer (raises ssl.SSLError)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if verify:
        ctx.load_verify_locations(pki.ca)
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    raw = socket.socket(fam, socket.SOCK_STREAM)
    raw.settimeout(timeout)
    raw.connect((host, port))
    try:
        tls = ctx.wrap_socket(raw)
    except BaseException:
        raw.close()
        raise
    return StreamPeer(tls)


def header(msg, name):
    """First value of header *name* in message text *msg* (or None)."""
    for line in msg.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def headers(msg, name):
    """Every value of header *name* (comma lists not split)."""
    out = []
    for line in msg.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            out.append(v.strip())
    return out


def reply_to(req, code, reason, to_tag=None, contact=None):
    """A response to request text *req* (Via/From/To/Call-ID/CSeq copied)."""
    lines = ["SIP/2.0 %d %s" % (code, reason)]
    for line in req.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        k = line.partition(":")[0].strip().lower()
        if k in ("via", "v", "from", "f", "call-id", "i", "cseq",
                 "record-route"):
            lines.append(line)
        elif k in ("to", "t"):
            if to_tag and ";tag=" not in line:
                line += ";tag=" + to_tag
            lines.append(line)
    if contact:
        lines.append("Contact: <%s>" % contact)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class TlsUas(threading.Thread):
    """A TLS UAS: INVITE -> 180 + 200, BYE -> 200, ACK recorded.

    ``requests`` collects every request received (text); ``errors`` the
    handshake failures.  ``stop()`` ends it (bounded).
    """

    def __init__(self, pki, host="127.0.0.1", cert=None, key=None,
                 require_client_cert=False):
        super().__init__(daemon=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert or pki.server, key or pki.server_key)
        if require_client_cert:
            ctx.load_verify_locations(pki.ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        self.ctx = ctx
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.lsock = socket.socket(fam, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, 0))
        self.lsock.listen(16)
        self.host = host
        self.port = self.lsock.getsockname()[1]
        self.requests = []
        self.errors = []
        self.peer_certs = []
        self._halt = threading.Event()
        self._peers = []

    def run(self):
        self.lsock.settimeout(0.2)
        while not self._halt.is_set():
            try:
                raw, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            raw.settimeout(5)
            try:
                tls = self.ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                self.errors.append(str(exc))
                raw.close()
                continue
            self.peer_certs.append(tls.getpeercert())
            t = threading.Thread(target=self._serve, args=(StreamPeer(tls),),
                                 daemon=True)
            self._peers.append(t)
            t.start()

    def _serve(self, peer):
        contact = "sip:bob@%s:%d;transport=tls" % (
            "[%s]" % self.host if ":" in self.host else self.host, self.port)
        while not self._halt.is_set():
            msg = peer.recv_msg(0.3)
            if msg is None:
                if peer.eof:
                    break
                continue
            self.requests.append(msg)
            method = msg.split(" ", 1)[0]
            if method == "INVITE":
                peer.send(reply_to(msg, 180, "Ringing", "uas1"))
                peer.send(reply_to(msg, 200, "OK", "uas1", contact))
            elif method == "BYE":
                peer.send(reply_to(msg, 200, "OK"))
        peer.close()

    def stop(self):
        self._halt.set()
        self.lsock.close()
        self.join(5)
        for t in self._peers:
            t.join(2)
