"""prometheus -- statistics over HTTP in the Prometheus text format.

``loadmodule "prometheus.so"`` adds one process, "Prometheus HTTP", that
serves

* ``/metrics``: every registered statistic (``core``, ``shmem``, ``tm``,
  ``sl``, ``usrloc``, ``registrar`` ... -- what MI ``get_statistics all``
  lists) with ``# HELP``/``# TYPE`` lines, and per process (labels
  ``index``, ``pid``, ``rank``, ``description`` as MI ``ps`` shows them)
  CPU seconds, resident memory and the last heartbeat;
* ``/healthz``: 200 ``ok`` while every process in the process table is
  alive, 503 otherwise.

The socket is bound in ``mod_init`` (a busy port stops the start-up) on
``listen``, loopback by default: the page is not authenticated, expose it
beyond the host only through a proxy you trust.  Naming and types are
described in doc/operations.md.  Example::

    loadmodule "prometheus.so"
    modparam("prometheus", "listen", "127.0.0.1:9494")
"""
import socket

from openser_py.core.dprint import LM_ERR, LM_INFO
from openser_py.core.exports import (INT_PARAM, STR_PARAM, ModuleExports,
                                     ParamExport, ProcExport)


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """The module parameters (class attributes are the defaults)."""
    listen = "127.0.0.1:9494"
    prefix = "openser_"
    process_metrics = 1


class _state:  # noqa: N801
    sock = None


def parse_listen(text):
    """``host:port`` / ``[v6]:port`` / ``port`` -> ``(family, (host, port))``.

    Raises ValueError.
    """
    text = (text or "").strip()
    if text.isdigit():
        host, port = "127.0.0.1", text
    elif text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if not sep:
            raise ValueError("bad listen %r ([ipv6]:port)" % text)
    else:
        host, sep, port = text.rpartition(":")
        if not sep:
            raise ValueError("bad listen %r (host:port)" % text)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("bad port in listen %r" % text)
    try:
        info = socket.getaddrinfo(host or "127.0.0.1", int(port), 0,
                                  socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValueError("cannot resolve %r: %s" % (host, exc)) from None
    family, _, _, _, addr = info[0]
    return family, addr


def mod_init():
    """Bind the HTTP socket (master, before fork); 0 or -1."""
    try:
        family, addr = parse_listen(cfg.listen)
    except ValueError as exc:
        LM_ERR("%s", exc)
        return -1
    destroy()
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(16)
    except OSError as exc:
        sock.close()
        LM_ERR("cannot listen on %s: %s", cfg.listen, exc.strerror or exc)
        return -1
    sock.set_inheritable(True)
    _state.sock = sock
    LM_INFO("metrics on http://%s/metrics", cfg.listen)
    return 0


def http_process(rank):
    """The "Prometheus HTTP" process."""
    from openser_py.modules.prometheus.http_srv import serve
    serve(_state.sock, cfg)


def destroy():
    """Close the socket."""
    if _state.sock is not None:
        _state.sock.close()
        _state.sock = None


exports = ModuleExports(
    name="prometheus",
    params=(
        ParamExport("listen", STR_PARAM, cfg,
                    doc="Address of the HTTP server: host:port, [ipv6]:port "
                        "or a port (on 127.0.0.1)."),
        ParamExport("prefix", STR_PARAM, cfg,
                    doc="Prefix of every metric name."),
        ParamExport("process_metrics", INT_PARAM, cfg,
                    doc="1: per-process CPU, memory and heartbeat series; "
                        "0: statistics only."),
    ),
    procs=(ProcExport("Prometheus HTTP", http_process, 1),),
    mod_init=mod_init,
    destroy_f=destroy,
)
