"""The ``core:`` statistics group (OpenSER ``core_stats.c``, reference §12).

One object, :data:`stats`, holds the eleven counters as attributes
(``stats.rcv_requests.inc()``).  Code that counts keeps a reference to the
object, not to the counters, so :func:`init_core_stats` can rebind them.

Registration: once at import (so counting works in any process and in
tools), and again -- idempotently -- whenever :func:`init_core_stats` is
called.  The master calls it before ``statistics.init_stats_collector`` so
that the group comes first in ``get_statistics all``; tests call it after
``statistics.reset_registry()``.  A counter registered before the collector
exists moves into shm when the collector is created (statistics.py).

Where each one is counted:

============================ =============================================
``rcv_requests``             receive: every request the parser accepted
``rcv_replies``              receive: every reply the parser accepted
``fwd_requests``             forward.forward_request: stateless send done
``fwd_replies``              receive: stateless reply forwarding done
``drop_requests``            receive: a pre-script callback dropped it;
                             forward.forward_request: the send failed
``drop_replies``             receive: pre-script callback, ``drop`` in the
                             default onreply_route, or forwarding failed
``err_requests``             receive: malformed request (parser error, no
                             or bad Via)
``err_replies``              receive: malformed reply (idem)
``bad_URIs_rcvd``            receive: a Request-URI the parser rejected
                             (on arrival or from the script)
``unsupported_methods``      receive: request with a method OpenSER does
                             not know (``METHOD_OTHER``), as Kamailio
``bad_msg_hdr``              receive: any other parse error (on arrival or
                             recorded by the script)
============================ =============================================

The ``shmem`` group (``total_size``, ``used_size``, ``real_used_size``,
``max_used_size``, ``free_size``, ``fragments``, OpenSER's names) reads the
shm allocator's figures on every read (function statistics, no reset).
"""
from openser_py.core import statistics

__all__ = ["CORE_STATS", "CoreStats", "stats", "init_core_stats"]

#: names in OpenSER's order (core_stats.c)
CORE_STATS = ("rcv_requests", "rcv_replies", "fwd_requests", "fwd_replies",
              "drop_requests", "drop_replies", "err_requests", "err_replies",
              "bad_URIs_rcvd", "unsupported_methods", "bad_msg_hdr")


class CoreStats:
    """The ``core:`` counters, one attribute (a ``StatVar``) each."""

    __slots__ = CORE_STATS


#: the process's core counters
stats = CoreStats()


#: OpenSER 1.3's ``shmem`` group (function-backed, never reset)
SHMEM_STATS = ("total_size", "used_size", "real_used_size", "max_used_size",
               "free_size", "fragments")


def _shmem_reader(name):
    def read():
        from openser_py.mem import get_allocator
        alloc = get_allocator()
        return alloc.stats().get(name, 0) if alloc is not None else 0
    read.__name__ = "shmem_" + name
    return read


def init_core_stats():
    """Register the ``core`` and ``shmem`` groups (again) and bind
    :data:`stats`; 0."""
    from openser_py.core.exports import STAT_NO_RESET
    for name in CORE_STATS:
        setattr(stats, name, statistics.register_stat("core", name))
    for name in SHMEM_STATS:
        statistics.register_stat("shmem", name, STAT_NO_RESET,
                                 _shmem_reader(name))
    return 0


init_core_stats()
