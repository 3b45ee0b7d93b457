"""Addresses, sockets and receive information (OpenSER ``ip_addr.h``).

:class:`SocketInfo` describes one listening socket (``listen=``);
:class:`ReceiveInfo` is attached to every received message as ``msg.rcv``
(it feeds ``$si``, ``$sp``, ``$Ri``, ``$Rp``, ``$pr``, ``src_ip`` ... and the
Via ``received``/``rport`` rules).
"""
import socket

PROTO_NONE, PROTO_UDP, PROTO_TCP, PROTO_TLS, PROTO_SCTP = 0, 1, 2, 3, 4
PROTO_NAMES = {PROTO_UDP: "udp", PROTO_TCP: "tcp", PROTO_TLS: "tls",
               PROTO_SCTP: "sctp"}
PROTO_BY_NAME = {v: k for k, v in PROTO_NAMES.items()}
AF_INET = int(socket.AF_INET)      # 2, as the cfg's INET
AF_INET6 = int(socket.AF_INET6)    # 10, as the cfg's INET6


def af_of(ip):
    """AF_INET6 for an address containing ':', else AF_INET."""
    return AF_INET6 if ":" in ip else AF_INET


class SocketInfo:
    """One listening socket: ``proto:ip:port`` plus its names."""
    __slots__ = ("proto", "ip", "port", "name", "af", "adv_address",
                 "adv_port", "sock", "is_lo")

    def __init__(self, proto, ip, port, name=None, adv_address=None,
                 adv_port=None):
        self.proto = proto
        self.ip = ip
        self.port = port
        self.name = name or ip
        self.af = af_of(ip)
        self.adv_address = adv_address
        self.adv_port = adv_port
        self.sock = None
        self.is_lo = ip.startswith("127.") or ip == "::1"

    @property
    def proto_name(self):
        """``udp``, ``tcp``, ``tls`` or ``sctp``."""
        return PROTO_NAMES.get(self.proto, "udp")

    @property
    def address_str(self):
        """The IP as written in headers (IPv6 in brackets)."""
        return "[%s]" % self.ip if self.af == AF_INET6 else self.ip

    def __str__(self):
        """Canonical form used by ps, $fs and usrloc: ``udp:1.2.3.4:5060``."""
        return "%s:%s:%d" % (self.proto_name, self.address_str, self.port)

    __repr__ = __str__


class ReceiveInfo:
    """Where a message came from and on which socket it arrived."""
    __slots__ = ("src_ip", "src_port", "dst_ip", "dst_port", "proto", "af",
                 "sock")

    def __init__(self, src_ip, src_port, dst_ip="", dst_port=0,
                 proto=PROTO_UDP, sock=None):
        self.src_ip = src_ip
        self.src_port = src_port
        self.dst_ip = dst_ip
        self.dst_port = dst_port
        self.proto = proto
        # af_of() written out: one of these is made for every message
        self.af = AF_INET6 if ":" in src_ip else AF_INET
        self.sock = sock

    @property
    def proto_name(self):
        """``udp``, ``tcp``, ``tls`` or ``sctp``."""
        return PROTO_NAMES.get(self.proto, "udp")

    def __repr__(self):
        return "<rcv %s:%s:%d -> %s:%d>" % (self.proto_name, self.src_ip,
                                             self.src_port, self.dst_ip,
                                             self.dst_port)
