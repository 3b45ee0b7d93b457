"""Stateless forwarding and the one place that sends SIP (OpenSER ``forward.c``).

Everything that leaves the server goes through :func:`msg_send`, which hands
the bytes to the installed *sender*: by default :func:`transport_send` (UDP
``sendto`` on the listen socket, TCP/TLS through ``openser_py.core.tcp``);
``openser --trace-msg`` and tests install a recorder.  Stateless request
forwarding counts ``core:fwd_requests``/``drop_requests``.  Destinations
are resolved here: a URI or ``[proto:]host[:port]`` becomes
``(proto, ip, port)`` through :mod:`openser_py.core.resolve` (RFC 3263:
NAPTR -> SRV -> A/AAAA, doc/dev/dns.md).
"""
from openser_py.core import resolve as _resolve
from openser_py.core.core_stats import stats as _core_stats
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.errors import (E_BAD_ADDRESS, E_IP_BLOCKED, E_NO_SOCKET,
                                    E_SEND)
from openser_py.core.ip_addr import (AF_INET6, PROTO_BY_NAME, PROTO_NAMES,
                                     PROTO_TCP, PROTO_TLS, PROTO_UDP, af_of)
from openser_py.core.udp_server import udp_send
from openser_py.parser import msg_translator
from openser_py.parser.errors import SipParseError

_sockets = []
_tcp_send = None      # openser_py.core.tcp.tcp_send once imported, or False


def transport_send(send_sock, proto, ip, port, data):
    """The default sender: UDP ``sendto``, TCP/TLS ``core.tcp.tcp_send``."""
    global _tcp_send
    if proto == PROTO_UDP:
        return udp_send(send_sock, ip, port, data)
    if proto in PROTO_STREAM:
        if _tcp_send is None:
            try:
                from openser_py.core.tcp import tcp_send as _tcp_send
            except ImportError as exc:
                LM_ERR("TCP/TLS transport unavailable: %s", exc)
                _tcp_send = False
        if _tcp_send is False:
            LM_ERR("no TCP/TLS support: cannot send to %s:%d", ip, port)
            return False
        # tcp_send(send_sock, ip, port, data, conn_id=None): the connection
        # to ip:port (or aliased to it) is found or opened by TCP main
        ret = _tcp_send(send_sock, ip, port, data)
        return ret is not False and (ret.__class__ is not int or ret >= 0)
    LM_ERR("cannot send over %s", PROTO_NAMES.get(proto, proto))
    return False


_sender = transport_send


def set_sender(fn):
    """Install ``fn(send_sock, proto, ip, port, data) -> bool``.

    Returns the previous sender.  The default is :func:`transport_send`;
    tests install a recorder.
    """
    global _sender
    old, _sender = _sender, fn
    return old


def set_sockets(sockets):
    """The listening sockets outgoing messages may be sent from."""
    global _sockets
    _sockets = list(sockets)


def get_sockets():
    """The current listening sockets."""
    return _sockets


def get_send_socket(proto, af, force=None):
    """The socket to send from: *force* if given, else the first that matches."""
    if force is not None:
        return force
    for s in _sockets:
        if s.proto == proto and s.af == af:
            return s
    for s in _sockets:
        if s.proto == proto:
            return s
    return None


def msg_send(send_sock, proto, ip, port, data):
    """Send *data*; return 1 or ``E_SEND``."""
    if _sender is None:
        LM_ERR("no transport to send %d bytes to %s:%s:%d", len(data),
               PROTO_NAMES.get(proto, "?"), ip, port)
        return E_SEND
    try:
        ok = _sender(send_sock, proto, ip, port, data)
    except OSError as exc:
        LM_ERR("send to %s:%d failed: %s", ip, port, exc)
        return E_SEND
    return 1 if ok is not False else E_SEND


def resolve(host):
    """First IP for *host* (IPv6 brackets allowed) or None (A/AAAA)."""
    return _resolve.resolvehost(host)


def uri2dest(uri_text):
    """``(proto, ip, port)`` for a SIP URI; raises ValueError if unusable.

    A URI whose target (maddr or host) is a numeric IP resolves without
    DNS to a value that depends on its text alone (RFC 3263 §4.1/§4.2:
    transport parameter or UDP/TLS, the port or the default one), so it
    is remembered per process (:data:`_LITERAL_DESTS`): proxies relay
    most in-dialog requests and every ``$du`` of this kind.
    """
    dest = _LITERAL_DESTS.get(uri_text)
    if dest is not None:
        LM_DBG("%s resolves to %s", uri_text, [dest])
        return dest
    dests = _resolve.uri_destinations(uri_text)     # RFC 3263
    if not dests:
        raise ValueError("cannot resolve %s" % uri_text)
    if _literal_target(uri_text):
        if len(_LITERAL_DESTS) >= _LITERAL_MAX:
            _LITERAL_DESTS.clear()
        _LITERAL_DESTS[uri_text] = dests[0]
    return dests[0]


#: uri text -> (proto, ip, port) of URIs with a numeric target (uri2dest)
_LITERAL_DESTS = {}
_LITERAL_MAX = 4096


def _literal_target(uri_text):
    """True if the SIP URI's target (maddr, else host) is a numeric IP."""
    from openser_py.core.dns.resolver import literal_ip
    from openser_py.parser.parse_uri import parse_uri
    try:
        uri = parse_uri(uri_text)
    except (SipParseError, ValueError):
        return False
    if uri.scheme not in ("sip", "sips"):
        return False
    return literal_ip(uri.maddr or uri.host or "") is not None


def parse_hostport(text):
    """``[proto:]host[:port]`` -> ``(proto or None, host, port or 0)``."""
    proto = None
    rest = text.strip()
    head, sep, tail = rest.partition(":")
    if sep and head.lower() in PROTO_BY_NAME and not head.startswith("["):
        proto, rest = head.lower(), tail
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise ValueError("bad IPv6 reference in %r" % text)
        host, rest = rest[:end + 1], rest[end + 1:]
        port = int(rest[1:]) if rest.startswith(":") else 0
    elif rest.count(":") == 1:
        host, p = rest.split(":")
        port = int(p)
    else:
        host, port = rest, 0
    if not host or not 0 <= port <= 65535:
        raise ValueError("bad destination %r" % text)
    return proto, host, port


def forward_request(msg, dest=None, send_sock=None):
    """Stateless forward (``forward()``): to *dest* or ``$du``/the R-URI.

    *dest* is ``(proto, ip, port)``.  Adds our Via with the stateless
    branch (reference §17.2) and ``received``/``rport`` to the sender's.
    Returns 1 or a negative error.
    """
    uri_dest = dest is None
    if dest is None:
        target = msg.dst_uri or (msg.new_uri if msg.new_uri is not None
                                 else msg.ruri)
        try:
            dest = uri2dest(target)
        except (ValueError, SipParseError) as exc:
            LM_ERR("bad destination %r: %s", target, exc)
            return E_BAD_ADDRESS
    proto, ip, port = dest
    if msg.ctx.get("blacklists"):
        from openser_py.core import blacklist
        why = blacklist.check(msg, proto, ip, port)
        if why is not None:
            LM_ERR("destination %s:%d blocked by blacklist (%s)", ip, port, why)
            return E_IP_BLOCKED
    sock = get_send_socket(proto, af_of(ip),
                           send_sock or msg.force_send_socket)
    if sock is None:
        LM_ERR("no socket for %s to %s", PROTO_NAMES.get(proto, "?"), ip)
        return E_NO_SOCKET
    ctx = msg.ctx
    outbound = ctx.get("rr.outbound")      # rr: double Record-Route
    if outbound is not None:
        outbound(msg, sock)
    host = ctx.get("adv_address") or sock.adv_address or sock.ip
    vport = ctx.get("adv_port") or sock.adv_port or sock.port
    branch = msg_translator.build_stateless_branch(msg)
    extra = ";rport" if ctx.get("force_local_rport") else ""
    via = msg_translator.make_via(PROTO_NAMES[proto], host, vport, branch,
                                  extra_params=extra,
                                  force_port=bool(sock.adv_port))
    try:
        data = msg_translator.build_req_buf(
            msg, via=via, force_rport=bool(ctx.get("force_rport")),
            proto=PROTO_NAMES[proto])
    except SipParseError as exc:
        LM_ERR("cannot build the request: %s", exc.reason)
        return E_SEND
    ret = msg_send(sock, proto, ip, port, data)
    if ret != 1 and uri_dest and _resolve.stateless_failover(
            target, dest, sock, data, msg_send):
        ret = 1                     # DNS failover: next address, same socket
    if ret == 1:
        _core_stats.fwd_requests.inc()
    else:
        _core_stats.drop_requests.inc()
    return ret


def forward_reply(msg):
    """Stateless reply forwarding: strip our Via, send to the next one."""
    via2 = msg.via2
    if via2 is None:
        LM_ERR("no second Via in reply: nothing to forward to")
        return E_BAD_ADDRESS
    try:
        data = msg_translator.build_res_buf(msg)
    except SipParseError as exc:
        LM_ERR("cannot build the reply: %s", exc.reason)
        return E_SEND
    proto = PROTO_BY_NAME.get(via2.transport.lower(), PROTO_UDP)
    host = via2.received or via2.maddr or via2.host
    port = via2.port or (5061 if proto == PROTO_TLS else 5060)
    if via2.rport:
        try:
            port = int(via2.rport)
        except ValueError:
            pass
    ip = resolve(host)
    if ip is None:
        LM_ERR("cannot resolve reply destination %s", host)
        return E_BAD_ADDRESS
    sock = get_send_socket(proto, AF_INET6 if ":" in ip else af_of(ip))
    return msg_send(sock, proto, ip, port, data)


def send_unchanged(msg, dest, send_sock=None):
    """``send()``: the received bytes, unchanged, to *dest*."""
    proto, ip, port = dest
    sock = get_send_socket(proto, af_of(ip), send_sock)
    return msg_send(sock, proto, ip, port, bytes(msg.buf))


def reply_to(msg, data):
    """Send a locally built reply for request *msg* back to its source.

    As OpenSER's ``update_sock_struct_from_ip`` (``reply_to_via=0``): to
    the source IP, from the socket the request arrived on; over UDP to the
    source port only when Via1 has ``rport`` or ``force_rport()`` was
    used, else to Via1's port (5060 when it has none) -- RFC 3261 §18.2.2
    with RFC 3581.  Over TCP/TLS the transport finds the connection.
    Something that never parsed (a 400 for garbage, no ``via1``) goes back
    to the source port.  Returns 1 or a negative error.
    """
    rcv = msg.rcv
    if rcv is None:
        LM_ERR("no receive information: cannot send the reply")
        return E_SEND
    proto, ip, port = reply_dest(msg)
    return msg_send(rcv.sock, proto, ip, port, data)


def reply_dest(msg):
    """``(proto, ip, port)`` a local reply to request *msg* goes to (see
    :func:`reply_to`); None without receive information."""
    rcv = msg.rcv
    if rcv is None:
        return None
    port = rcv.src_port
    if rcv.proto == PROTO_UDP:
        via = getattr(msg, "via1", None)
        if (via is not None and via.rport is None
                and not msg.ctx.get("force_rport")):
            port = via.port or 5060
    return rcv.proto, rcv.src_ip, port


PROTO_STREAM = (PROTO_TCP, PROTO_TLS)
