"""TCP main's connection table (OpenSER ``tcpconn`` hash tables).

Only TCP main holds the table; other processes know a connection by its id
and hold duplicated descriptors.  A connection is found by id or by
``(peer ip, port)``, where the port is either the peer's real port or one
of its aliases (``force_tcp_alias``, ``;alias`` with ``tcp_accept_aliases``).
"""
import itertools

from openser_py.core.ip_addr import PROTO_TCP

# connection states in TCP main
S_CONNECTING = "connecting"    # outgoing connect() in progress
S_IDLE = "idle"                # in TCP main's poll set, waiting for data
S_QUEUED = "queued"            # readable, waiting for a free worker
S_HELD = "held"                # a worker is reading it
S_HANDSHAKE = "handshake"      # accepted TLS connection, handshake running

MAX_ALIASES = 4                # OpenSER TCP_CON_MAX_ALIASES


class TcpConn:
    """One TCP connection as TCP main sees it."""
    __slots__ = ("id", "sock", "peer_ip", "peer_port", "local_ip",
                 "local_port", "lidx", "state", "last_activity", "aliases",
                 "buf", "outgoing", "waiters", "deadline", "worker",
                 "proto", "tls", "keep_until")

    def __init__(self, cid, sock, peer_ip, peer_port, local_ip, local_port,
                 lidx, now, outgoing=False, proto=PROTO_TCP, tls=None):
        self.id = cid
        self.sock = sock
        self.peer_ip = peer_ip
        self.peer_port = peer_port
        self.local_ip = local_ip
        self.local_port = local_port
        self.lidx = lidx                 # index of the SocketInfo, or -1
        self.state = S_IDLE
        self.last_activity = now
        self.aliases = []                # extra peer ports
        self.buf = b""                   # unframed tail of the stream
        self.outgoing = outgoing
        self.waiters = []                # (proc index, seq) while connecting
        self.deadline = 0.0              # connect deadline
        self.worker = None               # worker index while S_HELD
        self.proto = proto               # PROTO_TCP or PROTO_TLS
        self.tls = tls                   # core.tls.pump.TlsPump for TLS
        self.keep_until = 0.0            # not closed idle before (lifetime)

    def fileno(self):
        """The socket's descriptor in TCP main."""
        return self.sock.fileno()

    def describe(self):
        """``{id, ip, port, lidx}`` sent to other processes with the fd."""
        return {"id": self.id, "ip": self.peer_ip, "port": self.peer_port,
                "lip": self.local_ip, "lport": self.local_port,
                "lidx": self.lidx, "proto": self.proto}

    def __repr__(self):
        return "<tcpconn %d %s:%d %s>" % (self.id, self.peer_ip,
                                          self.peer_port, self.state)


def _addr_key(ip, port, proto=PROTO_TCP):
    return (ip.strip("[]").lower(), int(port), int(proto or PROTO_TCP))


class ConnTable:
    """Connections by id and by peer address (real port and aliases)."""

    def __init__(self):
        self._ids = itertools.count(1)
        self.by_id = {}
        self.by_addr = {}

    def __len__(self):
        return len(self.by_id)

    def __iter__(self):
        return iter(list(self.by_id.values()))

    def new_id(self):
        """A fresh connection id (never reused)."""
        return next(self._ids)

    def add(self, conn):
        """Index *conn*; a newer connection to the same address wins."""
        self.by_id[conn.id] = conn
        self.by_addr[_addr_key(conn.peer_ip, conn.peer_port,
                               conn.proto)] = conn

    def get(self, cid):
        """Connection with id *cid* or None."""
        return self.by_id.get(cid)

    def find(self, ip, port, proto=PROTO_TCP):
        """Connection to ``ip:port`` over *proto* (port may be an alias)."""
        return self.by_addr.get(_addr_key(ip, port, proto))

    def add_alias(self, conn, port):
        """Make ``peer_ip:port`` find *conn*; False if it has too many."""
        port = int(port)
        if port == conn.peer_port or port in conn.aliases:
            return True
        if len(conn.aliases) >= MAX_ALIASES:
            return False
        key = _addr_key(conn.peer_ip, port, conn.proto)
        other = self.by_addr.get(key)
        if other is not None and other is not conn and \
                port in other.aliases:
            other.aliases.remove(port)
        conn.aliases.append(port)
        self.by_addr[key] = conn
        return True

    def remove(self, conn):
        """Forget *conn* (address entries only if they still point to it)."""
        self.by_id.pop(conn.id, None)
        for port in [conn.peer_port] + conn.aliases:
            key = _addr_key(conn.peer_ip, port, conn.proto)
            if self.by_addr.get(key) is conn:
                del self.by_addr[key]
