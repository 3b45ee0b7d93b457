"""Listening sockets, aliases and ``myself`` (OpenSER ``socket_info.c``).

:func:`build_socket_list` turns the ``listen``/``alias`` core parameters (or
``-l``) into :class:`~openser_py.core.ip_addr.SocketInfo` objects, expanding
what 1.3 expands: a missing protocol means UDP and TCP (TLS too when TLS is
enabled; an explicit ``tls:`` socket with TLS disabled is an error), a
missing port means ``port`` (``tls_port_no`` for TLS), a host
name is resolved, an interface name (``eth0``) becomes its addresses, no
``listen`` at all means every local address.  Duplicates are merged.

:class:`Myself` answers "is this host[:port] us?" for ``uri == myself`` and
friends, from the sockets and the aliases (names compared case-insensitively;
a URI without a port means 5060, or 5061 for TLS).
"""
import ipaddress
import socket

from openser_py.core.ip_addr import (PROTO_BY_NAME, PROTO_TCP, PROTO_TLS,
                                     PROTO_UDP, SocketInfo)


class SocketError(Exception):
    """A listen/alias entry cannot be used (message says why)."""


def _interfaces():
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency
        return {}
    out = {}
    for name, addrs in psutil.net_if_addrs().items():
        ips = []
        for a in addrs:
            if a.family in (socket.AF_INET, socket.AF_INET6):
                ips.append(a.address.split("%", 1)[0])
        out[name] = ips
    return out


def resolve_host(host):
    """IP address(es) for a listen host: literal, interface name, or DNS."""
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare)
        return [bare]
    except ValueError:
        pass
    ifaces = _interfaces()
    if host in ifaces:
        return ifaces[host]
    try:
        infos = socket.getaddrinfo(host, None, 0, socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise SocketError("cannot resolve listen address %r: %s" % (host, exc))
    ips = []
    for info in infos:
        ip = info[4][0]
        if ip not in ips:
            ips.append(ip)
    return ips[:1]


def _protos(proto, tls_enabled, tcp_enabled):
    if proto in (None, "any"):
        out = [PROTO_UDP]
        if tcp_enabled:
            out.append(PROTO_TCP)
        if tls_enabled:
            out.append(PROTO_TLS)
        return out
    if proto not in PROTO_BY_NAME:
        raise SocketError("unsupported protocol %r" % proto)
    return [PROTO_BY_NAME[proto]]


def build_socket_list(listen, port=5060, tls_port=5061, tcp_enabled=True,
                      tls_enabled=False):
    """Expand listen entries (``(proto, host, port)`` tuples) to sockets."""
    if not listen:
        listen = [(None, ip, None) for ips in _interfaces().values()
                  for ip in ips]
    sockets, seen = [], set()
    for proto, host, lport in listen:
        for p in _protos(proto, tls_enabled, tcp_enabled):
            if p == PROTO_TCP and not tcp_enabled:
                continue
            if p == PROTO_TLS and not tls_enabled:
                raise SocketError("listen=tls:%s needs TLS: set "
                                  "disable_tls=no" % host)
            prt = lport or (tls_port if p == PROTO_TLS else port)
            for ip in resolve_host(host):
                key = (p, ip, prt)
                if key in seen:
                    continue
                seen.add(key)
                name = host.strip("[]") if host.strip("[]") != ip else ip
                sockets.append(SocketInfo(p, ip, prt, name=name))
    return sockets


class Myself:
    """Decides whether a host/port names this server (``myself``)."""

    def __init__(self, sockets, aliases=()):
        self.sockets = list(sockets)
        self.names = {}           # lower-case host -> set of ports (0 = any)
        for s in self.sockets:
            for host in (s.ip, s.name, s.address_str):
                self.names.setdefault(host.lower(), set()).add(s.port)
        for proto, host, aport in aliases:
            self.names.setdefault(host.strip().lower(), set()).add(aport or 0)
            bare = host.strip("[]").lower()
            self.names.setdefault(bare, set()).add(aport or 0)
        self.ips = {s.ip for s in self.sockets}

    def check(self, host, port=0, proto=0):
        """True if *host* (and *port*, default 5060/5061) is ours."""
        if not host:
            return False
        ports = self.names.get(host.lower())
        if ports is None:
            ports = self.names.get(host.strip("[]").lower())
            if ports is None:
                return False
        if not port:
            port = 5061 if proto == PROTO_TLS else 5060
        return port in ports or 0 in ports

    def check_ip(self, ip):
        """True if *ip* is the address of one of our sockets."""
        return ip is not None and ip.strip("[]") in self.ips
