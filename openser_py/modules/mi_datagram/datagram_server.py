"""The MI datagram server loop (OpenSER ``mi_datagram/datagram_fnc.c``).

Theory of operation
-------------------
The master binds the socket (unix datagram or UDP) in ``mod_init``; the
``children_count`` "MI Datagram" processes inherit it and all wait on it.
Each waits with ``select`` (one second, then a heartbeat) and reads with
``MSG_DONTWAIT``, so a datagram taken by a sibling costs nothing.  One
datagram is one request; the reply is one datagram to the sender's address
(1.3.1 format: no trailing empty line), sent from the same socket, waiting
at most ``socket_timeout`` ms for room in the peer's queue.

Errors are answered, never fatal: a datagram larger than
:data:`~openser_py.mi.fmt.MAX_DATAGRAM` bytes or with a bad command line or
bad arguments gets ``400 parse error in command``, an unknown command
``500 command not available``, a handler that fails ``500 command
failed``, a reply too large for one datagram ``500 Internal server error``.
A sender without an address (an unbound unix socket) cannot be answered.
"""
import errno
import select
import socket
import time

from openser_py.core import pt
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.mi import fmt, mi
from openser_py.mi.mi_core import sync_debug
from openser_py.mi.tree import MI_ASYNC_RPL_FLAG, MI_NO_INPUT_FLAG

RECV_BUF = 1 << 17      # read more than MAX_DATAGRAM to see oversized ones


def send_dgram(sock, addr, text, timeout_ms):
    """Send *text* to *addr*, waiting at most *timeout_ms*; True if sent."""
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    deadline = time.monotonic() + timeout_ms / 1000.0
    while True:
        try:
            sock.sendto(data, socket.MSG_DONTWAIT, addr)
            return True
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            LM_ERR("cannot send the MI reply to %r: %s", addr,
                   exc.strerror or exc)
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            LM_ERR("MI reply to %r not sent within %d ms: dropped", addr,
                   timeout_ms)
            return False
        time.sleep(min(left, 0.01))


class DatagramAsyncHandler:
    """Async reply handle for MI_ASYNC_RPL_FLAG commands: picklable, usable
    from any process (``reply(root)``; None sends ``500 command failed``)."""

    def __init__(self, family, addr, indent, timeout_ms):
        self.family = family
        self.addr = addr
        self.indent = indent
        self.timeout_ms = timeout_ms

    def reply(self, root, done=True):
        text = "500 command failed\n" if root is None else \
            fmt.encode_reply(root, self.indent, final_empty_line=False)
        from openser_py.modules.mi_datagram import _state
        if _state.sock is not None:     # inherited: replies come from it
            return send_dgram(_state.sock, self.addr, text, self.timeout_ms)
        with socket.socket(self.family, socket.SOCK_DGRAM) as s:
            return send_dgram(s, self.addr, text, self.timeout_ms)


def handle_datagram(data, indent="\t", async_hdl=None):
    """Answer one request datagram; return the reply text or None (async).

    Pure apart from running the command: the transport sends the result.
    """
    try:
        cmd_name, read_line = fmt.parse_datagram(data)
    except fmt.MiParseError as exc:
        LM_ERR("bad MI datagram: %s", exc)
        return fmt.transport_error("parse")
    cmd = mi.lookup_mi_cmd(cmd_name)
    if cmd is None:
        LM_ERR("MI datagram command %s is not available", cmd_name)
        return fmt.transport_error("not_available")
    args = []
    if not cmd.flags & MI_NO_INPUT_FLAG:
        try:
            args = fmt.parse_arg_lines(read_line, stop_at_empty=False)
        except fmt.MiParseError as exc:
            LM_ERR("MI datagram command %s: parse error: %s", cmd_name, exc)
            return fmt.transport_error("parse")
    LM_DBG("MI datagram: running %s with %d argument(s)", cmd_name,
           len(args))
    rpl = mi.call_mi_cmd(cmd, args, async_hdl)
    if rpl is mi.MI_ROOT_ASYNC_RPL:
        return None
    if rpl is None:
        return fmt.transport_error("failed")
    text = fmt.encode_reply(rpl, indent, final_empty_line=False)
    if len(text.encode("utf-8", "replace")) > fmt.MAX_DATAGRAM:
        LM_ERR("MI reply of %s does not fit in one datagram", cmd_name)
        return fmt.transport_error("internal")
    return text


def serve_one(sock, indent, timeout_ms):
    """Wait up to a second for one datagram and answer it."""
    try:
        ready, _, _ = select.select([sock], [], [], 1.0)
    except InterruptedError:
        return
    if not ready:
        pt.touch()
        return
    try:
        data, addr = sock.recvfrom(RECV_BUF, socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return                      # a sibling took it
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOBUFS, errno.ENOMEM):
            return
        raise
    sync_debug()
    if not addr:
        LM_WARN("MI datagram from an unbound socket: no reply possible")
    hdl = None
    if addr:
        hdl = DatagramAsyncHandler(sock.family, addr, indent, timeout_ms)
    if len(data) > fmt.MAX_DATAGRAM:
        LM_ERR("MI datagram of %d bytes is too big", len(data))
        text = fmt.transport_error("parse")
    else:
        cmd = _peek_cmd(data)
        async_ok = cmd is not None and cmd.flags & MI_ASYNC_RPL_FLAG
        text = handle_datagram(data, indent, hdl if async_ok else None)
    if text is not None and addr:
        send_dgram(sock, addr, text, timeout_ms)
    mi.run_deferred()


def _peek_cmd(data):
    try:
        first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
        return mi.lookup_mi_cmd(fmt.parse_command_line(first)[0])
    except fmt.MiParseError:
        return None


def datagram_loop(sock, indent, timeout_ms):
    """The MI Datagram process: serve requests until SIGTERM."""
    failures = 0
    while True:
        try:
            serve_one(sock, indent, timeout_ms)
            failures = 0
        except Exception as exc:  # noqa: BLE001 - the server lives on
            failures += 1
            LM_WARN("MI datagram request failed: %s: %s",
                    type(exc).__name__, exc)
            if failures > 3:
                time.sleep(0.1)
