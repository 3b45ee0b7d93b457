"""Reply processing and local replies (reference §5.6, RFC 3261 §16.7).

Theory of operation
-------------------
:func:`reply_received` is tm's ``response_f``.  A reply whose top Via
branch is not one of ours, or names no live transaction/branch, returns 1
and the core forwards it statelessly.  Otherwise, in OpenSER's order:

1. A reply to one of our CANCELs only stops that CANCEL's timers.
2. One critical section stops the branch's retransmissions (a non-INVITE
   provisional switches them to T2) and, for a final, its FR timer, and
   reads what the next steps need (branch buffer and destination,
   ``on_reply``, flags).
3. Outside the lock: the hop-by-hop ACK of a >= 300 INVITE reply
   (§17.1.1.3), the delayed CANCEL of a branch flagged ``BR_TO_CANCEL``,
   and ``onreply_route[N]`` (flags and branch flags in, written back; a
   ``drop`` discards a provisional).
4. :func:`decide` -- one critical section: ``t_pick.should_relay`` on a
   snapshot of the cell, and everything it implies written back at once
   (branch status/state, ``T_NO_NEW_BRANCHES``, branches to cancel marked,
   the reply stored in the branch, ``uas_status``/``relayed_branch`` and
   ``CLAIM_REPLY`` for a final being relayed, FR-INV re-armed for a
   provisional).  Two replies on two branches can therefore never both
   complete the transaction.
5. Outside the lock: relay (``build_res_buf``: our Via stripped) to the
   UAS destination, store it as the last reply with the final timers
   (:func:`store_final`), CANCELs / faked 487s for the branches the
   decision cancelled, and for ``RPS_PICKED`` the failure handling of
   :mod:`t_failure`.

The fast path of :func:`reply_received` does steps 2, 4 and 5 in one
critical section when step 3 has nothing to do (no ``onreply_route``, no
tm callbacks, no ACK, no delayed CANCEL; a 1xx or 2xx): the reply to
relay is built before the lock, :func:`_decide_locked` decides and also
stores it (last reply, final state and timers), and only the send is
left for after the lock.  The cell header is read once, in one unpack
(``CellView.header``), for the checks and the decision.

Faked replies (408 on FR expiry, 487 for a cancelled branch that never
answered) take the same :func:`decide` path with ``msg=None``.

Local replies (:func:`reply_local`: ``t_reply``, ``100 Giving a try``,
``200 canceling``, error replies, the relay of a faked winner) are built
from the UAS request with the tm To-tag, stored and sent the same way.
"""
import functools

from openser_py.core import cfgload, forward
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.exports import ONREPLY_ROUTE
from openser_py.core.flags import getb0flags, setb0flags
from openser_py.core.route import DROP_R_F
from openser_py.core.usr_avp import AvpList
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import fsm, t_hooks, t_stats
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.cell_view import (H_FIRST_BRANCH, H_FLAGS,
                                             H_FR_INV_TIMEOUT, H_METHOD_ID,
                                             H_ON_REPLY, H_RELAYED_BRANCH,
                                             H_TMCB_TYPES, H_UAS_PORT,
                                             H_UAS_PROTO, H_UAS_SOCK,
                                             H_UAS_STATUS)
from openser_py.modules.tm.t_cellio import (BR_BUFFER, BR_DST_IP, arm,
                                            br_tuple, branch_states, disarm,
                                            put_on_wait, set_br,
                                            set_uas_reply, stop_branch_timers,
                                            uas_dst_ip)
from openser_py.modules.tm.t_lookup import LOCAL_REPLY, reply_ids
from openser_py.modules.tm.t_msgbuild import build_ack, build_reply
from openser_py.modules.tm.t_pick import (RPS_PICKED, Snapshot,
                                          cancel_plan, should_relay)
from openser_py.modules.tm.t_state import (now, rt, run_nested,
                                           sock_by_index)
from openser_py.parser import msg_translator
from openser_py.parser.errors import SipParseError
from openser_py.parser.methods import METHOD_CANCEL

__all__ = ["reply_received", "decide", "reply_local", "store_final",
           "send_uas", "fake_reply", "FAKED_REASONS"]

FAKED_REASONS = {408: "Request Timeout", 487: "Request Terminated"}
_CANCEL = int(METHOD_CANCEL)
_LOCAL_CBS = t_hooks.TMCB_LOCAL_COMPLETED | t_hooks.TMCB_LOCAL_RESPONSE_OUT
_DECIDE_CBS = _LOCAL_CBS | t_hooks.TMCB_RESPONSE_FWDED | \
    t_hooks.TMCB_RESPONSE_OUT


def send_uas(dst, data):
    """Send ``data`` upstream; ``dst`` = (proto, ip, port, sock index)."""
    proto, ip, port, sidx = dst
    return forward.msg_send(sock_by_index(sidx, proto, ip), proto, ip,
                            port, data)


def _uas_dst(v, h=None):
    """(proto, ip, port, sock index) UAS replies go to; ``h``: the
    header (``v.header()``) when the caller has it."""
    if h is None:
        h = v.header()
    return h[H_UAS_PROTO], uas_dst_ip(v), h[H_UAS_PORT], h[H_UAS_SOCK]


def _final_timers_locked(v, code, relayed_branch, t_now, h=None):
    """Per ``fsm.final_timers``: UAS retransmission + FR, or wait.

    ``h``: a header snapshot (``v.header()``) taken earlier in the same
    critical section; only fields fixed at creation are used from it
    (``T_IS_LOCAL``/``T_IS_INVITE`` of the flags, ``uas_proto``).
    """
    if h is None:
        h = v.header()
    flags = h[H_FLAGS]
    ft = fsm.final_timers(bool(flags & C.T_IS_LOCAL),
                          bool(flags & C.T_IS_INVITE), code, relayed_branch)
    timers = rt.timers
    if ft == fsm.FT_WAIT:
        put_on_wait(v, t_now)
        return
    if fsm.needs_retr(h[H_UAS_PROTO], ft == fsm.FT_FORCE_RETR):
        v.set("uas_retr_iv", timers.t1)
        arm(v, W.TK_UAS_RETR, 0, timers.t1 / 1000.0, t_now)
    arm(v, W.TK_UAS_FR, 0, timers.fr / 1000.0, t_now)


def store_final(t, code, data, relayed_branch, local, rpl=None, dst=None):
    """A final reply went upstream: store it, final timers, statistics.

    Then ``TMCB_RESPONSE_OUT`` (``rpl``: the relayed reply, or
    ``FAKED_REPLY`` for a local one; extra1/extra2 = bytes, destination).
    """
    tc = None
    with rt.table.edit(*t) as v:
        if v is not None:
            set_uas_reply(v, data)
            v.set("claims", v.get("claims") & ~C.CLAIM_REPLY)
            v.set("uas_state", fsm.S_ACCEPTED if code < 300 and
                  v.get("flags") & C.T_IS_INVITE else fsm.S_COMPLETED)
            _final_timers_locked(v, code, relayed_branch, now())
            tc = t_hooks.collect(v, t_hooks.TMCB_RESPONSE_OUT)
    t_stats.completed(code)
    t_stats.inc("local_replies" if local else "relayed_replies")
    if tc is not None:
        t_hooks.run_trans_callbacks(
            t_hooks.TMCB_RESPONSE_OUT, tc, None,
            t_hooks.FAKED_REPLY if rpl is None else rpl, code, data, dst)


def reply_local(t, req, code, reason, extra_hdrs="", body=b"", to_tag=None):
    """Reply ``code`` statefully to ``req`` (the transaction's request).

    ``to_tag`` replaces the tm To-tag (MI ``t_reply``).  Returns 1, or -1
    when a final reply was already sent or sending failed.
    """
    try:
        data = build_reply(req, code, reason, rt.tagger, extra_hdrs, body,
                           to_tag)
    except SipParseError as exc:
        LM_ERR("cannot build the %d reply: %s", code, exc.reason)
        return -1
    if req.to is None or req.to.tag:
        tag = ""
    elif to_tag:
        tag = to_tag
    else:
        tag = rt.tagger.totag(req) if code >= 180 else ""
    cancel = None
    with rt.table.edit(*t) as v:
        if v is None or v.get("uas_status") >= 200:
            LM_ERR("cannot reply %d: transaction already replied", code)
            return -1
        dst = _uas_dst(v)
        v.set("uas_status", code)
        if code >= 200:
            v.set("relayed_branch", LOCAL_REPLY)
            v.set("claims", v.get("claims") | C.CLAIM_REPLY)
            if tag:
                v.set_local_totag(tag)
            if v.get("flags") & C.T_IS_INVITE and v.nr_branches():
                # our final ends the pending branches (OpenSER _reply_light)
                from openser_py.modules.tm.t_fwd import mark_cancel_locked
                cancel = mark_cancel_locked(v, active_only=True)
        else:
            set_uas_reply(v, data)
    ok = send_uas(dst, data) == 1
    if code >= 200:
        store_final(t, code, data, LOCAL_REPLY, True, None, dst)
    if cancel is not None and (cancel[0] or cancel[1]):
        from openser_py.modules.tm import t_fwd
        t_fwd.cancel_branches(t, *cancel)
    if not ok:
        LM_ERR("failed to send the %d reply", code)
        return -1
    return 1


def reply_received(msg):
    """tm's ``response_f``: 0 when the reply belongs to a transaction.

    Fast path (no ``onreply_route``, no tm callbacks, not a local
    transaction, a 1xx/2xx that needs no hop-by-hop ACK, no delayed
    CANCEL): the reply is built for relaying *before* the lock, then one
    critical section matches it, stops the branch timers, decides,
    stores it and sets the final timers; it is sent after.  Anything else
    takes a reference and goes the general way (:func:`_on_reply`).
    """
    try:
        ids = reply_ids(msg)
    except SipParseError:
        return 1
    if ids is None:
        return 1
    h, label, b = ids
    table = rt.table
    if table is None:
        return 1
    code = msg.status
    mid = int(msg.method_id)
    locked = data = None
    if code < 300 and mid != _CANCEL:
        if code > 100:
            try:
                data = msg_translator.build_res_buf(msg)
            except SipParseError:
                data = None
        if data is not None or code <= 100:
            locked = functools.partial(_fast_locked, b, code, msg, now(),
                                       data)
    try:
        res = table.lookup_reply(h, label, b, mid, msg.method, locked)
    except Exception as exc:  # noqa: BLE001 - nothing is referenced
        LM_ERR("reply processing failed: %s: %s", type(exc).__name__, exc)
        return 0
    if res is False:
        return 1
    t_stats.inc("received_replies")
    t = (h, label)
    if res is not True:                     # done under the lock
        try:
            _after_decide(t, b, code, msg, res, data)
        except Exception as exc:  # noqa: BLE001
            LM_ERR("reply processing failed: %s: %s", type(exc).__name__,
                   exc)
        return 0
    try:
        _on_reply(t, b, msg)
    except Exception as exc:  # noqa: BLE001 - the reference must be dropped
        LM_ERR("reply processing failed: %s: %s", type(exc).__name__, exc)
    finally:
        table.unref(h, label)
    return 0


def _fast_locked(b, code, msg, t_now, data, v):
    """Under the lock: the whole fast path, or a reference for the slow one
    (``v`` last: the arguments before it are bound positionally, which is
    cheaper than by keyword)."""
    h = v.header()
    flags = h[H_FLAGS]
    if (flags & C.T_IS_LOCAL or h[H_ON_REPLY] or h[H_TMCB_TYPES]
            or v.branch_head(b)[1] & C.BR_TO_CANCEL):
        return rt.table.ref_view(v)
    if code >= 200:
        stop_branch_timers(v, b)
    elif flags & C.T_IS_INVITE:
        disarm(v, W.TK_RETR, b)
    else:
        v.bset(b, "retr_iv", rt.timers.t2)
    # the timer writes above leave the header snapshot valid
    return _decide_locked(v, b, code, msg, t_now, data, h)


def _on_reply(t, b, msg):
    code = msg.status
    t_now = now()
    with rt.table.edit(*t) as v:
        if v is None:
            return
        flags = v.get("flags")
        is_inv = bool(flags & C.T_IS_INVITE)
        if int(msg.method_id) == _CANCEL and is_inv:
            disarm(v, W.TK_CRETR, b)        # the reply to our CANCEL
            disarm(v, W.TK_CFR, b)
            return
        brf = v.bget(b, "flags")
        if code >= 200:
            stop_branch_timers(v, b)
        elif is_inv:
            disarm(v, W.TK_RETR, b)
        else:
            v.bset(b, "retr_iv", rt.timers.t2)
        late_cancel = bool(brf & C.BR_TO_CANCEL) and code < 200
        if late_cancel:
            v.bset(b, "flags", brf & ~C.BR_TO_CANCEL)
        local = bool(flags & C.T_IS_LOCAL)
        # hop-by-hop ACK of a negative reply; a local UAC also ACKs its 2xx
        ack = is_inv and (code >= 300 or (local and code >= 200 and not
                                          flags & C.T_NO_AUTO_ACK))
        bdata = br_tuple(v, b) if ack else None
        tc = None if local else t_hooks.collect(v, t_hooks.TMCB_RESPONSE_IN)
        dst = (v.bget(b, "proto"), v.bget(b, "port"), v.bget(b, "sock"))
        on_reply = v.get("on_reply")
        msg_flags, bflags = v.get("msg_flags"), v.bget(b, "bflags")
        avps = v.section(C.SEC_AVP) if on_reply and \
            rt.cfg.onreply_avp_mode else None
    if tc is not None:
        t_hooks.run_trans_callbacks(t_hooks.TMCB_RESPONSE_IN, tc, None, msg,
                                    code)
    if bdata is not None:                   # hop-by-hop ACK, §17.1.1.3
        try:
            ack = build_ack(bdata[BR_BUFFER], msg)
            proto, port, sidx = dst
            ip = bdata[BR_DST_IP]
            forward.msg_send(sock_by_index(sidx, proto, ip), proto, ip, port,
                             ack)
        except SipParseError as exc:
            LM_ERR("cannot build the ACK: %s", exc.reason)
    if late_cancel:
        from openser_py.modules.tm import t_fwd
        t_fwd.cancel_branches(t, 1 << b, 0)
    if on_reply:
        fn = cfgload.current_script.tables.get(ONREPLY_ROUTE, on_reply)
        if fn is not None:
            lst = AvpList.from_bytes(avps) if avps else AvpList()
            msg.flags = msg_flags
            setb0flags(msg, bflags)
            ret = run_nested(fn, ONREPLY_ROUTE, msg, t, code, b, avps=lst)
            with rt.table.edit(*t) as v:
                if v is not None:
                    v.set("msg_flags", msg.flags or 0)
                    v.bset(b, "bflags", getb0flags(msg))
                    if avps is not None:
                        v.set_section(C.SEC_AVP, lst.to_bytes())
            if ret & DROP_R_F and code < 200:
                LM_DBG("provisional reply dropped by onreply_route")
                return
    decide(t, b, code, msg, t_now)


def fake_reply(t, b, code, t_now=None):
    """A local 408/487 for branch ``b`` through the same decision."""
    decide(t, b, code, None, now() if t_now is None else t_now)


def decide(t, b, code, msg, t_now):
    """Relay decision for reply ``code`` on branch ``b`` (msg None: faked)."""
    with rt.table.edit(*t) as v:
        if v is None:
            return
        r = _decide_locked(v, b, code, msg, t_now)
    _after_decide(t, b, code, msg, r)


# t_pick.should_relay is a pure function of the snapshot, the branch and
# the code, and the same few inputs come back on every call (a 180, then a
# 200, on a one-branch transaction): its decisions are kept, keyed by
# everything the snapshot is made of (the branches as their raw status and
# flags records).  Decisions are immutable, so they can be shared.
_DECISIONS = {}
_DECISIONS_MAX = 1024
_SNAP_FLAGS = C.T_IS_INVITE | C.T_CANCELED


def _decision(v, h, b, code):
    """``should_relay`` for reply ``code`` on branch ``b`` of the viewed
    cell (``h``: its header), computed once per distinct input."""
    flags = h[H_FLAGS]
    key = (flags & _SNAP_FLAGS, h[H_UAS_STATUS], h[H_METHOD_ID],
           h[H_FIRST_BRANCH], v.branch_heads(), b, code)
    d = _DECISIONS.get(key)
    if d is None:
        snap = Snapshot(bool(flags & C.T_IS_INVITE), h[H_UAS_STATUS],
                        h[H_METHOD_ID] == _CANCEL,
                        bool(flags & C.T_CANCELED), h[H_FIRST_BRANCH],
                        branch_states(v))
        d = should_relay(snap, b, code)
        if len(_DECISIONS) >= _DECISIONS_MAX:
            _DECISIONS.clear()
        _DECISIONS[key] = d
    return d


def _decide_locked(v, b, code, msg, t_now, data=None, h=None):
    """The critical section of :func:`decide` (inside ``table.edit``).

    ``h``: the header (``v.header()``) if the caller read it in this
    critical section and wrote no header field since.  Every header field
    used here comes from it, read before any write here changes it
    (``or_flags`` sets only ``T_NO_NEW_BRANCHES``; the ``T_IS_*`` bits
    read afterwards never change).

    Returns ``(decision, relay_dst, send_bm, fake_bm, local_ev, tc,
    out_tc, pushed)`` for :func:`_after_decide`.  With ``data`` (the
    reply already built for relaying: the fast path of
    :func:`reply_received`) a relayed reply is also stored here -- the
    last reply sent upstream, and for a final its state and timers -- so
    no ``CLAIM_REPLY`` is needed between the decision and the store.
    """
    relay_dst = None
    send_bm = fake_bm = 0
    local_ev = 0
    tc = out_tc = None
    pushed = None
    if h is None:
        h = v.header()
    flags = h[H_FLAGS]
    is_inv = bool(flags & C.T_IS_INVITE)
    last, brf = v.branch_head(b)
    brf |= C.BR_RECEIVED
    if msg is None:
        brf |= C.BR_FAKED
    elif code < 200 and brf & C.BR_TO_CANCEL:
        # the branch was cancelled (faked 487) after _on_reply looked:
        # this is the serialisation point, the CANCEL goes out now
        brf &= ~C.BR_TO_CANCEL
        send_bm = 1 << b
    uas_status = h[H_UAS_STATUS]
    d = _decision(v, h, b, code)
    if d.branch_status is not None:
        v.bset(b, "status", d.branch_status)
        v.bset(b, "state", fsm.S_PROCEEDING if code < 200 else
               fsm.S_ACCEPTED if is_inv and code < 300 else
               fsm.S_COMPLETED)
    if d.no_new_branches:
        v.or_flags(C.T_NO_NEW_BRANCHES)
    if d.cancel_bm:
        states = branch_states(v)           # with this branch's new status
        sbm, fake_bm = cancel_plan(states, d.cancel_bm)
        send_bm |= sbm
        for i in range(len(states)):
            if d.cancel_bm & (1 << i):
                f = v.bget(i, "flags") | C.BR_CANCELED
                if fake_bm & (1 << i):
                    f |= C.BR_TO_CANCEL
                v.bset(i, "flags", f)
                if i == b:
                    brf = f | (brf & (C.BR_RECEIVED | C.BR_FAKED))
    if code >= 300 and d.branch_status is not None:
        brf |= C.BR_REPLY_STORED
        if msg is not None:
            set_br(v, b, reply=msg.buf)
    v.bset(b, "flags", brf)
    if d.relay >= 0 and flags & C.T_IS_LOCAL:
        local_ev = _local_winner(v, d.relay, code, t_now)
    elif d.relay >= 0:
        relay_dst = _uas_dst(v, h)
        if code >= 200:
            if uas_status < 200:
                v.set("uas_status", code)
                v.set("relayed_branch", d.relay)
                pushed = False
                if data is None:
                    v.set("claims", v.get("claims") | C.CLAIM_REPLY)
                else:                       # stored now (store_final)
                    set_uas_reply(v, data)
                    v.set("uas_state", fsm.S_ACCEPTED if code < 300 and
                          is_inv else fsm.S_COMPLETED)
                    _final_timers_locked(v, code, d.relay, t_now, h)
            else:
                pushed = True
                # a 2xx of another branch (new To-tag) is reported
                if h[H_RELAYED_BRANCH] != b and \
                        h[H_TMCB_TYPES] & t_hooks.TMCB_RESPONSE_OUT:
                    out_tc = t_hooks.collect(v, t_hooks.TMCB_RESPONSE_OUT)
        else:
            if code > uas_status:
                v.set("uas_status", code)
            if data is not None and uas_status < 200:
                set_uas_reply(v, data)      # the last reply sent upstream
    if code < 200 and is_inv and d.branch_status is not None:
        fr_inv = h[H_FR_INV_TIMEOUT]
        fr_due, _ = fsm.on_provisional(
            rt.timers, True, last, code, t_now,
            fr_inv / 1000.0 if fr_inv else None)
        if fr_due is not None:
            arm(v, W.TK_FR, b, max(fr_due - t_now, 0.0), t_now)
    if (local_ev or (relay_dst is not None and code < 300)) and \
            h[H_TMCB_TYPES] & _DECIDE_CBS:     # (t_hooks.collect's test)
        tc = t_hooks.collect(v, _DECIDE_CBS)
        if code < 200 and tc is not None:
            out_tc = tc                 # 1xx relayed: RESPONSE_OUT too
    return d, relay_dst, send_bm, fake_bm, local_ev, tc, out_tc, pushed


def _after_decide(t, b, code, msg, r, data=None):
    """What :func:`_decide_locked` decided, done outside the lock.

    ``data``: the reply was built (and, if final, stored) under the lock
    already; it is only sent here.
    """
    d, relay_dst, send_bm, fake_bm, local_ev, tc, out_tc, pushed = r
    if local_ev:
        if code >= 200:
            t_stats.completed(code)
        t_hooks.run_trans_callbacks(
            local_ev, tc, None,
            msg if msg is not None else t_hooks.FAKED_REPLY, code)
    if relay_dst is not None and msg is not None:
        if tc is not None:
            t_hooks.run_trans_callbacks(t_hooks.TMCB_RESPONSE_FWDED, tc,
                                        None, msg, code)
        if data is None:
            data = _relay(t, code, msg, relay_dst, d.relay, pushed)
        else:
            if send_uas(relay_dst, data) != 1:
                LM_ERR("failed to relay the %d reply", code)
            if pushed is False:
                t_stats.completed(code)
            t_stats.inc("relayed_replies")
        if out_tc is not None and data is not None:
            t_hooks.run_trans_callbacks(t_hooks.TMCB_RESPONSE_OUT, out_tc,
                                        None, msg, code, data, relay_dst)
    if send_bm or fake_bm:
        from openser_py.modules.tm import t_fwd
        t_fwd.cancel_branches(t, send_bm, fake_bm)
    if d.rps == RPS_PICKED:
        from openser_py.modules.tm import t_failure
        t_failure.on_picked(t, d.picked, d.picked_code)


def _local_winner(v, branch, code, t_now):
    """Local transaction (UAC, t_replicate): nothing goes upstream.

    Returns the callback event: ``TMCB_LOCAL_COMPLETED`` for the first
    final (the transaction then waits), ``TMCB_LOCAL_RESPONSE_OUT`` for a
    provisional, 0 for anything later.
    """
    status = v.get("uas_status")
    if status >= 200:
        return 0
    if code >= 200:
        v.set("uas_status", code)
        v.set("relayed_branch", branch)
        v.set("uas_state", fsm.S_COMPLETED)
        put_on_wait(v, t_now)
        return t_hooks.TMCB_LOCAL_COMPLETED
    if code > status:
        v.set("uas_status", code)
    return t_hooks.TMCB_LOCAL_RESPONSE_OUT


def _relay(t, code, msg, dst, branch, pushed):
    """Relay ``msg`` upstream; returns the bytes sent (None: not built)."""
    try:
        data = msg_translator.build_res_buf(msg)
    except SipParseError as exc:
        LM_ERR("cannot build the reply to relay: %s", exc.reason)
        return None
    if send_uas(dst, data) != 1:
        LM_ERR("failed to relay the %d reply", code)
    if pushed is None:                      # provisional: last reply sent
        t_stats.inc("relayed_replies")
        with rt.table.edit(*t) as v:
            if v is not None and v.get("uas_status") < 200:
                set_uas_reply(v, data)
    elif pushed:                            # a further 2xx after completion
        t_stats.inc("relayed_replies")
    else:
        store_final(t, code, data, branch, False, msg, dst)
    return data
