"""Messages between TCP main and the other processes (unix socketpairs).

Every channel is one ``AF_UNIX``/``SOCK_SEQPACKET`` socketpair: reliable,
ordered, message boundaries kept (one ``send`` is one ``recv``), and the
peer's death shows as an empty read.  A message is::

    !H header length | JSON header (a small dict) | raw payload bytes

optionally with one file descriptor attached (``SCM_RIGHTS`` through
``socket.send_fds``/``socket.recv_fds``).  The raw payload carries the
unframed tail of a connection's stream (at most ``BUF_SIZE`` bytes) between
TCP main and a worker; requests and answers have none.

JSON keeps the format readable in ``strace`` and costs a few microseconds
per message, negligible next to the fd passing itself.
"""
import json
import os
import socket
import struct

from openser_py.parser.limits import MAX_MSG_SIZE

BUF_SIZE = MAX_MSG_SIZE               # OpenSER BUF_SIZE: one SIP message
MAX_IPC = BUF_SIZE + 8192             # largest message on a channel
SMALL_IPC = 4096                      # requests/answers without payload
_CHAN_BUF = 4 * MAX_IPC               # SO_SNDBUF/SO_RCVBUF of a channel
_HDR = struct.Struct("!H")
_NOSIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)


class IpcError(OSError):
    """A malformed or truncated message on a channel."""


def channel_pair():
    """A new ``(main_end, child_end)`` SEQPACKET socketpair (inheritable)."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for s in (a, b):
        for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            try:
                s.setsockopt(socket.SOL_SOCKET, opt, _CHAN_BUF)
            except OSError:
                pass
        s.set_inheritable(True)
    return a, b


def encode(hdr, raw=b""):
    """Serialize header dict *hdr* and payload *raw* to one message."""
    h = json.dumps(hdr, separators=(",", ":")).encode("ascii")
    return b"".join((_HDR.pack(len(h)), h, raw))


def decode(data):
    """``(header dict, payload bytes)`` of one message; IpcError if bad."""
    try:
        (n,) = _HDR.unpack_from(data)
        hdr = json.loads(data[2:2 + n])
    except (struct.error, ValueError) as exc:
        raise IpcError("bad tcp ipc message: %s" % exc) from None
    if not isinstance(hdr, dict):
        raise IpcError("bad tcp ipc message: header is not a dict")
    return hdr, data[2 + n:]


def send_msg(sock, hdr, raw=b"", fd=None):
    """Send one message, with file descriptor *fd* attached if given.

    Raises OSError (BlockingIOError on a full non-blocking channel,
    BrokenPipeError when the peer is gone).
    """
    data = encode(hdr, raw)
    if fd is None:
        sock.send(data, _NOSIGNAL)
    else:
        socket.send_fds(sock, [data], [fd], _NOSIGNAL)


def recv_msg(sock, bufsize=MAX_IPC):
    """Receive one message: ``(hdr, raw, fd or None)``, or None at EOF.

    Extra or unexpected descriptors are closed, so nothing leaks.  Raises
    BlockingIOError when nothing is waiting on a non-blocking channel and
    IpcError on a truncated or malformed message.
    """
    data, fds, flags, _ = socket.recv_fds(sock, bufsize, 2)
    fd = fds[0] if fds else None
    for extra in fds[1:]:
        _close_fd(extra)
    if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        _close_fd(fd)
        raise IpcError("truncated tcp ipc message (flags 0x%x)" % flags)
    if not data:
        _close_fd(fd)
        return None
    try:
        hdr, raw = decode(data)
    except IpcError:
        _close_fd(fd)
        raise
    return hdr, raw, fd


def _close_fd(fd):
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass


def close_quietly(sock):
    """Close a socket object (or None), ignoring errors."""
    if sock is None:
        return
    try:
        sock.close()
    except OSError:
        pass
