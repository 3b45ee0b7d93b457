"""DNS resolution for forwarding: A/AAAA and RFC 3263 NAPTR/SRV (resolve.c).

    from openser_py.core import resolve
    resolve.resolvehost("example.test")            # -> "192.0.2.1" | None
    resolve.sip_resolvehost("example.test")        # -> [(proto, ip, port)...]
    resolve.uri_destinations("sip:bob@example.test;transport=tcp")
    resolve.next_destination(uri, dst_uri, tried)  # tm DNS failover

Everything goes through one per-process :class:`Resolver` built lazily from
the core parameters of the loaded script (``dns_try_ipv6``,
``dns_retr_time``, ``dns_retr_no``, ``dns_servers_no``,
``dns_use_search_list``, ``disable_dns_failover`` and the openser_py
addition ``dns_server``) over ``/etc/resolv.conf`` and ``/etc/hosts``.
The resolver itself (:class:`~openser_py.core.dns.resolver.Resolver`), the
client, the message codec and the cache live in :mod:`openser_py.core.dns`
(stdlib only; see doc/dev/dns.md).

Theory of operation -- RFC 3263 §4 (:meth:`Resolver.sip_resolvehost`)
----------------------------------------------------------------------
1. the host is a numeric IP: used as is (transport from the URI, default
   UDP, TLS for sips; port given or 5060/5061); a name of ``/etc/hosts``
   (``localhost``) is treated the same way with its addresses -- local
   static names have no NAPTR/SRV, and an unreachable name server must
   not delay them;
2. a port is given: A (then AAAA if ``dns_try_ipv6``) only;
3. a transport is given: SRV ``_sip._udp.`` / ``_sip._tcp.`` /
   ``_sips._tcp.`` + host, targets in RFC 2782 order, each target's
   addresses with the SRV port; no SRV record: A/AAAA on the default port;
4. otherwise NAPTR (flag ``s``, services SIP+D2U / SIP+D2T / SIPS+D2T that
   we have a listening socket for; order, preference) and the SRV records
   of each replacement; no usable NAPTR: SRV for the transports we support
   (UDP, TCP, TLS for sips: the first that exists); nothing: A/AAAA on
   5060 (5061 for sips) over UDP (TLS for sips).

The result is the ordered list of every destination the name stands for;
forwarding uses the first and DNS failover walks the rest
(:func:`next_destination`, used by tm through
:mod:`openser_py.core.dns.failover`).
"""
from openser_py.core.dns.client import (load_hosts, load_resolv_conf,
                                        parse_server)
from openser_py.core.dns.resolver import (DEFAULT_CACHE_SIZE, SERVFAIL_TTL,
                                          Resolver, literal_ip)
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.ip_addr import PROTO_BY_NAME, PROTO_TLS, PROTO_UDP

__all__ = ["Resolver", "get_resolver", "configure", "reset",
           "resolvehost", "resolvehost_all", "sip_resolvehost",
           "uri_destinations", "next_destination", "hostport_dest",
           "failover_enabled", "parse_dns_servers", "literal_ip",
           "stateless_failover", "DEFAULT_CACHE_SIZE", "SERVFAIL_TTL"]


def parse_dns_servers(text):
    """``dns_server`` value: ``ip[:port]`` list (comma/space separated)."""
    out = []
    for item in text.replace(",", " ").split():
        out.append(parse_server(item))
    if not out:
        raise ValueError("no name server in %r" % text)
    return out


# --- the per-process resolver ---------------------------------------------
_resolver = None
_bound = None               # the Script whose params built _resolver
_pinned = False             # configure() was called explicitly


_cfgload = None


def _script_params():
    global _cfgload
    if _cfgload is None:
        from openser_py.core import cfgload as _cfgload
    script = _cfgload.current_script
    return script, (script.params if script is not None else {})


def _build(params, resolv_conf=None, hosts=None):
    conf = resolv_conf or load_resolv_conf()
    servers = conf.nameservers
    text = params.get("dns_server")
    if text:
        try:
            servers = parse_dns_servers(text)
        except ValueError as exc:
            LM_ERR("bad dns_server %r: %s (using resolv.conf)", text, exc)
    n = params.get("dns_servers_no")
    if n is not None and n >= 0:
        servers = servers[:n]
    retr_time = params.get("dns_retr_time")
    retr_no = params.get("dns_retr_no")
    use_search = params.get("dns_use_search_list")
    return Resolver(
        servers,
        timeout=retr_time if retr_time and retr_time > 0 else conf.timeout,
        attempts=retr_no if retr_no and retr_no > 0 else conf.attempts,
        search=conf.search, ndots=conf.ndots,
        use_search=use_search is None or use_search < 0 or bool(use_search),
        try_ipv6=bool(params.get("dns_try_ipv6")),
        hosts=load_hosts() if hosts is None else hosts,
        failover=not params.get("disable_dns_failover"))


def get_resolver():
    """This process's :class:`Resolver` (rebuilt when a new cfg loads)."""
    global _resolver, _bound
    if _pinned and _resolver is not None:
        return _resolver
    script, params = _script_params()
    if _resolver is None or script is not _bound:
        _resolver = _build(params)
        _bound = script
    return _resolver


def configure(params=None, resolv_conf=None, hosts=None, resolver=None):
    """Install a resolver built from *params* (or *resolver*) explicitly.

    Tools and tests use it; the server itself relies on the lazy build
    from the loaded script's core parameters.
    """
    global _resolver, _pinned
    _resolver = resolver or _build(params or {}, resolv_conf, hosts)
    _pinned = True
    return _resolver


def reset():
    """Forget the resolver (and its cache): the next use rebuilds it."""
    global _resolver, _bound, _pinned
    _resolver, _bound, _pinned = None, None, False


def failover_enabled():
    """False when ``disable_dns_failover`` is set."""
    return get_resolver().failover


def _supported():
    from openser_py.core import forward
    socks = forward.get_sockets()
    return {s.proto for s in socks} if socks else None


def resolvehost(name):
    """First IP of *name* (A, then AAAA if ``dns_try_ipv6``) or None."""
    ips = get_resolver().addresses(name)
    return ips[0] if ips else None


def resolvehost_all(name):
    """Every IP of *name*, in order."""
    return list(get_resolver().addresses(name))


def sip_resolvehost(host, port=0, proto=None, sips=False):
    """RFC 3263 destinations of a host (module doc); [] if none."""
    return get_resolver().sip_resolvehost(host, port, proto, sips,
                                          _supported())


def uri_destinations(uri_text):
    """Every ``(proto, ip, port)`` a SIP URI resolves to, in order.

    Raises ValueError for a non-SIP URI or a bad transport.
    """
    from openser_py.parser.parse_uri import parse_uri
    uri = parse_uri(uri_text)
    if uri.scheme not in ("sip", "sips"):
        raise ValueError("cannot route to a %s: URI" % uri.scheme)
    tr = (uri.transport or "").lower()
    proto = PROTO_BY_NAME.get(tr, PROTO_UDP) if tr else None
    sips = uri.scheme == "sips"
    host = uri.maddr or uri.host
    dests = sip_resolvehost(host, uri.port_no or 0, proto, sips)
    LM_DBG("%s resolves to %s", uri_text, dests)
    return dests


def hostport_dest(proto_name, host, port):
    """``forward("[proto:]host[:port]")`` fixups: the first destination."""
    proto = PROTO_BY_NAME.get(proto_name) if proto_name else None
    dests = sip_resolvehost(host, port or 0, proto, proto == PROTO_TLS)
    return dests[0] if dests else None


def next_destination(uri, dst_uri, tried):
    """The next address of the name a branch went to, or None.

    *tried* holds the ``(proto, ip, port)`` already used for this
    ``uri``/``dst_uri`` pair (tm reads them from the transaction).  The
    name is resolved again (from this process's cache) and the first
    destination not tried yet is returned.
    """
    if not failover_enabled():
        return None
    try:
        dests = uri_destinations(dst_uri or uri)
    except ValueError:
        return None
    tried = set(tried)
    for d in dests:
        if d not in tried:
            return d
    return None


def stateless_failover(target, first, sock, data, send):
    """``forward()``: *data* could not be sent to *first*; try the others.

    Only the destinations of URI *target* that the same socket *sock* can
    reach (same transport and address family): the request was built with
    its Via.  ``send(sock, proto, ip, port, data)`` is ``forward.msg_send``.
    True when a send succeeded.
    """
    if not failover_enabled():
        return False
    try:
        dests = uri_destinations(target)
    except ValueError:
        return False
    af6 = ":" in first[1]
    for d in dests:
        if d == first or d[0] != first[0] or (":" in d[1]) != af6:
            continue
        LM_WARN("DNS failover: resending to %s:%d", d[1], d[2])
        if send(sock, d[0], d[1], d[2], data) == 1:
            return True
    return False
