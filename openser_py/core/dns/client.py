"""DNS transport: resolv.conf, /etc/hosts, UDP queries with TCP fallback.

Theory of operation
-------------------
:meth:`DnsClient.query` asks the configured name servers for one
name/type, the way the libc stub resolver OpenSER 1.3 used does
(``res_search`` with ``_res.retrans``/``retry``/``nscount``): up to
``attempts`` rounds over the servers in order, each UDP query waiting
``timeout`` seconds.  A reply is accepted only if it comes from the server
asked, carries our random ID and echoes our question (RFC 5452 §4.1/§9.1
basics).  A reply with TC set is asked again over TCP (two-octet length
prefix, RFC 1035 §4.2.2) from the same server.  SERVFAIL/REFUSED/NOTIMP
move to the next server; NOERROR and NXDOMAIN are final answers.  If no
server answers :class:`DnsTimeout` is raised.

:func:`parse_resolv_conf` reads ``nameserver``, ``search``/``domain`` and
``options ndots/timeout/attempts``; :func:`parse_hosts` reads a hosts file
(consulted first for A/AAAA, as ``gethostbyname`` does with the usual
nsswitch ``files dns``).  All parsing is pure.
"""
import ipaddress
import os
import socket
import struct
import time
from collections import namedtuple

from openser_py.core.dns.message import (NOERROR, NXDOMAIN, DnsFormatError,
                                         build_query, decode_message)

__all__ = ["ResolvConf", "parse_resolv_conf", "parse_hosts",
           "load_resolv_conf", "load_hosts", "parse_server", "DnsClient",
           "DnsError", "DnsTimeout", "DNS_PORT"]

DNS_PORT = 53
UDP_MAX = 4096
RESOLV_CONF = "/etc/resolv.conf"
HOSTS = "/etc/hosts"

ResolvConf = namedtuple("ResolvConf", "nameservers search ndots timeout "
                                      "attempts")


class DnsError(Exception):
    """No usable answer (all servers failed)."""


class DnsTimeout(DnsError):
    """No server answered in time."""


def parse_server(text):
    """``ip``, ``ip:port`` or ``[ipv6]:port`` -> ``(ip, port)``."""
    text = text.strip()
    port = DNS_PORT
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, p = text.split(":")
        port = int(p)
    else:
        host = text
    ipaddress.ip_address(host)          # ValueError if not an address
    if not 0 < port < 65536:
        raise ValueError("bad port in %r" % text)
    return host, port


def parse_resolv_conf(text):
    """A :class:`ResolvConf` from resolv.conf(5) *text* (glibc defaults)."""
    servers, search, ndots, timeout, attempts = [], [], 1, 5, 2
    for line in text.splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        key, args = parts[0], parts[1:]
        if key == "nameserver" and args:
            try:
                servers.append(parse_server(args[0].split("%")[0]))
            except ValueError:
                pass
        elif key in ("search", "domain"):
            search = list(args)
        elif key == "options":
            for opt in args:
                name, _, val = opt.partition(":")
                try:
                    if name == "ndots":
                        ndots = min(int(val), 15)
                    elif name == "timeout":
                        timeout = max(1, min(int(val), 30))
                    elif name == "attempts":
                        attempts = max(1, min(int(val), 5))
                except ValueError:
                    pass
    return ResolvConf(servers[:3], search, ndots, timeout, attempts)


def parse_hosts(text):
    """Hosts-file *text* -> ``{lower-case name: [address, ...]}``."""
    table = {}
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) < 2:
            continue
        try:
            addr = str(ipaddress.ip_address(parts[0].split("%")[0]))
        except ValueError:
            continue
        for name in parts[1:]:
            lst = table.setdefault(name.lower().rstrip("."), [])
            if addr not in lst:
                lst.append(addr)
    return table


def _read(path):
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""


def load_resolv_conf(path=RESOLV_CONF):
    """:func:`parse_resolv_conf` of *path* (localhost:53 if none, as libc)."""
    conf = parse_resolv_conf(_read(path))
    if not conf.nameservers:
        conf = conf._replace(nameservers=[("127.0.0.1", DNS_PORT)])
    return conf


def load_hosts(path=HOSTS):
    return parse_hosts(_read(path))


class DnsClient:
    """Queries to a list of ``(ip, port)`` name servers (module doc)."""

    def __init__(self, servers, timeout=5.0, attempts=2, rng=None):
        self.servers = list(servers)
        self.timeout = float(timeout)
        self.attempts = max(1, int(attempts))
        self._rand = rng.getrandbits if rng is not None else None
        self.queries = 0

    def _new_id(self):
        if self._rand is not None:
            return self._rand(16)
        return struct.unpack("!H", os.urandom(2))[0]

    def query(self, name, qtype):
        """The decoded reply :class:`Message` for *name*/*qtype*."""
        last = None
        for _ in range(self.attempts):
            for server in self.servers:
                try:
                    reply = self._ask(server, name, qtype)
                except (OSError, DnsFormatError) as exc:
                    last = exc
                    continue
                if reply is None:
                    last = DnsTimeout("%s:%d did not answer" % server)
                    continue
                if reply.rcode in (NOERROR, NXDOMAIN):
                    return reply
                last = DnsError("%s:%d answered rcode %d"
                                % (server[0], server[1], reply.rcode))
        if isinstance(last, DnsError):
            raise last
        raise DnsTimeout("no name server answered for %s (%s)"
                         % (name, last or "no servers"))

    def _ask(self, server, name, qtype):
        qid = self._new_id()
        data = build_query(qid, name, qtype)
        self.queries += 1
        reply = self._udp(server, data, qid, name, qtype)
        if reply is not None and reply.header.tc:
            reply = self._tcp(server, data, qid, name, qtype)
        return reply

    @staticmethod
    def _matches(reply, qid, name, qtype):
        if reply.header.id != qid or not reply.header.qr:
            return False
        if len(reply.questions) != 1:
            return reply.rcode != NOERROR and not reply.questions
        q = reply.questions[0]
        return q.qtype == qtype and \
            q.name.rstrip(".").lower() == name.rstrip(".").lower()

    def _udp(self, server, data, qid, name, qtype):
        af = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
        deadline = time.monotonic() + self.timeout
        with socket.socket(af, socket.SOCK_DGRAM) as s:
            s.sendto(data, server)
            for _ in range(64):                 # bounded: stray datagrams
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                s.settimeout(left)
                try:
                    pkt, src = s.recvfrom(UDP_MAX)
                except socket.timeout:
                    return None
                if src[0] != server[0] or src[1] != server[1]:
                    continue
                try:
                    reply = decode_message(pkt)
                except DnsFormatError:
                    continue
                if self._matches(reply, qid, name, qtype):
                    return reply
        return None

    def _tcp(self, server, data, qid, name, qtype):
        af = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
        with socket.socket(af, socket.SOCK_STREAM) as s:
            s.settimeout(self.timeout)
            s.connect(server)
            s.sendall(struct.pack("!H", len(data)) + data)
            size = struct.unpack("!H", _recv_exact(s, 2))[0]
            reply = decode_message(_recv_exact(s, size))
        return reply if self._matches(reply, qid, name, qtype) else None


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed by the name server")
        buf += chunk
    return bytes(buf)
