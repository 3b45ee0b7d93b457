"""MI over mi_datagram, client side (what ``openserunix`` does).

A unix socket server is reached from a private socket bound at
``/tmp/OpenSER.<pid>.<random>`` (removed afterwards); a UDP server
(``udp:host:port``) from a connected ephemeral UDP socket.  One datagram
out, one datagram back, within *timeout* seconds.
"""
import errno
import os
import socket
import uuid

from openser_py.ctl.mi_client import (DEFAULT_TIMEOUT, MiTimeout,
                                      MiUnreachable)
from openser_py.mi import fmt

RECV_BUF = 1 << 17
_UNREACHABLE = (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTDIR,
                errno.EACCES, errno.ENOTSOCK, errno.EPROTOTYPE)


def _target(address):
    if isinstance(address, tuple):
        return socket.AF_INET, address
    if address[:4].lower() == "udp:":
        host, _, port = address[4:].rpartition(":")
        try:
            info = socket.getaddrinfo(host.strip("[]"), int(port), 0,
                                      socket.SOCK_DGRAM)
        except (ValueError, socket.gaierror) as exc:
            raise MiUnreachable("bad address %r: %s" % (address, exc)) \
                from None
        return info[0][0], info[0][4]
    if address[:5].lower() == "unix:":
        address = address[5:]
    return socket.AF_UNIX, address


def _bind_private(sock, tmp_dir="/tmp"):
    for _ in range(20):
        path = os.path.join(tmp_dir, "OpenSER.%d.%s" % (
            os.getpid(), uuid.uuid4().hex[:6]))
        try:
            sock.bind(path)
            return path
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    raise OSError(errno.EADDRINUSE, "no free private socket name")


def datagram_request(address, request, timeout=DEFAULT_TIMEOUT):
    """Send *request* (text or bytes) as one datagram to *address* (unix
    path, ``udp:host:port`` or a ``(host, port)`` tuple); return the reply
    text.  Raises MiUnreachable or MiTimeout."""
    family, addr = _target(address)
    data = request.encode("utf-8") if isinstance(request, str) else request
    sock = socket.socket(family, socket.SOCK_DGRAM)
    private = None
    try:
        if family == socket.AF_UNIX:
            private = _bind_private(sock)
        sock.settimeout(timeout)
        try:
            sock.connect(addr)
            sock.send(data)
            reply = sock.recv(RECV_BUF)
        except socket.timeout:
            raise MiTimeout("no reply from %s within %.1fs"
                            % (address, timeout)) from None
        except OSError as exc:
            if exc.errno in _UNREACHABLE:
                raise MiUnreachable("cannot reach %s: %s"
                                    % (address, exc.strerror)) from None
            raise
        return reply.decode("utf-8", "replace")
    finally:
        sock.close()
        if private:
            try:
                os.unlink(private)
            except OSError:
                pass


def datagram_cmd(address, cmd, args=(), timeout=DEFAULT_TIMEOUT,
                 indent="\t"):
    """Run *cmd* with *args* (values or ``(name, value)`` pairs) through
    mi_datagram; return the parsed :class:`~openser_py.mi.tree.MiRoot`."""
    text = datagram_request(address, fmt.build_request(cmd, args), timeout)
    return fmt.parse_reply(text, indent)
