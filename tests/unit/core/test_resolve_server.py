"""A fake authoritative DNS server (UDP + TCP on 127.0.0.1) and the client.

:class:`FakeDns` answers from a small zone using the codec under test;
it is also used by tests/integration/test_dns_forwarding.py.  The tests
here drive :class:`openser_py.core.dns.client.DnsClient` over real
sockets: UDP answers, TCP fallback on truncation, NXDOMAIN with SOA,
SERVFAIL moving to the next server, a silent server timing out.
"""
import socket
import threading
import time

import pytest

from openser_py.core.dns import message as M
from openser_py.core.dns.client import DnsClient, DnsError, DnsTimeout
from tests.conftest import free_port

SOA_RR = M.RR("example.test", M.SOA, M.CLASS_IN, 300,
              M.Soa("ns.example.test", "hostmaster.example.test", 1, 3600,
                    600, 86400, 30))


class FakeDns:
    """Authoritative for ``zone``: {(name, qtype): [RR, ...]}.

    Unknown names get NXDOMAIN with the SOA; known names without the type
    NOERROR/NODATA.  Names in ``truncate`` get an empty TC=1 UDP reply (the
    full answer only over TCP).  ``rcode`` forces an error rcode.  Every
    question is logged in ``queries`` as ``(transport, name, qtype)``.
    """

    def __init__(self, zone=None, truncate=(), rcode=None, silent=False):
        self.zone = {}
        for (name, qtype), rrs in (zone or {}).items():
            self.zone[(name.lower(), qtype)] = list(rrs)
        self.truncate = {n.lower() for n in truncate}
        self.rcode = rcode
        self.silent = silent
        self.queries = []
        self.ignored = 0
        self.port = free_port()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(8)
        self.udp.settimeout(0.2)
        self.tcp.settimeout(0.2)
        self._stop = False
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True),
                         threading.Thread(target=self._serve_tcp, daemon=True)]

    @property
    def address(self):
        return ("127.0.0.1", self.port)

    def start(self):
        for th in self._threads:
            th.start()
        return self

    def close(self):
        self._stop = True
        for s in (self.udp, self.tcp):
            try:
                s.close()
            except OSError:
                pass
        for th in self._threads:
            th.join(2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def names(self):
        return {n for n, _ in self.zone}

    def answer(self, data, transport):
        query = M.decode_message(data)
        q = query.questions[0]
        name = q.name.lower().rstrip(".")
        self.queries.append((transport, name, q.qtype))
        if self.rcode is not None:
            return M.encode_message(M.make_reply(query, rcode=self.rcode))
        if transport == "udp" and name in self.truncate:
            return M.encode_message(M.make_reply(query, tc=True))
        rrs = list(self.zone.get((name, q.qtype), []))
        if not rrs:
            cname = self.zone.get((name, M.CNAME))
            if cname:
                rrs = list(cname) + list(
                    self.zone.get((cname[0].data.lower(), q.qtype), []))
        if not rrs and name not in self.names():
            reply = M.make_reply(query, authority=[SOA_RR],
                                 rcode=M.NXDOMAIN)
        elif not rrs:
            reply = M.make_reply(query, authority=[SOA_RR])
        else:
            reply = M.make_reply(query, answers=rrs)
        return M.encode_message(reply)

    def _serve_udp(self):
        while not self._stop:
            try:
                data, addr = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if self.silent:
                self.ignored += 1
                continue
            try:
                self.udp.sendto(self.answer(data, "udp"), addr)
            except (OSError, M.DnsFormatError):
                pass

    def _serve_tcp(self):
        while not self._stop:
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    size = int.from_bytes(conn.recv(2), "big")
                    data = b""
                    while len(data) < size:
                        chunk = conn.recv(size - len(data))
                        if not chunk:
                            break
                        data += chunk
                    out = self.answer(data, "tcp")
                    conn.sendall(len(out).to_bytes(2, "big") + out)
                except (OSError, M.DnsFormatError):
                    pass


def rr(name, rtype, data, ttl=300):
    return M.RR(name, rtype, M.CLASS_IN, ttl, data)


ZONE = {
    ("host.example.test", M.A): [rr("host.example.test", M.A, "192.0.2.10"),
                                 rr("host.example.test", M.A, "192.0.2.11")],
    ("alias.example.test", M.CNAME): [rr("alias.example.test", M.CNAME,
                                         "host.example.test")],
    ("big.example.test", M.A): [rr("big.example.test", M.A, "192.0.2.%d" % i)
                                for i in range(1, 40)],
}


@pytest.fixture
def dns():
    with FakeDns(ZONE, truncate={"big.example.test"}) as server:
        yield server


def test_udp_answer(dns):
    client = DnsClient([dns.address], timeout=1, attempts=1)
    reply = client.query("host.example.test", M.A)
    assert reply.rcode == M.NOERROR
    assert sorted(r.data for r in reply.answers) == ["192.0.2.10",
                                                     "192.0.2.11"]
    assert dns.queries == [("udp", "host.example.test", M.A)]


def test_tcp_fallback_on_truncation(dns):
    client = DnsClient([dns.address], timeout=1, attempts=1)
    reply = client.query("big.example.test", M.A)
    assert not reply.header.tc
    assert len(reply.answers) == 39
    assert [q[0] for q in dns.queries] == ["udp", "tcp"]


def test_nxdomain_is_final_with_soa(dns):
    client = DnsClient([dns.address], timeout=1, attempts=2)
    reply = client.query("nothere.example.test", M.A)
    assert reply.rcode == M.NXDOMAIN
    assert reply.authority[0].data.minimum == 30
    assert len(dns.queries) == 1


def test_servfail_moves_to_next_server(dns):
    with FakeDns(rcode=M.SERVFAIL) as bad:
        client = DnsClient([bad.address, dns.address], timeout=1, attempts=1)
        reply = client.query("host.example.test", M.A)
        assert len(reply.answers) == 2
        assert len(bad.queries) == 1 and len(dns.queries) == 1
        only_bad = DnsClient([bad.address], timeout=1, attempts=2)
        with pytest.raises(DnsError):
            only_bad.query("host.example.test", M.A)
        assert len(bad.queries) == 3        # one + two attempts


def test_silent_server_times_out_within_bound():
    with FakeDns(silent=True) as quiet:
        client = DnsClient([quiet.address], timeout=0.3, attempts=2)
        t0 = time.monotonic()
        with pytest.raises(DnsTimeout):
            client.query("host.example.test", M.A)
        took = time.monotonic() - t0
        assert 0.5 <= took < 2.0
        assert quiet.ignored == 2           # one query per attempt
