"""A TCP forwarder that can play a database outage.

Tests point a server's ``db_url`` at the forwarder's port instead of the
real database; :meth:`TcpForwarder.down` closes the listening socket and
every relayed connection (the server sees its connection drop and new
connections refused, as when the database host goes away), and
:meth:`TcpForwarder.up` listens again on the same port.  The real database
keeps running, so other tests are not disturbed.  Threads only; every
socket is closed by :meth:`close`.
"""
import select
import socket
import threading


class TcpForwarder:
    """Relay 127.0.0.1:*port* -> *target* (host, port) until :meth:`close`."""

    def __init__(self, target, port=0):
        self.target = target
        self.port = port
        self._lsock = None
        self._conns = []
        self._lock = threading.Lock()
        self._closed = False
        self.up()

    def up(self):
        """(Re)start listening on the same port."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self.port = s.getsockname()[1]
        self._lsock = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def down(self):
        """Refuse new connections and cut every relayed one."""
        s, self._lsock = self._lsock, None
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def close(self):
        self._closed = True
        self.down()

    def _accept(self, lsock):
        while True:
            try:
                client, _ = lsock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._lsock is not lsock:
                    client.close()
                    upstream.close()
                    return
                self._conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream),
                             daemon=True).start()

    def _pump(self, a, b):
        peers = {a: b, b: a}
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                if self._closed and not ready:
                    return
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    peers[s].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass
