"""pike module: parameters, start-up, pike_check_req and MI pike_list
(OpenSER ``pike/pike.c``, ``pike_funcs.c``, ``pike_mi.c``).

Simplification against 1.3: counters are kept per source address only
(1.3 also aggregates hits on address prefixes in its IP tree, which makes
its limit for a single address lie between ``reqs_density_per_unit`` and
3 times it); here the limit is exactly ``reqs_density_per_unit``.
"""
import time

from openser_py.core import timer
from openser_py.core.dprint import LM_ERR, LM_WARN
from openser_py.mi.tree import MiRoot
from openser_py.modules.pike.pike_table import PikeTable


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``pike`` module (attribute = default)."""
    sampling_time_unit = 2
    reqs_density_per_unit = 30
    remove_latency = 120


class _State:
    table = None
    clock = staticmethod(time.monotonic)


state = _State()


def mod_init():
    """Create the shared table, start the clean timer."""
    destroy()
    if cfg.sampling_time_unit <= 0 or cfg.reqs_density_per_unit <= 0 \
            or cfg.remove_latency <= 0:
        LM_ERR("sampling_time_unit, reqs_density_per_unit and "
               "remove_latency must be positive")
        return -1
    if cfg.remove_latency < cfg.sampling_time_unit:
        LM_WARN("remove_latency (%d) smaller than sampling_time_unit (%d)",
                cfg.remove_latency, cfg.sampling_time_unit)
    try:
        state.table = PikeTable(cfg.sampling_time_unit,
                                cfg.reqs_density_per_unit, cfg.remove_latency)
    except MemoryError as exc:
        LM_ERR("%s", exc)
        return -1
    every = max(1, min(cfg.remove_latency, 10))
    mine = [t for t in timer.timers() if t.func is clean_routine]
    if mine:        # a config loaded again in this process
        mine[0].interval = float(every)
    else:
        timer.register_timer(clean_routine, None, every, name="pike_clean")
    return 0


def destroy():
    """Free the table."""
    t, state.table = state.table, None
    if t is not None:
        t.destroy()


def clean_routine(ticks, param):
    """Timer: forget addresses idle for ``remove_latency``."""
    if state.table is not None:
        state.table.clean(state.clock())


def pike_check_req(msg):
    """``pike_check_req()``: -1 when the source address floods, else 1
    (also 1 on internal errors, as 1.3)."""
    t = state.table
    rcv = msg.rcv
    if t is None or rcv is None:
        return 1
    try:
        hot = t.check(rcv.src_ip, state.clock())
    except (OSError, ValueError) as exc:
        LM_ERR("cannot check %r: %s", rcv.src_ip, exc)
        return 1
    if hot:
        LM_WARN("too many hits on %s !!", rcv.src_ip)
        return -1
    return 1


def mi_pike_list(args, param):
    """MI ``pike_list``: one node per blocked (red) address."""
    rpl = MiRoot()
    if state.table is None:
        return rpl
    for ip, _p, _c, hot in state.table.entries(state.clock()):
        if hot:
            rpl.add_child("", ip)
    return rpl
