"""MI clients for the control tools (``openserctl``, ``openserunix``).

* :func:`openser_py.ctl.mi_client.fifo.fifo_request` /
  :func:`~openser_py.ctl.mi_client.fifo.fifo_cmd` -- through mi_fifo;
* :func:`openser_py.ctl.mi_client.datagram.datagram_request` /
  :func:`~openser_py.ctl.mi_client.datagram.datagram_cmd` -- through
  mi_datagram (unix socket path or ``udp:host:port``).

``*_request`` send a ready request text and return the raw reply text;
``*_cmd`` build the request from a command name and argument values and
return the parsed :class:`~openser_py.mi.tree.MiRoot`.  Every call is
bounded by *timeout* seconds and cleans up its private reply FIFO/socket.
Failures raise :class:`MiUnreachable` (no server at that address) or
:class:`MiTimeout` (no complete reply in time), both :class:`MiClientError`.
"""


class MiClientError(Exception):
    """The request could not be completed."""


class MiUnreachable(MiClientError):
    """Nothing serves the FIFO/socket."""


class MiTimeout(MiClientError):
    """No (complete) reply before the timeout."""


DEFAULT_TIMEOUT = 10.0
