"""SIP over TCP, OpenSER style: one TCP main process and TCP workers.

Theory of operation
===================

Processes and descriptors
-------------------------
``tcp_init()`` runs in the master before fork.  It takes the TCP listening
sockets (the master normally bound them: ``SocketInfo.sock``; a socket
whose ``sock`` is None is bound here with SO_REUSEADDR and stored back) and
creates, as ``AF_UNIX``/``SOCK_SEQPACKET`` socketpairs (see :mod:`.ipc`):

* one *worker channel* per TCP worker: TCP main passes a readable
  connection down it (fd with ``SCM_RIGHTS`` + the connection's unframed
  tail), the worker reports back on it when it is done;
* one *request channel* per process index ``0..n_procs-1``: any process
  (UDP receivers, timer, module processes, TCP workers) asks TCP main for
  a connection's descriptor on it, or for a new connection;
* a striped set of cross-process write locks (``mem.locking.LockSet``).

Every child calls ``tcp_child_init(process_index)`` right after fork.  The
role follows from the index: TCP main is ``n_procs - 1`` and the workers
are the ``n_workers`` indexes before it (OpenSER's ps order; both can be
given explicitly to ``tcp_init``).  TCP main keeps the main ends and the
listening sockets, a worker keeps its worker channel and its request
channel, any other process keeps only its request channel.  The attendant
calls ``tcp_parent_close()`` after forking so that a dead process shows as
EOF on its channel.

TCP main (``tcp_main_loop``)
----------------------------
A ``selectors`` loop over the listeners, idle connections, pending
connects and all channels; nothing in it blocks.  It owns the connection
table (:mod:`.conn`: id, peer ip/port, local address, listening socket,
last activity, alias ports, unframed tail).  A readable idle connection is
removed from the poll set and passed to an idle worker (round robin over
idle workers; if none is idle it waits in a FIFO).  When the worker
reports, the connection goes back to the poll set, or is closed (EOF, read
error, unframeable stream).  Every ``tick`` it closes connections idle for
``tcp_connection_lifetime`` and connects older than
``tcp_connect_timeout``.  A connection over ``tcp_max_connections`` is
closed at accept; a connect request over it is refused.  Requests: "get"
(by id, else by ``ip:port`` including aliases, else connect
asynchronously and answer when the connect completes), "touch" (refresh
the lifetime after a send), "alias", "close".  Closing does
``shutdown(SHUT_RDWR)`` + ``close``: the shutdown acts on the socket
itself, so copies cached by other processes stop working too (they see
POLLHUP and drop their copy).

Workers (``tcp_worker_loop``)
-----------------------------
A worker handles one connection at a time: it reads with a non-blocking
socket until the kernel has nothing more (at most ``MAX_READS`` reads per
turn, for fairness), frames with ``parser.msg.stream_frame`` (pipelined
messages, split messages, CRLF keep-alives), calls the handler --
``receive_msg(frame, TcpReceiveInfo)`` by default, injectable for tests --
for every complete message, and returns the rest.  A worker never waits
for bytes that are not there, so a client that stalls half-way or never
sends costs no worker time at all.

Partial messages
~~~~~~~~~~~~~~~~
The unframed tail (the start of a message, at most ``BUF_SIZE`` = 65535
bytes) travels back to TCP main with the report and is kept in the
connection table; the next worker that gets the connection receives it
with the fd.  This was chosen over "keep the connection in the worker with
a bounded wait" because it never blocks a worker, needs no per-worker poll
loop and keeps all per-connection state in one place.  A stream that
cannot be framed (no Content-Length, which RFC 3261 18.3 makes mandatory
on streams, a bad or conflicting value) or whose message exceeds
``BUF_SIZE`` is closed (``stream_frame`` raises ``SipParseError``).

Sending (``tcp_send``)
----------------------
Any process: look in this process's descriptor cache (by ``conn_id``, then
``ip:port``; validated with a zero-timeout poll), else ask TCP main.  The
write holds the connection's write-lock stripe and is bounded by
``tcp_send_timeout``; a connection that dies before any byte went out is
dropped and the send retried once through TCP main; a timeout or a
half-written message closes the connection.  Workers cache the
connection they are reading, so replies need no round trip to TCP main.
New connections get ``TCP_NODELAY`` and are bound to the send socket's
address (port 0).

Aliases
-------
``tcp_add_alias(conn_id, port)`` (``force_tcp_alias``) makes
``peer_ip:port`` find the connection.  With ``tcp_accept_aliases`` the
worker does it itself for a first Via carrying ``;alias``.

``tcp_set_lifetime(conn_id, seconds)`` (OpenSER's
``force_tcp_conn_lifetime``, used by registrar's ``tcp_persistent_flag``)
keeps a connection open, idle or not, for at least that long.

TLS
---
A TLS connection is a connection of this table with ``proto == PROTO_TLS``
whose descriptor (the one passed to workers and senders) is one end of a
socketpair; TCP main runs the handshake and the record layer on the other
end (:mod:`.tls_main`, :mod:`openser_py.core.tls.pump`), so workers and
senders see plaintext and treat it as any TCP connection.  Lookups by
address include the protocol.  See ``doc/dev/tls.md``.

IPv6 listeners and peers work as IPv4 ones (tested in tests/transport).
Limitation: no CRLF keep-alive answering (RFC 5626 pong) -- as OpenSER 1.3.
"""
from openser_py.core.tcp.ipc import BUF_SIZE
from openser_py.core.tcp.send import tcp_add_alias, tcp_send, tcp_set_lifetime
from openser_py.core.tcp.state import (TcpConfig, TcpState, get_state,
                                       tcp_child_init, tcp_init,
                                       tcp_parent_close)
from openser_py.core.tcp.tcp_main import tcp_main_loop
from openser_py.core.tcp.worker import TcpReceiveInfo, tcp_worker_loop

TCP_MAIN_DESC = "TCP main"
TCP_WORKER_DESC = "TCP receiver"

__all__ = ["BUF_SIZE", "TCP_MAIN_DESC", "TCP_WORKER_DESC", "TcpConfig",
           "TcpReceiveInfo", "TcpState", "get_state", "tcp_add_alias",
           "tcp_child_init", "tcp_init", "tcp_main_loop", "tcp_parent_close",
           "tcp_send", "tcp_set_lifetime", "tcp_worker_loop"]
