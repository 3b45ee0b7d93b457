"""tm's timers, run by the timer process (reference §5.5, RFC 3261 §17).

Theory of operation
-------------------
:func:`tick` is the utimer ``mod_init`` registers (every tick of the
wheel, 50 ms).  :func:`run_timers` pops the due entries of the shared
:class:`~openser_py.modules.tm.timer_wheel.TimerWheel` and, for each, locks
the cell's bucket and acts only if the cell still holds that very handle
(a worker may have stopped or re-armed it meanwhile): the handle is
cleared and what the action needs is read in that critical section, and
the action itself (send, fake a reply, run a failure route, delete) runs
after the lock is released.

* ``TK_RETR`` -- resend the branch request, next interval T1, 2*T1 ... T2
  (a non-INVITE branch that got a provisional stays at T2: Timers A/E).
* ``TK_FR`` -- ``fsm.fr_expired``: a silent drop (single-branch INVITE
  with a provisional, nothing armed, not noisy) only puts the transaction
  on wait; otherwise a 408 is faked on the branch through the normal reply
  processing (so ``failure_route`` runs, here in the timer process), after
  a CANCEL for an INVITE branch that got a provisional.
* ``TK_CRETR``/``TK_CFR`` -- our CANCEL's retransmission and its bound.
* ``TK_UAS_RETR``/``TK_UAS_FR`` -- retransmission of our negative (or
  local 2xx) INVITE reply until the ACK (Timer G), bounded by ``fr_timer``
  (Timer H), then wait.
* ``TK_WAIT``/``TK_DELETE`` -- remove the cell; still referenced by a
  worker: it is hidden at once and the delete timer retries (the last
  ``unref`` frees it anyway).
"""
from openser_py.core import forward
from openser_py.core.dprint import LM_ERR
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import fsm, t_hooks, t_reply
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.h_table import BUSY, DELETED
from openser_py.modules.tm.t_cellio import (BR_BUFFER, BR_CANCEL, BR_DST_IP,
                                            UAS_DST_IP, UAS_REPLY, arm,
                                            br_tuple, disarm, put_on_wait,
                                            uas_tuple)
from openser_py.modules.tm.t_state import now, rt, sock_by_index

__all__ = ["tick", "run_timers"]


def tick(ticks=0, param=None):
    """The utimer: run every due tm timer."""
    run_timers(now())


def run_timers(t_now, limit=0):
    """Fire the timers due at ``t_now``; returns how many were popped."""
    if rt.wheel is None:
        return 0
    due = rt.wheel.advance(t_now, limit)
    for handle, h, label, b, kind in due:
        try:
            _fire(handle, h, label, b, kind, t_now)
        except Exception as exc:  # noqa: BLE001 - the timer process lives on
            LM_ERR("tm timer %s of %d:%d failed: %s: %s",
                   W.TK_NAMES.get(kind, kind), h, label,
                   type(exc).__name__, exc)
    return len(due)


def _send(proto, ip, port, sidx, data):
    forward.msg_send(sock_by_index(sidx, proto, ip), proto, ip, port, data)


def _retransmit(v, b, kind, field_iv, t_now):
    """Re-arm a retransmission timer with the next interval (ms field)."""
    iv = v.bget(b, field_iv) if b >= 0 else v.get(field_iv)
    nxt = fsm.next_retr_interval(iv or rt.timers.t1, rt.timers.t2)
    if b >= 0:
        v.bset(b, field_iv, nxt)
    else:
        v.set(field_iv, nxt)
    arm(v, kind, max(b, 0), nxt / 1000.0, t_now)


def _fire(handle, h, label, b, kind, t_now):
    t = (h, label)
    send = None
    fake = cancel = False
    remove = False
    tc = None
    with rt.table.edit(h, label) as v:
        if v is None or v.timer(kind, b)[0] != handle:
            return
        v.set_timer(kind, b, 0, 0.0)
        if kind == W.TK_RETR:
            bdata = br_tuple(v, b)
            send = (v.bget(b, "proto"), bdata[BR_DST_IP], v.bget(b, "port"),
                    v.bget(b, "sock"), bdata[BR_BUFFER])
            _retransmit(v, b, W.TK_RETR, "retr_iv", t_now)
        elif kind == W.TK_CRETR:
            bdata = br_tuple(v, b)
            send = (v.bget(b, "proto"), bdata[BR_DST_IP], v.bget(b, "port"),
                    v.bget(b, "sock"), bdata[BR_CANCEL])
            _retransmit(v, b, W.TK_CRETR, "retr_iv", t_now)
        elif kind == W.TK_CFR:
            disarm(v, W.TK_CRETR, b)
        elif kind == W.TK_FR:
            disarm(v, W.TK_RETR, b)
            flags = v.get("flags")
            status = v.bget(b, "status")
            what, cancel = fsm.fr_expired(
                rt.timers, bool(flags & C.T_IS_LOCAL),
                bool(flags & C.T_IS_INVITE), v.nr_branches(),
                v.get("on_failure"),
                bool(v.get("tmcb_types") & t_hooks.TMCB_ON_FAILURE), status,
                bool(flags & C.T_NOISY_CTIMER))
            if what == fsm.SILENT_DROP:
                put_on_wait(v, t_now)
            elif status < 200:
                fake = True
                if cancel:
                    v.bset(b, "flags", v.bget(b, "flags") | C.BR_CANCELED)
        elif kind == W.TK_UAS_RETR:
            uas = uas_tuple(v)
            send = (v.get("uas_proto"), uas[UAS_DST_IP], v.get("uas_port"),
                    v.get("uas_sock"), uas[UAS_REPLY])
            _retransmit(v, -1, W.TK_UAS_RETR, "uas_retr_iv", t_now)
        elif kind == W.TK_UAS_FR:
            put_on_wait(v, t_now)           # Timer H: no ACK came
        elif kind in (W.TK_WAIT, W.TK_DELETE):
            for i in range(v.nr_branches()):
                for k in (W.TK_RETR, W.TK_FR, W.TK_CRETR, W.TK_CFR):
                    disarm(v, k, i)
            disarm(v, W.TK_UAS_RETR)
            disarm(v, W.TK_UAS_FR)
            v.set("uas_state", fsm.S_TERMINATED)
            remove = True
            tc = t_hooks.collect(v, t_hooks.TMCB_TRANS_DELETED)
    if send is not None and send[4]:
        _send(*send)
    if fake:
        if cancel:
            from openser_py.modules.tm import t_fwd
            t_fwd.cancel_branches(t, 1 << b, 0)
        t_reply.fake_reply(t, b, 408, t_now)
    if not remove:
        return
    res = rt.table.remove(h, label)
    if res == BUSY:
        with rt.table.edit(h, label) as v:
            if v is not None:
                arm(v, W.TK_DELETE, 0, rt.timers.delete / 1000.0, t_now)
    elif res == DELETED and tc is not None:
        t_hooks.run_trans_callbacks(t_hooks.TMCB_TRANS_DELETED, tc, None,
                                    None, 0)
