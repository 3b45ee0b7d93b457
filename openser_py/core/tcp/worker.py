"""TCP workers (``TCP receiver``): read, frame, run ``receive_msg``.

A worker gets one connection at a time from TCP main (fd + the unframed
tail of its stream), reads whatever the kernel already has without ever
waiting for more, hands every complete message to the message handler
(``receive_msg``), and gives the connection back with the new unframed tail
(see "Partial messages" in the package docstring).
"""
import select
import socket

from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.ip_addr import PROTO_TCP, ReceiveInfo
from openser_py.core.tcp import ipc, send
from openser_py.parser.errors import SipParseError
from openser_py.parser.msg import parse_msg, skip_keepalive, stream_frame

RECV_CHUNK = 65536             # bytes per recv()
MAX_READS = 16                 # recv() calls per dispatch (fairness)
IDLE_WAKEUP_MS = 1000          # prune the send cache when nothing happens
CHAN_TIMEOUT = 5.0             # bound on a report to TCP main


class TcpReceiveInfo(ReceiveInfo):
    """``msg.rcv`` for a message that came over TCP: adds ``conn_id``.

    ``conn_id`` is OpenSER's ``rcv.proto_reserved1``: pass it to
    :func:`~openser_py.core.tcp.tcp_send` (replies on the same connection)
    and :func:`~openser_py.core.tcp.tcp_add_alias` (``force_tcp_alias``).
    ``tls`` is the connection's TLS details for the tlsops module
    (:mod:`openser_py.core.tls.certinfo`), None on plain TCP.
    """
    __slots__ = ("conn_id", "tls")

    def __init__(self, src_ip, src_port, dst_ip, dst_port, sock, conn_id,
                 proto=PROTO_TCP, tls=None):
        super().__init__(src_ip, src_port, dst_ip, dst_port, proto, sock)
        self.conn_id = conn_id
        self.tls = tls


def _default_handler():
    # lazy: the receive path imports half the core
    from openser_py.core.receive import receive_msg
    return receive_msg


def _make_rcv(state, hdr):
    lidx = hdr.get("lidx", -1)
    si = state.sockets[lidx] if 0 <= lidx < len(state.sockets) else None
    return TcpReceiveInfo(hdr["ip"], hdr["port"], hdr.get("lip") or "",
                          hdr.get("lport") or 0, si, hdr["id"],
                          hdr.get("proto") or PROTO_TCP, hdr.get("tls"))


def _check_alias(frame, rcv):
    """``tcp_accept_aliases``: a first Via with ``;alias`` aliases the conn."""
    if b"alias" not in frame:
        return
    try:
        via1 = parse_msg(frame, stream=True).via1
    except SipParseError:
        return
    marker = object()
    if via1 is None or via1.get_param("alias", marker) is marker:
        return
    port = via1.port or 5060
    if port != rcv.src_port:
        send.tcp_add_alias(rcv.conn_id, port, rcv.src_ip)


def deliver_frames(buf, rcv, handler, max_size, accept_aliases=False):
    """Hand every complete message at the head of *buf* to *handler*.

    *buf* (a bytearray) is consumed in place: what is left is the start of
    an incomplete message (leading keep-alive CR/LFs are dropped).  Raises
    SipParseError when the stream cannot be framed (the caller closes the
    connection).  Returns the number of messages delivered.
    """
    count = 0
    while True:
        n = stream_frame(buf, max_size)
        if n is None:
            skip = skip_keepalive(buf)
            if skip:
                del buf[:skip]
            return count
        frame = bytes(buf[skip_keepalive(buf):n])
        del buf[:n]
        count += 1
        if accept_aliases:
            _check_alias(frame, rcv)
        try:
            handler(frame, rcv)
        except Exception as exc:  # noqa: BLE001 - one message, not the worker
            LM_ERR("tcp worker: message from %s:%d failed: %s: %s",
                   rcv.src_ip, rcv.src_port, type(exc).__name__, exc)


def serve_connection(state, hdr, raw, fd, handler):
    """Read connection *fd* without blocking; return the report for main.

    Returns ``(report header, unframed tail)``.  The report's ``st`` is
    ``ok`` (give the connection back), ``eof`` (peer closed) or ``err``
    (read error, unframeable or oversize stream: close it).
    """
    cfg = state.cfg
    sock = socket.socket(fileno=fd)
    status, why, nread = "ok", None, 0
    buf = bytearray(raw)
    try:
        sock.setblocking(False)
        rcv = _make_rcv(state, hdr)
        send.cache_connection(hdr, sock)
        for _ in range(MAX_READS):
            try:
                chunk = sock.recv(RECV_CHUNK)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                status, why = "err", "read error: %s" % exc
                break
            if not chunk:
                status = "eof"
                break
            nread += len(chunk)
            buf += chunk
            try:
                deliver_frames(buf, rcv, handler, cfg.buf_size,
                               cfg.accept_aliases)
            except SipParseError as exc:
                LM_WARN("tcp worker: closing connection from %s:%d: %s (%d)",
                        rcv.src_ip, rcv.src_port, exc.reason, exc.status)
                status, why = "err", exc.reason
                break
    finally:
        sock.close()
    if status != "ok":
        buf = b""
    report = {"op": "done", "id": hdr.get("id"), "st": status, "n": nread}
    if why:
        report["why"] = why[:200]
    return report, bytes(buf)


def tcp_worker_loop(state, idx, handler=None, stop=None):
    """Body of TCP worker *idx* (``TCP receiver``); returns only on *stop()*
    or when TCP main is gone.

    *handler(frame: bytes, rcv: TcpReceiveInfo)* defaults to
    ``openser_py.core.receive.receive_msg`` (imported on first use).
    """
    from openser_py.core.tcp.state import tcp_child_init
    if state.role == "master":
        pidx = state.worker_procs[idx] if idx < len(state.worker_procs) \
            else None
        tcp_child_init(pidx, worker_idx=idx, state=state)
    elif state.role != "worker" or state.worker_idx != idx:
        raise RuntimeError("tcp_worker_loop(%d) in a process initialised as "
                           "%s %r" % (idx, state.role, state.worker_idx))
    chan = state.worker_chans[idx][1]
    chan.settimeout(CHAN_TIMEOUT)       # recv only after poll(); bounded send
    poller = select.poll()
    poller.register(chan, select.POLLIN)
    from openser_py.core import reload   # new routing script between messages
    gen = reload.generation_cell()
    seen = reload.seen()
    while stop is None or not stop():
        if gen is not None and gen[0] != seen:
            seen = reload.switch()
        if not poller.poll(IDLE_WAKEUP_MS):
            send.prune_cache()
            continue
        try:
            msg = ipc.recv_msg(chan, ipc.MAX_IPC)
        except (BlockingIOError, InterruptedError, TimeoutError):
            continue
        except ipc.IpcError as exc:
            LM_ERR("tcp worker %d: %s", idx, exc)
            continue
        if msg is None:
            LM_ERR("tcp worker %d: TCP main is gone: exiting", idx)
            return
        hdr, raw, fd = msg
        if fd is None or hdr.get("op") != "read":
            continue
        if handler is None:
            handler = _default_handler()
        report, tail = serve_connection(state, hdr, raw, fd, handler)
        LM_DBG("tcp worker %d: conn %s %s, %d bytes read", idx, hdr.get("id"),
               report["st"], report["n"])
        try:
            ipc.send_msg(chan, report, tail)
        except OSError as exc:
            LM_ERR("tcp worker %d: cannot report to TCP main: %s", idx, exc)
            return
