"""Forwarding to host names through the DNS resolver, end to end.

A fake authoritative DNS server (tests/unit/core/test_resolve_server.py,
real UDP/TCP on 127.0.0.1) serves NAPTR/SRV/A records; openser_py is told
to use it with the openser_py core parameter ``dns_server``.  SIP peers
are Python sockets on loopback ports named only by the SRV records, so a
request reaching a peer proves the whole chain NAPTR -> SRV -> A.

* stateless ``forward()`` of ``sip:bob@example.test`` and
  ``forward("example.test")`` (resolved at start-up);
* ``t_relay()`` to a host name; ``$du="sip:...;transport=tcp"`` (SRV
  ``_sip._tcp``) reaching a TCP peer;
* DNS failover on a send error (TCP connect refused), statefully and for
  stateless ``forward()``;
* tm DNS failover: the first SRV target never answers -> after fr_timer
  the INVITE goes to the second target and the call completes there; the
  first answers ``503`` with ``Retry-After`` -> same; ``t_relay("0x04")``
  (no DNS failover) and ``disable_dns_failover=1`` -> the caller gets the
  408 and the second target nothing.
"""
import socket
import threading
import time
import uuid

import pytest

from openser_py.core.dns import message as M
from tests.conftest import free_port
from tests.unit.core.test_resolve_server import FakeDns, rr


class UdpPeer:
    """A SIP UA on 127.0.0.1:port answering requests with ``code``.

    ``code=None`` never answers (a dead next hop that still lets the test
    see what was sent to it).
    """

    def __init__(self, code=200, extra=""):
        self.code, self.extra = code, extra
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = []          # (time, first line)
        self._stop = False
        self._th = threading.Thread(target=self._run, daemon=True)
        self._th.start()

    def _run(self):
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            text = data.decode(errors="replace")
            first = text.split("\r\n", 1)[0]
            self.received.append((time.monotonic(), first))
            if self.code is None or first.startswith(("ACK", "SIP/2.0")):
                continue
            try:
                self.sock.sendto(make_reply(text, self.code, self.extra),
                                 addr)
            except OSError:
                pass

    def requests(self, method):
        return [r for r in self.received if r[1].startswith(method + " ")]

    def close(self):
        self._stop = True
        self.sock.close()
        self._th.join(2)


def make_reply(request, code, extra=""):
    """A reply to request text: Vias, From, To(+tag), Call-ID, CSeq."""
    head = request.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = []
    for line in head[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name in ("via", "v", "from", "f", "call-id", "i", "cseq"):
            keep.append(line)
        elif name in ("to", "t"):
            keep.append(line if ";tag=" in line else line + ";tag=peer1")
    reason = {200: "OK", 503: "Service Unavailable"}.get(code, "Whatever")
    return ("SIP/2.0 %d %s\r\n%s\r\nContact: <sip:peer@127.0.0.1>\r\n%s"
            "Content-Length: 0\r\n\r\n"
            % (code, reason, "\r\n".join(keep), extra)).encode()


def request(method, ruri, port, call_id=None):
    call_id = call_id or uuid.uuid4().hex
    return ("%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;rport;branch=z9hG4bK%s\r\n"
            "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <%s>\r\n"
            "Call-ID: %s\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\n"
            "Contact: <sip:alice@127.0.0.1:%d>\r\n"
            "Content-Length: 0\r\n\r\n"
            % (method, ruri, port, uuid.uuid4().hex[:10], ruri, call_id,
               method, port)).encode()


def call(proxy_port, method, ruri, timeout=10.0):
    """Send one request; the final reply's status code (None: none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.sendto(request(method, ruri, s.getsockname()[1]),
                 ("127.0.0.1", proxy_port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = s.recvfrom(65535)[0]
            except socket.timeout:
                return None
            code = int(data.split(b" ", 2)[1])
            if code >= 200:
                return code
    return None


CFG = """debug=3
children=2
listen=udp:127.0.0.1:%(port)d
%(tcp)s
dns_server="127.0.0.1:%(dns)d"
dns_retr_time=1
dns_retr_no=1
%(params)s
loadmodule "sl.so"
loadmodule "tm.so"
modparam("tm", "fr_timer", 1)
modparam("tm", "fr_inv_timer", 5)

route {
    if (method == "OPTIONS" && uri == myself) {     # readiness probe
        sl_send_reply("200", "OK");
        exit;
    }
%(route)s
    exit;
}
"""


@pytest.fixture
def sipnet():
    """Peers + a fake DNS zone naming them; everything closed after."""
    made = []

    def build(peers, extra_zone=None):
        zone = {}
        for owner, targets in peers.items():
            srvs = []
            for prio, (target, peer) in enumerate(targets):
                srvs.append(rr(owner, M.SRV,
                               M.Srv(10 * (prio + 1), 0, peer.port, target)))
                zone[(target, M.A)] = [rr(target, M.A, "127.0.0.1")]
                made.append(peer)
            zone[(owner, M.SRV)] = srvs
        zone.update(extra_zone or {})
        dns = FakeDns(zone).start()
        made.append(dns)
        return dns
    yield build
    for obj in made:
        obj.close()


def start(openser, dns, route, tcp=False, params=""):
    srv = openser("", start=False, tcp=tcp)
    listen_tcp = ("listen=tcp:127.0.0.1:%d" % srv.port) if tcp \
        else "disable_tcp=yes"
    srv.cfg.write_text(CFG % dict(port=srv.port, tcp=listen_tcp,
                                  dns=dns.port, route=route, params=params))
    return srv.start()


def naptr_zone(domain):
    return {(domain, M.NAPTR): [rr(domain, M.NAPTR, M.Naptr(
        10, 10, "s", "SIP+D2U", "", "_sip._udp." + domain))]}


def test_stateless_forward_naptr_srv_a(openser, sipnet):
    peer = UdpPeer(200)
    dns = sipnet({"_sip._udp.example.test": [("a.example.test", peer)]},
                 naptr_zone("example.test"))
    srv = start(openser, dns, "    forward();")
    assert call(srv.port, "OPTIONS", "sip:bob@example.test") == 200
    assert len(peer.requests("OPTIONS")) == 1
    asked = [(n, t) for _, n, t in dns.queries]
    assert ("example.test", M.NAPTR) in asked
    assert ("_sip._udp.example.test", M.SRV) in asked
    assert ("a.example.test", M.A) in asked


def test_forward_fixed_host_resolved_at_startup(openser, sipnet):
    peer = UdpPeer(200)
    dns = sipnet({"_sip._udp.fixed.test": [("a.fixed.test", peer)]})
    srv = start(openser, dns, '    forward("fixed.test");')
    n = len(dns.queries)
    assert n >= 2                       # the fixup asked (SRV, A)
    assert call(srv.port, "OPTIONS", "sip:bob@elsewhere.test") == 200
    assert len(peer.requests("OPTIONS")) == 1
    assert len(dns.queries) == n        # nothing asked per message


def test_t_relay_to_host_name(openser, sipnet):
    peer = UdpPeer(200)
    dns = sipnet({"_sip._udp.example.test": [("a.example.test", peer)]},
                 naptr_zone("example.test"))
    srv = start(openser, dns, "    t_relay();")
    assert call(srv.port, "INVITE", "sip:bob@example.test") == 200
    assert len(peer.requests("INVITE")) == 1


class TcpPeer:
    """Answers every SIP request on its TCP connections with 200."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self._stop = False
        self._th = threading.Thread(target=self._run, daemon=True)
        self._th.start()

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(5)
            buf = b""
            try:
                for _ in range(50):
                    chunk = conn.recv(65535)
                    if not chunk:
                        break
                    buf += chunk
                    if b"\r\n\r\n" in buf:
                        text = buf.decode(errors="replace")
                        self.received.append(text.split("\r\n", 1)[0])
                        conn.sendall(make_reply(text, 200))
                        time.sleep(0.5)
                        break
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        self._stop = True
        self.sock.close()
        self._th.join(2)


def test_du_with_transport_tcp_uses_sip_tcp_srv(openser, sipnet):
    tcp_peer = TcpPeer()
    dns = sipnet({}, {
        ("_sip._tcp.tcp.example.test", M.SRV): [rr(
            "_sip._tcp.tcp.example.test", M.SRV,
            M.Srv(0, 0, tcp_peer.port, "t.example.test"))],
        ("t.example.test", M.A): [rr("t.example.test", M.A, "127.0.0.1")]})
    try:
        srv = start(openser, dns, '    $du = "sip:tcp.example.test;'
                    'transport=tcp";\n    t_relay();', tcp=True)
        assert call(srv.port, "INVITE", "sip:bob@nowhere.test") == 200
        assert tcp_peer.received and \
            tcp_peer.received[0].startswith("INVITE sip:bob@nowhere.test")
        assert ("_sip._tcp.tcp.example.test", M.SRV) in \
            [(n, t) for _, n, t in dns.queries]
    finally:
        tcp_peer.close()


def test_failover_when_first_srv_target_is_silent(openser, sipnet):
    dead, live = UdpPeer(None), UdpPeer(200)
    dns = sipnet({"_sip._udp.failover.test": [("dead.failover.test", dead),
                                              ("live.failover.test", live)]})
    srv = start(openser, dns, "    t_relay();")
    t0 = time.monotonic()
    assert call(srv.port, "INVITE", "sip:bob@failover.test") == 200
    assert dead.requests("INVITE"), "first SRV target never tried"
    (live_inv,) = live.requests("INVITE")
    # the second target only after fr_timer (1 s) on the first
    assert live_inv[0] - dead.requests("INVITE")[0][0] >= 0.9
    assert time.monotonic() - t0 < 8
    assert "DNS failover" in srv.output()


def test_failover_on_503_with_retry_after(openser, sipnet):
    busy, live = UdpPeer(503, "Retry-After: 30\r\n"), UdpPeer(200)
    dns = sipnet({"_sip._udp.busy.test": [("busy.busy.test", busy),
                                          ("live.busy.test", live)]})
    srv = start(openser, dns, "    t_relay();")
    assert call(srv.port, "INVITE", "sip:bob@busy.test") == 200
    assert len(busy.requests("INVITE")) == 1
    assert len(busy.requests("ACK")) == 1      # tm ACKs the 503 hop by hop
    assert len(live.requests("INVITE")) == 1


def test_503_without_retry_after_is_relayed(openser, sipnet):
    busy, live = UdpPeer(503), UdpPeer(200)
    dns = sipnet({"_sip._udp.busy2.test": [("busy.busy2.test", busy),
                                           ("live.busy2.test", live)]})
    srv = start(openser, dns, "    t_relay();")
    # relayed (tm turns a 503 into 500 upstream, RFC 3261 §16.7 step 6)
    assert call(srv.port, "INVITE", "sip:bob@busy2.test") in (500, 503)
    assert len(busy.requests("INVITE")) == 1
    assert live.received == []


@pytest.mark.parametrize("route,params", [
    ('    t_relay("0x04");', ""),
    ("    t_relay();", "disable_dns_failover=1"),
])
def test_no_failover_when_disabled(openser, sipnet, route, params):
    dead, live = UdpPeer(None), UdpPeer(200)
    dns = sipnet({"_sip._udp.nofo.test": [("dead.nofo.test", dead),
                                          ("live.nofo.test", live)]})
    srv = start(openser, dns, route, params=params)
    assert call(srv.port, "INVITE", "sip:bob@nofo.test") == 408
    assert dead.requests("INVITE")
    assert live.received == []


def test_unresolvable_name_gets_476(openser, sipnet):
    dns = sipnet({})
    srv = start(openser, dns, "    t_relay();")
    assert call(srv.port, "INVITE", "sip:bob@nothere.test") == 476


@pytest.mark.parametrize("relay", ["t_relay", "forward"])
def test_failover_on_send_error_tcp_refused(openser, sipnet, relay):
    """First SRV target's TCP port is closed: connect fails, next target."""
    tcp_peer = TcpPeer()
    closed = free_port(socket.SOCK_STREAM)
    owner = "_sip._tcp.tcpfo.test"
    dns = sipnet({}, {
        (owner, M.SRV): [
            rr(owner, M.SRV, M.Srv(10, 0, closed, "closed.tcpfo.test")),
            rr(owner, M.SRV, M.Srv(20, 0, tcp_peer.port, "up.tcpfo.test"))],
        ("closed.tcpfo.test", M.A): [rr("closed.tcpfo.test", M.A,
                                        "127.0.0.1")],
        ("up.tcpfo.test", M.A): [rr("up.tcpfo.test", M.A, "127.0.0.1")]})
    try:
        srv = start(openser, dns, '    $du = "sip:tcpfo.test;transport=tcp";'
                    '\n    %s();' % relay, tcp=True)
        t0 = time.monotonic()
        assert call(srv.port, "INVITE", "sip:bob@nowhere.test") == 200
        assert time.monotonic() - t0 < 0.9     # no timer: the send failed
        assert tcp_peer.received
    finally:
        tcp_peer.close()
