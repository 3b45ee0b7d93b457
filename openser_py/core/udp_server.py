"""The UDP transport (OpenSER ``udp_server.c``): receive loop and sendto.

Every UDP listen socket is bound once by the master and inherited by its
``children`` receiver processes, which all block in ``recvfrom`` on the
same descriptor; the kernel hands each datagram to exactly one of them.
:func:`udp_rcv_loop` is what such a process runs after ``child_init``:

* ``recvfrom(BUF_SIZE)`` -- one datagram is one SIP message;
* datagrams shorter than ``MIN_UDP_PACKET`` (NAT keep-alives: CRLFs,
  zero bytes, STUN probes...) are dropped silently, as OpenSER does;
* everything else goes to :func:`openser_py.core.receive.receive_msg` with
  a :class:`ReceiveInfo` (source address, the socket's own address, proto
  UDP, the :class:`SocketInfo`), which never raises;
* ``EINTR`` (a signal) and transient errors just loop; a socket that is
  gone (``EBADF``, ``ENOTSOCK``) ends the loop with an error log.

``stop`` (tests) is a callable checked between datagrams; give the socket a
timeout (``settimeout``) so that it is checked while no traffic arrives.

Reload (:mod:`openser_py.core.reload`): between two datagrams the loop
reads the shm generation cell (one integer read) and switches to a newly
published routing script when it changed.  So that an idle receiver
switches too, a blocking socket gets ``SO_RCVTIMEO`` of
:data:`RELOAD_POLL` seconds (receive side only: senders are unaffected).

:func:`udp_send` is the UDP branch of :func:`forward.msg_send` (installed
by ``forward.transport_send``).  It imports nothing from the SIP layers so
that ``forward`` can import it at module level.
"""
import errno
import socket
import struct

from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.ip_addr import PROTO_UDP, ReceiveInfo

__all__ = ["udp_rcv_loop", "udp_send", "BUF_SIZE", "MIN_UDP_PACKET"]

BUF_SIZE = 65535          # largest datagram read (OpenSER BUF_SIZE)
MIN_UDP_PACKET = 20       # shorter datagrams are dropped silently (config.h)

_RETRY = frozenset((errno.EINTR, errno.EAGAIN, errno.EWOULDBLOCK,
                    errno.ECONNREFUSED, errno.ENOBUFS, errno.ENOMEM))
_CRLF = (b"\r", b"\n")
_FATAL = frozenset((errno.EBADF, errno.ENOTSOCK, errno.EINVAL))
RELOAD_POLL = 1           # s: longest an idle receiver waits to switch


def udp_send(send_sock, ip, port, data):
    """Send *data* to ``(ip, port)`` from the listen socket *send_sock*.

    Returns True; raises ``OSError`` on failure (``msg_send`` logs it and
    returns ``E_SEND``); False when *send_sock* has no bound socket.
    """
    sock = send_sock.sock if send_sock is not None else None
    if sock is None:
        LM_ERR("no bound UDP socket to send %d bytes to %s:%d",
               len(data), ip, port)
        return False
    sock.sendto(data, (ip, port))
    return True


def udp_rcv_loop(sock_info, stop=None):
    """Receive on ``sock_info.sock`` and process every datagram.

    Runs until ``stop()`` returns true (checked between datagrams and on
    socket timeouts) or the socket becomes unusable; forever otherwise.
    """
    from openser_py.core import reload
    from openser_py.core.receive import receive_msg
    sock = sock_info.sock
    recvfrom = sock.recvfrom
    dst_ip, dst_port = sock_info.ip, sock_info.port
    gen = reload.generation_cell()
    seen = reload.seen()
    if gen is not None and sock.gettimeout() is None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                            struct.pack("ll", RELOAD_POLL, 0))
        except OSError:
            pass
    while stop is None or not stop():
        if gen is not None and gen[0] != seen:
            seen = reload.switch()
        try:
            data, addr = recvfrom(BUF_SIZE)
        except socket.timeout:
            continue
        except OSError as exc:
            if exc.errno in _RETRY:
                continue
            LM_ERR("recvfrom on %s failed: %s", sock_info, exc)
            if exc.errno in _FATAL or exc.errno is None:
                return
            continue
        if len(data) < MIN_UDP_PACKET or (data[:1] in _CRLF
                                          and not data.strip(b"\r\n")):
            LM_DBG("probing packet received from %s:%d, len = %d",
                   addr[0], addr[1], len(data))
            continue
        receive_msg(data, ReceiveInfo(addr[0], addr[1], dst_ip, dst_port,
                                      PROTO_UDP, sock_info))
