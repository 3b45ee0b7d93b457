"""SIP over TLS (``sips:``, ``transport=tls``, ``listen=tls:IP:5061``).

TLS rides on the TCP machinery of :mod:`openser_py.core.tcp`: TCP main
accepts and connects TLS connections like TCP ones, runs their handshake
and record layer itself (:mod:`.pump`, non-blocking, bounded in time and
memory), and gives the rest of the server a plaintext stream per
connection (one end of a socketpair) that workers read and senders write
exactly as a TCP connection.  :mod:`.config` builds the ``ssl`` contexts
from the ``tls_*`` core parameters.  Theory of operation and the choices
made: ``doc/dev/tls.md``.
"""
from openser_py.core.tls.config import (DEFAULT_HANDSHAKE_TIMEOUT,
                                        DEFAULT_SEND_TIMEOUT, TlsConfigError,
                                        TlsContexts, client_context,
                                        server_context, tls_available,
                                        tls_init)

__all__ = ["DEFAULT_HANDSHAKE_TIMEOUT", "DEFAULT_SEND_TIMEOUT",
           "TlsConfigError", "TlsContexts", "client_context",
           "server_context", "tls_available", "tls_init"]
