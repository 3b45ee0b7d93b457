"""The stub resolver: lookups with cache and hosts file, RFC 3263 §4.

:class:`Resolver` does the work; :mod:`openser_py.core.resolve` holds the
per-process instance built from the core parameters and the public
functions (the RFC 3263 procedure is described there).  Lookups follow
CNAME chains (at most :data:`MAX_CNAME_CHAIN`), use the search list as
resolv.conf(5) says (``ndots``), and cache positive answers, NXDOMAIN /
NODATA (RFC 2308) and -- for :data:`SERVFAIL_TTL` seconds -- server
failures.
"""
import ipaddress
import os
import random
import socket
import time

from openser_py.core.dns import message as M
from openser_py.core.dns.cache import DnsCache
from openser_py.core.dns.client import DnsClient, DnsError
from openser_py.core.dns.rfc3263 import (SRV_PREFIX, default_port,
                                         naptr_order, srv_order)
from openser_py.core.dprint import LM_WARN
from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS, PROTO_UDP

__all__ = ["Resolver", "literal_ip", "DEFAULT_CACHE_SIZE", "MAX_CNAME_CHAIN",
           "SERVFAIL_TTL"]

DEFAULT_CACHE_SIZE = 1024
MAX_CNAME_CHAIN = 8
SERVFAIL_TTL = 5            # RFC 2308 §7.1: server failure cached briefly


def literal_ip(host):
    """*host* (brackets allowed) as an IP string if it is one, else None."""
    bare = host.strip("[]")
    try:
        socket.inet_pton(socket.AF_INET, bare)
        return bare
    except (OSError, ValueError):
        pass
    if ":" in bare:
        try:
            return str(ipaddress.IPv6Address(bare))
        except ValueError:
            pass
    return None


class Resolver:
    """A stub resolver with cache, hosts file and RFC 3263 (module doc)."""

    def __init__(self, servers, timeout=5, attempts=2, search=(), ndots=1,
                 use_search=True, try_ipv6=False, hosts=None,
                 cache_size=DEFAULT_CACHE_SIZE, rng=None,
                 clock=time.monotonic, failover=True):
        self.client = DnsClient(servers, timeout, attempts)
        self.cache = DnsCache(cache_size)
        self.search = list(search) if use_search else []
        self.ndots = ndots
        self.try_ipv6 = try_ipv6
        self.hosts = hosts if hosts is not None else {}
        self.rng = rng or random.Random()
        self._rng_pid = None if rng is not None else os.getpid()
        self.clock = clock
        self.failover = failover

    # --- raw lookups ---------------------------------------------------------
    def _candidates(self, name):
        if name.endswith(".") or not self.search:
            return [name.rstrip(".")]
        searched = ["%s.%s" % (name, d.strip(".")) for d in self.search]
        if name.count(".") >= self.ndots:
            return [name] + searched
        return searched + [name]

    def lookup(self, name, qtype):
        """RDATA values of *name*/*qtype* (search list, CNAMEs, cache)."""
        for cand in self._candidates(name):
            found = self._lookup_one(cand, qtype, 0)
            if found:
                return found
        return []

    def _lookup_one(self, name, qtype, depth):
        now = self.clock()
        entry = self.cache.get(name, qtype, now)
        if entry is not None:
            return list(entry.records)
        try:
            reply = self.client.query(name, qtype)
        except (DnsError, OSError) as exc:
            LM_WARN("DNS %s lookup of %s failed: %s",
                    M.TYPE_NAMES.get(qtype, qtype), name, exc)
            self.cache.put_negative(name, qtype, "SERVFAIL", SERVFAIL_TTL,
                                    now)
            return []
        if reply.rcode == M.NXDOMAIN:
            self.cache.put_negative(name, qtype, "NXDOMAIN",
                                    _neg_ttl(reply), now)
            return []
        records, ttl, cname = _answer_for(reply, name, qtype)
        if not records and cname is not None and depth < MAX_CNAME_CHAIN:
            records = self._lookup_one(cname, qtype, depth + 1)
            if records:
                ttl = min(ttl, _remaining(self.cache, cname, qtype, now))
        if records:
            self.cache.put(name, qtype, records, ttl, now)
        else:
            self.cache.put_negative(name, qtype, "NODATA", _neg_ttl(reply),
                                    now)
        return records

    def addresses(self, name):
        """IPs of *name*: literal, hosts file, A, then AAAA if allowed."""
        ip = literal_ip(name)
        if ip is not None:
            return [ip]
        bare = name.strip("[]")
        known = self.hosts.get(bare.lower().rstrip("."))
        if known:
            v4 = [ip for ip in known if ":" not in ip]
            return v4 or (known if self.try_ipv6 else [])
        ips = self.lookup(bare, M.A)
        if not ips and self.try_ipv6:
            ips = self.lookup(bare, M.AAAA)
        return ips

    # --- RFC 3263 ------------------------------------------------------------
    def _srv_dests(self, owner, proto):
        if self._rng_pid is not None and self._rng_pid != os.getpid():
            self.rng.seed()         # forked worker: its own SRV draws
            self._rng_pid = os.getpid()
        out = []
        for srv in srv_order(self.lookup(owner, M.SRV), self.rng):
            for ip in self.addresses(srv.target):
                out.append((proto, ip, srv.port))
        return out

    def sip_resolvehost(self, host, port=0, proto=None, sips=False,
                        supported=None):
        """Ordered ``(proto, ip, port)`` list for a SIP host (module doc)."""
        if sips:
            proto = PROTO_TLS
        bare = host.strip("[]")
        ip = literal_ip(bare)
        # a numeric IP, a port, or a name of the hosts file: no NAPTR/SRV
        if ip is not None or port or bare.lower().rstrip(".") in self.hosts:
            p = proto or PROTO_UDP
            ips = [ip] if ip is not None else self.addresses(bare)
            return [(p, a, port or default_port(p)) for a in ips]
        if proto:
            prefix = SRV_PREFIX.get(proto)
            dests = self._srv_dests(prefix + bare, proto) if prefix else []
            if dests:
                return dests
        else:
            dests = []
            for p, repl in naptr_order(self.lookup(bare, M.NAPTR), sips,
                                       supported):
                dests.extend(d for d in self._srv_dests(repl, p)
                             if d not in dests)
            if dests:
                return dests
            for p in (PROTO_UDP, PROTO_TCP, PROTO_TLS):
                if supported is not None and p not in supported:
                    continue
                dests = self._srv_dests(SRV_PREFIX[p] + bare, p)
                if dests:
                    return dests
            proto = PROTO_UDP
        return [(proto, a, default_port(proto))
                for a in self.addresses(bare)]


# --- helpers ------------------------------------------------------------------
def _same(a, b):
    return a.rstrip(".").lower() == b.rstrip(".").lower()


def _answer_for(reply, name, qtype):
    """(records, min ttl, cname) of *name*/*qtype* in *reply*'s answers."""
    want, records, ttl, cname = name, [], 2 ** 31, None
    for _ in range(MAX_CNAME_CHAIN + 1):
        hit = [rr for rr in reply.answers
               if rr.rtype == qtype and _same(rr.name, want)]
        if hit:
            records = [rr.data for rr in hit]
            ttl = min([ttl] + [rr.ttl for rr in hit])
            return records, ttl, None
        alias = [rr for rr in reply.answers
                 if rr.rtype == M.CNAME and _same(rr.name, want)]
        if not alias:
            break
        ttl = min(ttl, alias[0].ttl)
        want = cname = alias[0].data
    return records, ttl, cname


def _neg_ttl(reply):
    """RFC 2308 §5: min(SOA TTL, SOA MINIMUM), or None without an SOA."""
    for rr in reply.authority:
        if rr.rtype == M.SOA:
            return min(rr.ttl, rr.data.minimum)
    return None


def _remaining(cache, name, qtype, now):
    entry = cache.get(name, qtype, now)
    return int(entry.expires - now) if entry is not None else 0
