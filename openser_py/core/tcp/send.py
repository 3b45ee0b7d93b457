"""Sending over TCP from any process (OpenSER ``tcp_send``).

Each process keeps a small LRU cache of connection descriptors it got from
TCP main (or, in a worker, duplicated from the connection it is reading).
A send looks in the cache (by connection id, then by ``ip:port``), checks
the descriptor is still usable (``poll``: no HUP/ERR, which is what a
connection TCP main closed looks like), else asks TCP main over this
process's channel ("get": find by id, by address or alias, else connect).
The write itself holds the connection's stripe of ``write_locks`` so two
processes never interleave bytes on one stream, and is bounded by
``tcp_send_timeout``.
"""
import collections
import errno
import os
import select
import socket
import time

from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS
from openser_py.core.tcp import ipc

CACHE_MAX = 64                   # cached descriptors per process
PRUNE_INTERVAL = 5.0             # seconds between cache sweeps in tcp_send
RETRY_ERRNOS = (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN,
                errno.ECONNABORTED, errno.EBADF)
_NOSIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)   # EPIPE, never SIGPIPE
_LOCK_TIMEOUT = -1                # another writer held the lock too long
_DEAD = select.POLLHUP | select.POLLERR | select.POLLNVAL

_state = None
_chan = None
_seq = 0
_cache = collections.OrderedDict()     # conn id -> _Cached
_by_addr = {}                          # (ip, port) -> conn id
_last_prune = 0.0


class _Cached:
    __slots__ = ("id", "sock", "addrs", "touched", "proto")

    def __init__(self, cid, sock, proto=PROTO_TCP):
        self.id = cid
        self.sock = sock
        self.addrs = set()
        self.touched = 0.0
        self.proto = proto


def _key(ip, port, proto=PROTO_TCP):
    return (str(ip).strip("[]").lower(), int(port), int(proto or PROTO_TCP))


def init_process(state):
    """Bind this process to *state* (called by ``tcp_child_init``)."""
    global _state, _chan
    clear_cache()
    _state = state
    _chan = state.proc_chan() if state.role != "main" else None
    if _chan is not None:
        _chan.setblocking(False)


def clear_cache():
    """Close every cached descriptor."""
    for entry in list(_cache.values()):
        _drop(entry)


def _drop(entry, why=None):
    """Forget *entry*; with *why*, also ask TCP main to close the conn."""
    _cache.pop(entry.id, None)
    for key in entry.addrs:
        if _by_addr.get(key) == entry.id:
            del _by_addr[key]
    ipc.close_quietly(entry.sock)
    if why is not None:
        _notify({"op": "close", "id": entry.id, "why": why})


def _add(cid, sock, addrs, proto=PROTO_TCP):
    entry = _cache.get(cid)
    if entry is None:
        entry = _Cached(cid, sock, proto)
        _cache[cid] = entry
        while len(_cache) > CACHE_MAX:
            _drop(next(iter(_cache.values())))
    elif entry.sock is not sock:
        ipc.close_quietly(sock)
    _cache.move_to_end(cid)
    for key in addrs:
        entry.addrs.add(key)
        _by_addr[key] = cid
    return entry


def _alive(entry):
    p = select.poll()
    try:
        p.register(entry.sock, select.POLLOUT)
        events = p.poll(0)
    except (OSError, ValueError):
        return False
    return not any(ev & _DEAD for _, ev in events)


def prune_cache():
    """Close cached descriptors of connections that are gone."""
    global _last_prune
    _last_prune = time.monotonic()
    for entry in list(_cache.values()):
        if not _alive(entry):
            _drop(entry)


def cache_connection(hdr, sock):
    """Worker: cache a duplicate of the connection being read (replies)."""
    cid = hdr.get("id")
    if cid is None:
        return
    proto = hdr.get("proto") or PROTO_TCP
    keys = [_key(hdr["ip"], hdr["port"], proto)]
    if cid in _cache:
        _add(cid, _cache[cid].sock, keys)
        return
    try:
        _add(cid, sock.dup(), keys, proto)
    except OSError as exc:
        LM_ERR("tcp: cannot duplicate connection %s: %s", cid, exc)


def _lookup(conn_id, ip, port, proto=PROTO_TCP):
    cid = conn_id if conn_id in _cache else \
        _by_addr.get(_key(ip, port, proto))
    entry = _cache.get(cid) if cid is not None else None
    if entry is None:
        return None
    if not _alive(entry):
        _drop(entry)
        return None
    _cache.move_to_end(entry.id)
    return entry


def _notify(hdr):
    """One-way message to TCP main (no answer); best effort."""
    if _chan is None:
        return
    try:
        ipc.send_msg(_chan, hdr)
    except OSError as exc:
        LM_DBG("tcp: cannot notify TCP main (%s): %s", hdr.get("op"), exc)


def _lidx(send_sock):
    if send_sock is None:
        return None
    for i, si in enumerate(_state.sockets):
        if si is send_sock:
            return i
    for i, si in enumerate(_state.sockets):
        if si.ip == send_sock.ip and si.port == send_sock.port:
            return i
    return None


def _ask(conn_id, ip, port, send_sock, proto=PROTO_TCP):
    """Ask TCP main for a connection (existing or new); entry or None."""
    global _seq
    _seq += 1
    seq = _seq
    src = getattr(send_sock, "ip", None)
    hdr = {"op": "get", "seq": seq, "id": conn_id, "ip": ip, "port": port,
           "connect": True, "lidx": _lidx(send_sock), "src": src,
           "proto": proto}
    try:
        ipc.send_msg(_chan, hdr)
    except OSError as exc:
        LM_ERR("tcp: cannot reach TCP main: %s", exc)
        return None
    wait = _state.cfg.connect_timeout + 1.0
    if proto == PROTO_TLS:               # the handshake comes after connect
        wait += _state.cfg.tls_handshake_timeout
    deadline = time.monotonic() + wait
    poller = select.poll()
    poller.register(_chan, select.POLLIN)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            LM_ERR("tcp: no answer from TCP main for %s:%d", ip, port)
            return None
        if not poller.poll(left * 1000.0):
            continue
        try:
            msg = ipc.recv_msg(_chan, ipc.SMALL_IPC)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError as exc:
            LM_ERR("tcp: channel to TCP main: %s", exc)
            return None
        if msg is None:
            LM_ERR("tcp: TCP main is gone")
            return None
        ans, _, fd = msg
        if ans.get("seq") != seq:           # a late answer to an old request
            if fd is not None:
                os.close(fd)
            continue
        if not ans.get("ok") or fd is None:
            LM_ERR("tcp: no connection to %s:%d: %s", ip, port,
                   ans.get("err", "no descriptor"))
            return None
        sock = socket.socket(fileno=fd)
        sock.setblocking(False)
        aproto = ans.get("proto") or PROTO_TCP
        keys = {_key(ip, port, aproto), _key(ans["ip"], ans["port"], aproto)}
        return _add(ans["id"], sock, keys, aproto)


def _write(entry, data, timeout):
    """Write all of *data*; ``(bytes sent, errno or None)``."""
    lock = _state.write_locks[entry.id]
    deadline = time.monotonic() + timeout
    if not lock.acquire_timeout(timeout):
        return 0, _LOCK_TIMEOUT
    try:
        view = memoryview(data)
        total = len(view)
        sent = 0
        poller = None
        while sent < total:
            try:
                sent += entry.sock.send(view[sent:], _NOSIGNAL)
                continue
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as exc:
                return sent, exc.errno or errno.EIO
            left = deadline - time.monotonic()
            if left <= 0:
                return sent, errno.ETIMEDOUT
            if poller is None:
                poller = select.poll()
                poller.register(entry.sock, select.POLLOUT)
            poller.poll(left * 1000.0)
        return sent, None
    finally:
        lock.release()


def _touch(entry):
    """Tell TCP main the connection is in use (at most every few seconds)."""
    now = time.monotonic()
    if now - entry.touched >= min(1.0, _state.cfg.lifetime / 4.0):
        entry.touched = now
        _notify({"op": "touch", "id": entry.id})


def tcp_send(send_sock, ip, port, data, conn_id=None, proto=None):
    """Send *data* over TCP (or TLS) to ``ip:port``; True on success.

    Callable from any process after ``tcp_child_init``.  *conn_id* (the
    ``rcv.conn_id`` of a received message) selects that connection first;
    otherwise a connection to ``ip:port`` (or aliased to it) is reused, and
    TCP main connects a new one (from *send_sock*'s address) if there is
    none.  A dead cached connection is retried once through TCP main; a
    write that times out (``tcp_send_timeout``) or fails half-way closes the
    connection and returns False.  *proto* (``PROTO_TCP``/``PROTO_TLS``)
    defaults to *send_sock*'s protocol: sending from a TLS socket uses (or
    opens) a TLS connection, whose plaintext side is written here and
    encrypted by TCP main (``tls_send_timeout`` bounds the write).
    """
    if _state is None or _chan is None:
        LM_ERR("tcp_send: TCP is not initialised in this process")
        return False
    if not isinstance(data, (bytes, bytearray, memoryview)):
        data = str(data).encode("latin-1")
    ip = str(ip).strip("[]")
    port = int(port)
    if proto is None:
        proto = getattr(send_sock, "proto", PROTO_TCP)
        if proto not in (PROTO_TCP, PROTO_TLS):
            proto = PROTO_TCP
    timeout = _state.cfg.tls_send_timeout if proto == PROTO_TLS else \
        _state.cfg.send_timeout
    if time.monotonic() - _last_prune > PRUNE_INTERVAL:
        prune_cache()
    for attempt in (1, 2):
        entry = _lookup(conn_id, ip, port, proto)
        if entry is None:
            entry = _ask(conn_id, ip, port, send_sock, proto)
            if entry is None:
                return False
        sent, err = _write(entry, data, timeout)
        if err is None:
            _touch(entry)
            return True
        if err == _LOCK_TIMEOUT:     # not this connection's fault: keep it
            LM_ERR("tcp_send to %s:%d: connection busy for %.1fs", ip, port,
                   timeout)
            return False
        why = "send failed: %s" % errno.errorcode.get(err, err)
        _drop(entry, why)
        if sent or attempt == 2 or err not in RETRY_ERRNOS:
            LM_ERR("tcp_send to %s:%d: %s after %d of %d bytes", ip, port,
                   why, sent, len(data))
            return False
        LM_DBG("tcp_send to %s:%d: %s: retrying", ip, port, why)
        conn_id = None
    return False


def tcp_set_lifetime(conn_id, seconds):
    """Keep connection *conn_id* open for at least *seconds* from now,
    idle or not (OpenSER's ``force_tcp_conn_lifetime``: registrar's
    ``tcp_persistent_flag``).  A shorter value never shortens it."""
    if _state is None or conn_id is None or seconds <= 0:
        return False
    _notify({"op": "lifetime", "id": conn_id, "secs": float(seconds)})
    return _chan is not None


def tcp_add_alias(conn_id, port, ip=None):
    """Alias connection *conn_id* to its peer's *port* (``force_tcp_alias``).

    Later sends to ``peer_ip:port`` from any process reuse the connection.
    """
    if _state is None or conn_id is None:
        return False
    entry = _cache.get(conn_id)
    if entry is not None and ip is not None:
        _add(conn_id, entry.sock, [_key(ip, port, entry.proto)])
    _notify({"op": "alias", "id": conn_id, "port": int(port)})
    return _chan is not None
