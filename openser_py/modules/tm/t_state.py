"""tm's process state: the shm structures, the clock, the route context.

Theory of operation
-------------------
``mod_init`` (:func:`tm_init`, in the master, before fork) creates the
transaction table and the timer wheel in shm and registers the utimer that
advances the wheel in the timer process; every forked process inherits the
:data:`rt` object that names them.  Nothing else here is shared: the rest
is per process.

* **The transaction of a message.**  A request that created or matched a
  transaction carries ``msg.ctx["tm.t"] = (hash_index, label)``; the worker
  holds one table reference for it (taken by the lookup) until the
  post-script callback drops it (:mod:`t_newtran`).  The faked request of
  a failure route carries the same key without a reference of its own.
* **The route context** (:data:`rctx`): what ``t_check_status``,
  ``t_was_cancelled``, ``$T_reply_code`` and ``$T_branch_idx`` read while a
  failure, onreply or branch route runs for a transaction; saved and
  restored around each run, so nested runs (a failure route started by a
  faked 487 inside CANCEL processing) do not leak into each other.
* **Time** is :func:`now` (``time.monotonic`` unless a test installs its
  own clock with :func:`set_clock`); timers and ``created`` use it.
"""
import time

from openser_py.core import forward
from openser_py.core.dprint import LM_ERR
from openser_py.core.ip_addr import PROTO_TLS, PROTO_UDP, af_of
from openser_py.modules.tm import fsm
from openser_py.modules.tm.t_branch import TmTagger

__all__ = ["rt", "rctx", "now", "set_clock", "tm_init", "tm_destroy",
           "bind", "bound", "sock_index", "sock_by_index", "uas_dest",
           "TIMER_RESOLUTION"]

TIMER_RESOLUTION = 0.05         # seconds per wheel tick (doc/dev/tm.md)
TIMER_CAPACITY = 65536          # wheel entries (~3 per live transaction)
_clock = time.monotonic


def now():
    """The tm clock (monotonic seconds)."""
    return _clock()


def set_clock(fn):
    """Install a clock (tests); returns the previous one."""
    global _clock
    old, _clock = _clock, fn
    return old


class Runtime:
    """What every process knows about the module (set by :func:`tm_init`)."""

    __slots__ = ("table", "wheel", "timers", "tagger", "cfg", "fr_avp",
                 "fr_inv_avp")

    def __init__(self):
        self.table = self.wheel = self.tagger = self.cfg = None
        self.timers = fsm.TmTimers()
        self.fr_avp = self.fr_inv_avp = None


rt = Runtime()


class RouteCtx:
    """The transaction a failure/onreply/branch route runs for."""

    __slots__ = ("t", "code", "branch", "branch_idx", "local")

    def __init__(self):
        self.t = None           # (hash_index, label)
        self.code = 0           # current reply (onreply) / winner (failure)
        self.branch = -1        # branch of the reply
        self.branch_idx = 0     # $T_branch_idx in a branch route
        self.local = False      # the winning reply was generated locally

    def save(self):
        """A tuple restoring this context later."""
        return (self.t, self.code, self.branch, self.branch_idx, self.local)

    def restore(self, saved):
        """Back to a :meth:`save`d context."""
        self.t, self.code, self.branch, self.branch_idx, self.local = saved


rctx = RouteCtx()


def match_cfg():
    """The matching switches of ``t_lookup.match_request``/``match_cancel``."""
    return {"ruri_matching": rt.cfg.ruri_matching,
            "via1_matching": rt.cfg.via1_matching}


def bind(msg, t):
    """Attach transaction ``t`` = (hash_index, label) to ``msg``."""
    msg.ctx["tm.t"] = t


def bound(msg):
    """The transaction attached to ``msg`` (None if none)."""
    ctx = msg.ctx
    return ctx.get("tm.t") if ctx else None


def sock_index(sock):
    """Socket -> small int for the cell (index + 1; 0 = let forward pick)."""
    if sock is None:
        return 0
    for i, s in enumerate(forward.get_sockets()):
        if s is sock:
            return i + 1
    return 0


def sock_by_index(idx, proto, ip):
    """The send socket stored as ``idx`` (see :func:`sock_index`)."""
    socks = forward.get_sockets()
    if 0 < idx <= len(socks):
        return socks[idx - 1]
    return forward.get_send_socket(proto, af_of(ip))


def uas_dest(msg):
    """``(proto, ip, port)`` replies to request ``msg`` go to.

    OpenSER ``update_sock_struct_from_ip`` (``reply_to_via=0``): the source
    IP; the source port when Via1 has ``rport`` or ``force_rport()`` was
    used (or over TCP/TLS, the connection), else the Via1 port.
    """
    rcv = msg.rcv
    via = msg.via1
    proto = rcv.proto if rcv is not None else PROTO_UDP
    if rcv is None:
        return proto, via.received or via.host, via.port or 5060
    if (proto != PROTO_UDP or via.rport is not None
            or msg.ctx.get("force_rport")):
        return proto, rcv.src_ip, rcv.src_port
    default = 5061 if proto == PROTO_TLS else 5060
    return proto, rcv.src_ip, via.port or default


def tm_init(cfg, table_cls, wheel_cls, register_utimer, tick):
    """``mod_init`` body: shm structures, timer values, utimer.

    The classes and the utimer registration are passed in by the caller
    so that this module stays free of import cycles.  Returns 0 or -1.
    """
    try:
        timers = fsm.timers_from_params(
            cfg.fr_timer, cfg.fr_inv_timer, cfg.wt_timer, cfg.delete_timer,
            cfg.T1_timer, cfg.T2_timer, cfg.noisy_ctimer,
            cfg.restart_fr_on_each_reply)
    except ValueError as exc:
        LM_ERR("bad timer parameters: %s", exc)
        return -1
    tm_destroy()
    try:
        rt.table = table_cls(n_locks=512)
        horizon = cfg.fr_inv_timer + cfg.wt_timer + 10
        rt.wheel = wheel_cls(TIMER_CAPACITY, TIMER_RESOLUTION,
                             n_slots=int(horizon / TIMER_RESOLUTION),
                             epoch=now())
    except (MemoryError, RuntimeError) as exc:
        LM_ERR("cannot create the transaction table: %s", exc)
        tm_destroy()
        return -1
    rt.timers, rt.cfg = timers, cfg
    socks = forward.get_sockets()
    first = next((s for s in socks if s.proto == PROTO_UDP),
                 socks[0] if socks else None)
    rt.tagger = TmTagger(first.ip, first.port) if first is not None \
        else TmTagger("127.0.0.1", 5060)
    rt.fr_avp = _avp_name(cfg.fr_timer_avp)
    rt.fr_inv_avp = _avp_name(cfg.fr_inv_timer_avp)
    register_utimer(tick, None, int(TIMER_RESOLUTION * 1000), "tm-timer")
    return 0


def _avp_name(text):
    """``"$avp(i:24)"`` / ``"i:24"`` -> the AVP name, or None."""
    if not text:
        return None
    from openser_py.core.usr_avp import parse_avp_spec
    t = text.strip()
    if t.startswith("$avp(") and t.endswith(")"):
        t = t[5:-1]
    try:
        return parse_avp_spec(t)
    except ValueError as exc:
        LM_ERR("bad timer AVP %r: %s", text, exc)
        return None


def tm_destroy():
    """Free the shm structures (``destroy_f``, or before a re-init)."""
    if rt.table is not None:
        rt.table.destroy()
        rt.table = None
    if rt.wheel is not None:
        rt.wheel.destroy()
        rt.wheel = None


def run_nested(fn, route_type, msg, t, code=0, branch=-1, local=False,
               avps=None, branch_idx=0):
    """Run route ``fn`` for transaction ``t`` without disturbing the caller.

    A failure route may run inside a request route (a faked 487 while a
    CANCEL is processed) or inside reply processing, so the script state
    (route type, script flags, ``$rc``), the destination set, the current
    AVP list and :data:`rctx` are saved and restored around it.  ``avps``
    (an ``AvpList``) becomes the current list while it runs.  Returns the
    run flags of ``run_top_route``.
    """
    from openser_py.core import dset, usr_avp
    from openser_py.core.route import run_top_route
    from openser_py.core.script_state import state
    saved_state = (state.route_type, state.route_name, state.sflags,
                   state.retcode)
    saved_dset = dset.save_dset()
    saved_ctx = rctx.save()
    old_avps = usr_avp.set_avp_list(avps) if avps is not None else None
    rctx.t, rctx.code, rctx.branch, rctx.local = t, code, branch, local
    rctx.branch_idx = branch_idx
    try:
        if route_type != 1:
            dset.clear_branches()
        return run_top_route(fn, route_type, msg)
    except Exception as exc:  # noqa: BLE001 - never kill the caller
        LM_ERR("error while running a tm route: %s: %s",
               type(exc).__name__, exc)
        return 1
    finally:
        if old_avps is not None:
            usr_avp.set_avp_list(old_avps)
        rctx.restore(saved_ctx)
        dset.restore_dset(saved_dset)
        (state.route_type, state.route_name, state.sflags,
         state.retcode) = saved_state
