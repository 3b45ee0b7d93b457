"""One TLS connection's record layer, run by TCP main without blocking.

Theory of operation
===================
A TLS connection has two sockets in TCP main:

* ``raw`` -- the TCP connection to the peer (ciphertext);
* ``app`` -- TCP main's end of an ``AF_UNIX`` stream socketpair whose
  other end, ``user``, *is* the connection for the rest of the server: it
  is what TCP main passes to workers (they read plaintext SIP from it,
  frame it and run the script) and to senders (they write plaintext
  replies and requests into it, under the connection's write lock), exactly
  as for a plain TCP connection.

The OpenSSL state (``ssl.SSLObject`` over two ``ssl.MemoryBIO``) cannot
be passed between processes, so it stays here, and this object moves bytes:
``raw`` -> decrypt -> ``app`` and ``app`` -> encrypt -> ``raw``.  Every call
does only what the kernel allows right now (non-blocking sockets, memory
BIOs), so a slow or silent peer never blocks TCP main.

States::

    CONNECTING (outgoing only: TCP connect in progress; ``connected`` False)
        --connect ok--> HANDSHAKE --do_handshake() ok--> OPEN
    HANDSHAKE --error / EOF / owner's deadline--> closed
    OPEN --peer EOF or close_notify--> DRAINING: the decrypted rest is
        written to ``app``, then ``app`` is shut for writing, so the worker
        reading ``user`` sees EOF and reports it; TCP main then closes.

Bounds: at most ``BUF_LIMIT`` bytes wait in each direction
(``net_out``: ciphertext for the peer, ``app_out``: plaintext for the
server); past it the reading side is paused (:meth:`net_mask`,
:meth:`app_mask`), so memory per connection is bounded whatever the peer
does.  The owner (TCP main) enforces time: the handshake deadline
(``tls_handshake_timeout``) and :meth:`stalled` (``tls_send_timeout``:
ciphertext the peer does not read).
"""
import selectors
import socket
import ssl

NET_CHUNK = 65536
MAX_READS = 8                  # reads per event, per direction (fairness)
BUF_LIMIT = 256 * 1024         # bytes buffered per direction
PAIR_BUF = 256 * 1024          # SO_SNDBUF/SO_RCVBUF of the socketpair
_EV_READ, _EV_WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
_NOSIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)


class TlsClosed(Exception):
    """The connection must be closed; the message says why."""


class TlsPump:
    """TLS state and the two byte streams of one connection (TCP main)."""

    __slots__ = ("raw", "obj", "inb", "outb", "app", "user", "connected",
                 "established", "net_out", "app_out", "net_eof", "app_shut",
                 "last_send_ok", "registered", "activity", "server_side",
                 "info")

    def __init__(self, raw, ctx, server_side, now, connected=True):
        self.raw = raw
        self.inb = ssl.MemoryBIO()
        self.outb = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inb, self.outb, server_side=server_side)
        self.server_side = server_side
        self.app, self.user = socket.socketpair(socket.AF_UNIX,
                                                socket.SOCK_STREAM)
        for s in (self.app, self.user):
            s.setblocking(False)
            for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                try:
                    s.setsockopt(socket.SOL_SOCKET, opt, PAIR_BUF)
                except OSError:
                    pass
        self.connected = connected
        self.established = False
        self.net_out = bytearray()
        self.app_out = bytearray()
        self.net_eof = False
        self.app_shut = False
        self.last_send_ok = now
        self.registered = {}           # "tlsnet"/"tlsapp" -> selector mask
        self.activity = False          # bytes moved in the last service()
        self.info = None               # certinfo.session_info() once open

    # -- the state machine ---------------------------------------------------
    def service(self, now, net_readable=False, app_readable=False):
        """Advance the connection; True when the handshake completed now.

        Raises TlsClosed when the connection must be closed.
        """
        self.activity = False
        if not self.connected:
            return False
        if net_readable:
            self._read_net()
        done = False
        if not self.established:
            done = self._handshake()
            if not done and self.net_eof:
                raise TlsClosed("peer closed the connection during the TLS "
                                "handshake")
        if self.established:
            if app_readable:
                self._read_app()
            self._decrypt()
        self._flush(now)
        return done

    def _handshake(self):
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            self._collect()
            return False
        except ssl.SSLError as exc:
            self._collect()
            self._try_send()                # the alert, best effort
            raise TlsClosed("TLS handshake failed: %s"
                            % (getattr(exc, "verify_message", None)
                               or exc.reason or exc)) from None
        self._collect()
        self.established = True
        return True

    def _collect(self):
        """Move what OpenSSL produced for the peer to ``net_out``."""
        if self.outb.pending:
            self.net_out += self.outb.read()

    def _read_net(self):
        for _ in range(MAX_READS):
            if len(self.app_out) >= BUF_LIMIT or self.inb.pending >= \
                    BUF_LIMIT:
                return
            try:
                data = self.raw.recv(NET_CHUNK)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                raise TlsClosed("read error: %s" % exc) from None
            if not data:
                self.net_eof = True
                return
            self.activity = True
            self.inb.write(data)

    def _decrypt(self):
        while len(self.app_out) < BUF_LIMIT:
            try:
                data = self.obj.read(NET_CHUNK)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:      # close_notify
                self.net_eof = True
                break
            except ssl.SSLError as exc:
                raise TlsClosed("TLS error: %s" % (exc.reason or exc)) \
                    from None
            if not data:
                break
            self.app_out += data
        self._collect()                          # tickets, key updates

    def _read_app(self):
        for _ in range(MAX_READS):
            if len(self.net_out) >= BUF_LIMIT:
                return
            try:
                data = self.app.recv(NET_CHUNK)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                raise TlsClosed("local side: %s" % exc) from None
            if not data:
                raise TlsClosed("local side closed")
            self.activity = True
            try:
                self.obj.write(data)
            except ssl.SSLError as exc:
                raise TlsClosed("TLS error: %s" % (exc.reason or exc)) \
                    from None
            self._collect()

    def _try_send(self):
        try:
            n = self.raw.send(self.net_out, _NOSIGNAL)
        except OSError:
            return
        del self.net_out[:n]

    def _flush(self, now):
        while self.net_out:
            try:
                n = self.raw.send(self.net_out, _NOSIGNAL)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                raise TlsClosed("write error: %s" % exc) from None
            del self.net_out[:n]
            self.last_send_ok = now
        if not self.net_out:
            self.last_send_ok = now
        while self.app_out:
            try:
                n = self.app.send(self.app_out, _NOSIGNAL)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                raise TlsClosed("local side: %s" % exc) from None
            del self.app_out[:n]
            self.activity = True
        if self.net_eof and not self.app_out and not self.app_shut:
            self.app_shut = True
            try:
                self.app.shutdown(socket.SHUT_WR)   # the reader sees EOF
            except OSError:
                pass

    # -- what to wait for ----------------------------------------------------
    def net_mask(self):
        """Selector events wanted on ``raw``."""
        if not self.connected:
            return _EV_WRITE
        mask = 0
        if not self.net_eof and len(self.app_out) < BUF_LIMIT:
            mask |= _EV_READ
        if self.net_out:
            mask |= _EV_WRITE
        return mask

    def app_mask(self):
        """Selector events wanted on ``app``."""
        mask = 0
        if self.established and len(self.net_out) < BUF_LIMIT:
            mask |= _EV_READ
        if self.app_out:
            mask |= _EV_WRITE
        return mask

    def stalled(self, now, timeout):
        """True if ciphertext has waited for the peer over *timeout* s."""
        return bool(self.net_out) and now - self.last_send_ok > timeout

    # -- information ---------------------------------------------------------
    def describe(self):
        """``"TLSv1.3 TLS_AES_256_GCM_SHA384"`` once established, else ''."""
        if not self.established:
            return ""
        cipher = self.obj.cipher()
        return "%s %s" % (self.obj.version(), cipher[0] if cipher else "?")

    def close(self):
        """Send close_notify if possible (never waits), close both sockets.

        ``user`` belongs to the connection's owner, which shuts it down.
        """
        if self.established and self.connected:
            try:
                self.obj.unwrap()
            except (ssl.SSLError, ValueError, OSError):
                pass
            self._collect()
            if self.net_out:
                self._try_send()
        for s in (self.raw, self.app):
            try:
                s.close()
            except OSError:
                pass
