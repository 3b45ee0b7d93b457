"""Forwarding: branches, t_relay, CANCEL (reference §5.4, RFC 3261 §16.6).

Theory of operation
-------------------
:func:`relay` is ``t_relay``.  An ACK that is not absorbed by a
transaction (end-to-end ACK of a 2xx, or no transaction at all) is
forwarded statelessly.  Anything else gets its transaction
(``t_newtran.newtran``; a retransmission stops the script), an INVITE the
``100 Giving a try`` (unless flag 0x01) when t_relay created it, and a
CANCEL whose INVITE transaction exists is handled locally
(:func:`cancel_invite`).  Then :func:`forward_branches`:

* destinations: the current R-URI (with ``$du``, path, branch-0 flags and
  forced socket) on the first forwarding of the transaction, then every
  branch of the destination set, which is consumed.  Called again (failure
  route: serial forking) only the newly appended branches go out.
* per branch (:func:`_add_branch`): ``branch_route[N]`` on the message set
  up for that branch (its lumps are kept for that branch only; ``drop``
  skips it; ``$T_branch_idx`` is the 1-based index); destination, socket,
  blacklist; the buffer with our Via (branch ``<hash>.<label>.<b>``); then
  one critical section arms its retransmission (UDP, T1) and FR timers
  and adds the branch record with their handles -- refused atomically
  (timers disarmed) if the transaction was cancelled or a 6xx won; then
  it is sent, outside the lock.  A send failure deactivates the branch
  again.  A successful t_relay notes ``tm.branched`` for ``post_script``.
* nothing sent: a stateful error reply (``476 Unresolvable destination
  (476/TM)`` ...), unless flag 0x02 or in a failure route; t_relay then
  returns 0 if that reply went out.

CANCEL (:func:`cancel_invite`, §9.2 / §16.10): ``200 canceling`` on the
CANCEL's own transaction; the INVITE is flagged cancelled and, in one
critical section, the branches without a final reply are marked;
:func:`cancel_branches` sends a CANCEL (built from the stored branch
buffer, retransmitted over UDP) on those that had a provisional and fakes
a 487 for those that had none (a later 1xx on them is cancelled then).
"""
import copy
import functools

from openser_py.core import dset, forward
from openser_py.core.dns import failover as dns_failover
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.errors import (E_BAD_ADDRESS, E_IP_BLOCKED,
                                    E_NO_DESTINATION, E_NO_SOCKET, E_SEND,
                                    E_TOO_MANY_BRANCHES, E_UNSPEC,
                                    err2reason_phrase)
from openser_py.core.exports import BRANCH_ROUTE, REQUEST_ROUTE
from openser_py.core.flags import getb0flags, setb0flags
from openser_py.core.ip_addr import af_of
from openser_py.core.route import DROP_R_F
from openser_py.core.script_state import state
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import fsm, t_hooks, t_reply
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.h_table import tm_hash
from openser_py.modules.tm.t_cellio import (BR_BUFFER, BR_CANCEL, BR_DST_IP,
                                            arm, br_tuple, branch_states,
                                            set_br, stop_branch_timers)
from openser_py.modules.tm.t_lookup import match_cancel, request_key
from openser_py.modules.tm.t_msgbuild import build_branch, build_cancel
from openser_py.modules.tm.t_newtran import (ACK_E2E, ACK_NONE, NEW, RETRANS,
                                             newtran)
from openser_py.modules.tm.t_pick import cancel_plan, which_cancel
from openser_py.modules.tm.t_state import (match_cfg, now, rt, run_nested,
                                           sock_by_index, sock_index)
from openser_py.parser.errors import SipParseError
from openser_py.parser.methods import METHOD_ACK, METHOD_CANCEL, METHOD_INVITE

__all__ = ["relay", "replicate", "forward_branches", "cancel_invite",
           "cancel_all", "cancel_branches", "mark_cancel_locked",
           "script_ret", "F_NO_100",
           "F_NO_ERR_REPLY", "F_NO_DNS_FAILOVER", "F_REPLICATE"]

F_NO_100, F_NO_ERR_REPLY, F_NO_DNS_FAILOVER = 0x01, 0x02, 0x04
F_REPLICATE = 0x10000           # internal: t_replicate (OpenSER repl flag)
_ACK, _CANCEL = int(METHOD_ACK), int(METHOD_CANCEL)
_INVITE = int(METHOD_INVITE)
_B_FLAGS, _B_STATE, _B_PROTO, _B_PORT, _B_SOCK, _B_RETR_IV, _B_RETR_H, \
    _B_RETR_DUE, _B_FR_H, _B_FR_DUE = (C.BR_I[n] for n in (
        "flags", "state", "proto", "port", "sock", "retr_iv", "retr_h",
        "retr_due", "fr_h", "fr_due"))
_DROPPED = -1000                # a branch_route dropped the branch
_BRANCH_CBS = t_hooks.TMCB_REQUEST_FWDED | t_hooks.TMCB_REQUEST_BUILT
_SCRIPT_ERR = {E_NO_DESTINATION: -3, E_TOO_MANY_BRANCHES: -3,
               E_BAD_ADDRESS: -4, E_IP_BLOCKED: -5, E_SEND: -6,
               E_NO_SOCKET: -6, -2: -2}
# CellView.add_branch results (-3: the branch is too large) -> errors
_ADD_ERR = {-3: E_UNSPEC, -2: E_NO_DESTINATION, -1: E_TOO_MANY_BRANCHES}


def script_ret(err):
    """An internal error -> t_relay's documented return value (§4.4).

    The internal error itself is left in ``state.ser_error`` so that a
    following ``sl_reply_error()`` answers ``476 Unresolvable destination``
    and friends, as OpenSER does.
    """
    if err < 0:
        state.ser_error = err
    return _SCRIPT_ERR.get(err, -1)


def relay(msg, dest=None, flags=0):
    """``t_relay([dest][, flags])``; returns the script value."""
    if msg.method_id == _ACK:
        res, _ = newtran(msg)
        if res == RETRANS:
            return 0
        ret = forward.forward_request(msg, dest)
        return 1 if ret == 1 else script_ret(ret)
    extra = (C.T_NO_DNS_FAILOVER if flags & F_NO_DNS_FAILOVER else 0) | \
        (C.T_KILL_REPLY if flags & F_NO_ERR_REPLY else 0) | \
        (C.T_IS_LOCAL if flags & F_REPLICATE else 0)
    res, t = newtran(msg, extra, msg.method_id == _INVITE and
                     not flags & (F_NO_100 | F_REPLICATE))
    # the cell this very call created (None: t_newtran made it earlier,
    # or REQUEST_IN callbacks may have changed it)
    fresh = msg.ctx.pop("tm.fresh", None) if msg.ctx else None
    if res == RETRANS:
        return 0
    if res < 0:
        return script_ret(res)
    if res in (ACK_E2E, ACK_NONE):
        return -1
    if res != NEW:
        fresh = None
        if extra:
            with rt.table.edit(*t) as v:
                if v is not None:
                    v.or_flags(extra)
    if msg.method_id == _CANCEL and cancel_invite(msg, t):
        return 1
    err = forward_branches(msg, t, dest, fresh)
    if err >= 0:
        msg.ctx["tm.branched"] = True       # for t_newtran.post_script
        return 1
    if state.route_type == REQUEST_ROUTE and \
            not flags & (F_NO_ERR_REPLY | F_REPLICATE):
        code, reason = err2reason_phrase(err, "TM")
        if t_reply.reply_local(t, msg, code, reason) == 1:
            return 0
    return script_ret(err)


def replicate(msg, uri, flags=0):
    """``t_replicate(uri[, flags])``: send a copy of the request to ``uri``.

    OpenSER's "horrible hack" for REGISTER replication: the request goes
    as is (R-URI unchanged, ``uri`` as the next hop; appended branches
    keep the R-URI and get their URI as next hop), statefully, in a
    transaction marked local so that the replies stop here; no 100 and
    no error reply upstream.  Only flag 0x04 (no DNS failover) matters.
    """
    from openser_py.modules.tm.t_state import bound
    msg.dst_uri = uri
    ruri = msg.new_uri if msg.new_uri is not None else msg.ruri
    if dset.branch_uri2dset(ruri) != 0:
        LM_ERR("failed to convert uri to dst")
        return -1
    t = bound(msg)
    if t is None:
        return relay(msg, None, (flags & F_NO_DNS_FAILOVER) | F_REPLICATE)
    if msg.method_id == _ACK:
        return -1
    with rt.table.edit(*t) as v:
        if v is not None:
            v.or_flags(C.T_IS_LOCAL)
    err = forward_branches(msg, t)
    return 1 if err >= 0 else script_ret(err)


def forward_branches(msg, t, dest=None, fresh=None):
    """Send the branches of ``msg``; the number sent, or an error (< 0).

    ``fresh``: the :class:`~openser_py.modules.tm.cell.Cell` the calling
    t_relay has just inserted; what it holds need not be read back.
    """
    if fresh is not None:
        first, on_branch = True, fresh.on_branch
    else:
        with rt.table.edit(*t) as v:
            if v is None:
                return E_UNSPEC
            first = v.nr_branches() == 0
            on_branch = v.get("on_branch")
    targets = []
    if first:
        uri = msg.new_uri if msg.new_uri is not None else msg.ruri
        targets.append((uri, msg.dst_uri, msg.path_vec, getb0flags(msg),
                        msg.force_send_socket))
    for br in dset.get_branches():
        targets.append((br.uri, br.dst_uri, br.path, br.flags,
                        br.force_socket))
    dset.clear_branches()
    if not targets:
        LM_ERR("no branches for forwarding")
        return E_NO_DESTINATION
    saved = (msg.new_uri, msg.dst_uri, msg.path_vec, getb0flags(msg),
             msg.force_send_socket)
    sent, lowest = 0, E_NO_DESTINATION
    try:
        for target in targets:
            ret = _add_branch(msg, t, target, dest, on_branch, fresh)
            fresh = None
            if ret >= 0:
                sent += 1
            elif ret != _DROPPED and lowest == E_NO_DESTINATION:
                lowest = ret
    finally:
        (msg.new_uri, msg.dst_uri, msg.path_vec, flags0,
         msg.force_send_socket) = saved
        setb0flags(msg, flags0)
    return sent if sent else lowest


def _dest(msg, dest):
    if dest is not None:
        return dest
    target = msg.dst_uri or (msg.new_uri if msg.new_uri is not None
                             else msg.ruri)
    return forward.uri2dest(target)


def _add_branch(msg, t, target, dest, on_branch, fresh=None):
    uri, du, path, bflags, fsock = target
    msg.new_uri, msg.dst_uri, msg.path_vec = uri, du, path
    msg.force_send_socket = fsock
    setb0flags(msg, bflags)
    if fresh is not None and not fresh.tmcb_types:
        # branch 0 of the cell just created (flags are checked again
        # when the branch is added, under the lock)
        b, fr_ms, tc = 0, fresh.fr_timeout, None
        is_inv = bool(fresh.flags & C.T_IS_INVITE)
    else:
        with rt.table.edit(*t) as v:
            if v is None:
                return E_UNSPEC
            if v.get("flags") & (C.T_CANCELED | C.T_NO_NEW_BRANCHES):
                return E_NO_DESTINATION
            b = v.nr_branches()
            if b >= C.MAX_BRANCHES:
                return E_TOO_MANY_BRANCHES
            fr_ms = v.get("fr_timeout")
            is_inv = bool(v.get("flags") & C.T_IS_INVITE)
            tc = t_hooks.collect(v, _BRANCH_CBS)
    lumps = msg.lumps
    if on_branch:
        from openser_py.core import cfgload
        fn = cfgload.current_script.tables.get(BRANCH_ROUTE, on_branch)
        if fn is not None:
            msg.lumps = copy.deepcopy(lumps) if lumps else lumps
            if run_nested(fn, BRANCH_ROUTE, msg, t, branch_idx=b + 1) \
                    & DROP_R_F:
                msg.lumps = lumps
                LM_DBG("branch %d dropped by branch_route", b)
                return _DROPPED
    try:
        if tc is not None:
            t_hooks.run_trans_callbacks(t_hooks.TMCB_REQUEST_FWDED, tc, msg,
                                        None, -int(msg.method_id))
        ret = _send_branch(msg, t, b, dest, is_inv, fr_ms, tc)
        if ret == E_SEND:       # DNS failover: the name's next address
            ret = dns_failover.send_failover(msg, t, b, dest, lambda nb, d:
                                             _send_branch(msg, t, nb, d, is_inv,
                                                          fr_ms, tc))
        return ret
    finally:
        msg.lumps = lumps


def _send_branch(msg, t, b, dest, is_inv, fr_ms, tc=None):
    try:
        proto, ip, port = _dest(msg, dest)
    except (ValueError, SipParseError) as exc:
        LM_ERR("bad destination for branch %d: %s", b, exc)
        return E_BAD_ADDRESS
    if msg.ctx.get("blacklists"):
        from openser_py.core import blacklist
        if blacklist.check(msg, proto, ip, port) is not None:
            LM_ERR("destination %s:%d blocked by blacklist", ip, port)
            return E_IP_BLOCKED
    sock = forward.get_send_socket(proto, af_of(ip), msg.force_send_socket)
    if sock is None:
        LM_ERR("no socket to send branch %d to %s", b, ip)
        return E_NO_SOCKET
    try:
        data = build_branch(msg, sock, proto, t[0], t[1], b)
    except SipParseError as exc:
        LM_ERR("cannot build branch %d: %s", b, exc.reason)
        return E_UNSPEC
    # the fields every branch gets are written by index (no property call)
    br = C.Branch()
    br[_B_FLAGS] = C.BR_ACTIVE
    br[_B_STATE] = fsm.S_CALLING if is_inv else fsm.S_TRYING
    bflags = getb0flags(msg)
    if bflags:
        br.bflags = bflags
    br[_B_PROTO], br[_B_PORT], br[_B_SOCK] = proto, port, sock_index(sock)
    br[_B_RETR_IV] = rt.timers.t1
    br.buffer, br.uri, br.dst_ip = data, msg.new_uri or msg.ruri, ip
    br.dst_uri, br.path = msg.dst_uri or "", msg.path_vec or ""
    t_now = now()
    retr_s = rt.timers.t1 / 1000.0 if fsm.needs_retr(proto) else 0
    fr_s = fsm.fr_interval(rt.timers, is_inv, False,
                           fr_ms / 1000.0 if fr_ms else None) / 1000.0
    wheel = rt.wheel
    with rt.table.edit(*t) as v:
        if v is None:
            return E_UNSPEC
        if is_inv and v.get("uas_status") >= 200:
            # a final of an earlier branch of this very t_relay was relayed
            # meanwhile; OpenSER adds every branch before sending any, so
            # this one would have been cancelled: it goes out flagged to
            # be cancelled at its first provisional reply
            LM_DBG("transaction completed: branch %d to be cancelled", b)
            br.flags |= C.BR_CANCELED | C.BR_TO_CANCEL
        # the branch's timers are armed first and their handles go into
        # the branch record, so the record is complete when it is added
        # (same critical section); disarmed again if it is not added
        retr_h = wheel.arm(t_now, retr_s, t[0], t[1], b, W.TK_RETR) \
            if retr_s else 0
        if retr_h:
            br[_B_RETR_H], br[_B_RETR_DUE] = retr_h, t_now + retr_s
        fr_h = wheel.arm(t_now, fr_s, t[0], t[1], b, W.TK_FR)
        if fr_h:
            br[_B_FR_H], br[_B_FR_DUE] = fr_h, t_now + fr_s
        try:
            idx = v.add_branch(br)
        except C.CellError as exc:
            LM_ERR("branch %d too large: %s", b, exc)
            idx = -3
        if idx != b:
            if idx >= 0:                    # never: one writer at a time
                stop_branch_timers(v, idx)
                v.bset(idx, "flags", 0)
            else:
                for handle in (retr_h, fr_h):
                    if handle:
                        wheel.disarm(handle)
            return _ADD_ERR.get(idx, E_UNSPEC)
    if forward.msg_send(sock, proto, ip, port, data) != 1:
        LM_ERR("sending branch %d to %s:%d failed", b, ip, port)
        with rt.table.edit(*t) as v:
            if v is not None:
                stop_branch_timers(v, b)
                v.bset(b, "flags", v.bget(b, "flags") & ~C.BR_ACTIVE)
        return E_SEND
    if tc is not None:
        t_hooks.run_trans_callbacks(t_hooks.TMCB_REQUEST_BUILT, tc, msg, None,
                                    -int(msg.method_id), data,
                                    (proto, ip, port))
    return b


def cancel_invite(msg, t_cancel):
    """CANCEL ``msg`` (transaction ``t_cancel``): True if it cancelled one."""
    try:
        key = request_key(msg)
    except (SipParseError, ValueError):
        return False
    h = tm_hash(key.callid, key.cseq_num)
    label = rt.table.lookup_cancel(h, functools.partial(
        match_cancel, key, **match_cfg()))
    if not label:
        return False
    inv = (h, label)
    try:
        t_reply.reply_local(t_cancel, msg, 200, "canceling")
        cancel_all(inv)
    finally:
        rt.table.unref(*inv)
    return True


def cancel_all(inv):
    """Cancel every pending branch of INVITE transaction ``inv``.

    Flags it cancelled and, in one critical section, marks the branches
    without a final reply; then CANCELs those that had a provisional and
    fakes a 487 for the silent ones (a later 1xx on them is cancelled).
    """
    with rt.table.edit(*inv) as v:
        if v is None:
            return
        v.or_flags(C.T_CANCELED)
        send_bm, fake_bm = mark_cancel_locked(v)
    cancel_branches(inv, send_bm, fake_bm)


def mark_cancel_locked(v, active_only=False):
    """Inside ``edit``: mark the branches without a final reply cancelled.

    Returns ``(send_bm, fake_bm)`` for :func:`cancel_branches` (call it
    after the release).  ``active_only`` skips branches never sent.
    """
    states = branch_states(v)
    bm = which_cancel(states)
    if active_only:
        for b, st in enumerate(states):
            if not st.active:
                bm &= ~(1 << b)
    send_bm, fake_bm = cancel_plan(states, bm)
    for b in range(len(states)):
        if (send_bm | fake_bm) & (1 << b):
            f = v.bget(b, "flags") | C.BR_CANCELED
            v.bset(b, "flags", f | (C.BR_TO_CANCEL
                                    if fake_bm & (1 << b) else 0))
    return send_bm, fake_bm


def cancel_branches(t, send_bm, fake_bm):
    """CANCEL the ``send_bm`` branches, fake a 487 on the ``fake_bm`` ones."""
    for b in range(C.MAX_BRANCHES):
        if send_bm & (1 << b):
            _send_cancel(t, b)
    for b in range(C.MAX_BRANCHES):
        if fake_bm & (1 << b):
            t_reply.fake_reply(t, b, 487)


def _send_cancel(t, b):
    with rt.table.edit(*t) as v:
        if v is None or b >= v.nr_branches():
            return
        bdata = br_tuple(v, b)
        if bdata[BR_CANCEL]:
            return                          # already sent
        proto, port, sidx = (v.bget(b, "proto"), v.bget(b, "port"),
                             v.bget(b, "sock"))
    try:
        data = build_cancel(bdata[BR_BUFFER])
    except SipParseError as exc:
        LM_ERR("cannot build the CANCEL of branch %d: %s", b, exc.reason)
        return
    ip = bdata[BR_DST_IP]
    t_now = now()
    with rt.table.edit(*t) as v:
        if v is None:
            return
        set_br(v, b, cancel=data)
        v.bset(b, "retr_iv", rt.timers.t1)
        if fsm.needs_retr(proto):
            arm(v, W.TK_CRETR, b, rt.timers.t1 / 1000.0, t_now)
        arm(v, W.TK_CFR, b, rt.timers.fr / 1000.0, t_now)
    forward.msg_send(sock_by_index(sidx, proto, ip), proto, ip, port, data)
