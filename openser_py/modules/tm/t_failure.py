"""Every branch is final: failure route, then relay the best reply (§5.6).

Theory of operation
-------------------
When ``t_pick.should_relay`` answers ``RPS_PICKED`` (every branch has a
final reply, or a 6xx arrived) :func:`on_picked` runs, in whichever
process saw the last reply -- a worker, or the timer process for a faked
408.  It takes ``CLAIM_FAILURE`` (doc/dev/tm.md: a claim instead of
OpenSER's reply lock held across script code); a process that finds it
busy only marks it pending and returns, and the holder re-evaluates when
it releases, so the failure route never runs twice at once and no final
reply is lost.

With the claim held and outside any lock: the armed ``failure_route`` is
disarmed (it must be re-armed to run again, OpenSER semantics) and run on
a *faked request* re-parsed from the stored request bytes -- R-URI = the
winning branch's URI, message flags and the transaction's AVPs, branch
flags of the winning branch, ``$T_reply_code`` = the winning code.  The
route may reply (``t_reply``), add branches (``append_branch`` +
``t_relay``: serial forking) or do nothing.  Then ``t_pick.after_failure``
decides: completed, wait for the new branches, or relay the picked reply
(:func:`relay_picked`: the stored reply with our Via stripped, or for a
faked 408/487 a local reply built from the request).

DNS failover (RFC 3263, next address of the same name) runs first, in
``openser_py.core.dns.failover.reply_failover``: when it sends a new
branch the transaction waits for it and no failure route runs yet.
"""
from openser_py.core import cfgload
from openser_py.core.dns import failover as dns_failover
from openser_py.core.dprint import LM_ERR
from openser_py.core.exports import FAILURE_ROUTE
from openser_py.core.flags import setb0flags
from openser_py.core.ip_addr import ReceiveInfo
from openser_py.core.usr_avp import AvpList
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import t_hooks, t_reply, t_stats
from openser_py.modules.tm.h_table import CLAIMED
from openser_py.modules.tm.t_cellio import (BR_REPLY, BR_URI, UAS_DST_IP,
                                            UAS_REQUEST, br_tuple,
                                            branch_states, put_on_wait,
                                            uas_tuple)
from openser_py.modules.tm.t_pick import (after_failure, pick_branch,
                                          run_failure_handlers)
from openser_py.modules.tm.t_state import (bind, now, rt, run_nested,
                                           sock_by_index)
from openser_py.parser import msg_translator
from openser_py.parser.errors import SipParseError
from openser_py.parser.methods import METHOD_CANCEL
from openser_py.parser.msg import parse_msg

__all__ = ["on_picked", "relay_picked", "faked_request"]

_FAIL_CBS = t_hooks.TMCB_ON_FAILURE | t_hooks.TMCB_ON_FAILURE_RO


def on_picked(t, picked, code):
    """Failure handling for winner ``picked`` / ``code`` (module doc)."""
    table = rt.table
    while picked >= 0:
        if table.claim(t[0], t[1], C.CLAIM_FAILURE) != CLAIMED:
            return
        try:
            _handle(t, picked, code)
        finally:
            pending = table.release(t[0], t[1], C.CLAIM_FAILURE)
        if pending <= 0:
            return
        with table.edit(*t) as v:           # a reply came meanwhile
            if v is None or v.get("uas_status") >= 200:
                return
            picked, code = pick_branch(branch_states(v),
                                       v.get("first_branch"),
                                       bool(v.get("flags") & C.T_CANCELED))


def faked_request(request, uas, flags, t):
    """The request a failure route runs on (re-parsed from shm bytes)."""
    req = parse_msg(request)
    proto, ip, port, sidx = uas
    req.rcv = ReceiveInfo(ip, port, "", 0, proto, sock_by_index(sidx, proto,
                                                                ip))
    req.flags = flags
    bind(req, t)
    return req


def _handle(t, picked, code):
    if dns_failover.reply_failover(t, picked, code):
        return              # DNS failover: a branch to the next address is out
    with rt.table.edit(*t) as v:
        if v is None or v.get("uas_status") >= 200:
            return
        n_before = v.nr_branches()
        flags = v.get("flags")
        on_failure = v.get("on_failure")
        has_cbs = bool(v.get("tmcb_types") & _FAIL_CBS)
        run = run_failure_handlers(
            on_failure, has_cbs, v.get("method_id") == int(METHOD_CANCEL),
            bool(flags & C.T_NO_UAS), n_before, n_before)
        if run:
            tc = t_hooks.collect(v, _FAIL_CBS) if has_cbs else None
            v.set("on_failure", 0)
            uas = uas_tuple(v)
            dst = (v.get("uas_proto"), uas[UAS_DST_IP], v.get("uas_port"),
                   v.get("uas_sock"))
            bdata = br_tuple(v, picked)
            bflags = v.bget(picked, "bflags")
            local = bool(v.bget(picked, "flags") & C.BR_FAKED)
            avps = v.section(C.SEC_AVP)
            msg_flags = v.get("msg_flags")
    if run:
        fn = cfgload.current_script.tables.get(FAILURE_ROUTE, on_failure) \
            if on_failure else None
        if fn is not None or tc is not None:
            try:
                req = faked_request(uas[UAS_REQUEST], dst, msg_flags, t)
            except SipParseError as exc:
                LM_ERR("cannot re-parse the stored request: %s", exc.reason)
                req = None
            if req is not None:
                # a blind branch (t_write_*) has no URI: $ru is then the
                # stored request's, as OpenSER's empty uac->uri gives
                req.new_uri = bdata[BR_URI] or None
                setb0flags(req, bflags)
                if tc is not None:
                    _failure_callbacks(tc, req, bdata[BR_REPLY], local, code)
                lst = AvpList.from_bytes(avps) if avps else AvpList()
                if fn is not None:
                    run_nested(fn, FAILURE_ROUTE, req, t, code, picked,
                               local, avps=lst)
                with rt.table.edit(*t) as v:
                    if v is not None:
                        v.set("msg_flags", req.flags or 0)
                        v.set_section(C.SEC_AVP, lst.to_bytes())
    with rt.table.edit(*t) as v:
        if v is None:
            return
        d = after_failure(v.get("uas_status"), n_before, v.nr_branches(),
                          picked, code)
        if d.relay < 0:
            if not d.store:
                return                      # replied in the failure route
            # new branches: wait for them, unless none could be sent
            picked, code = pick_branch(branch_states(v),
                                       v.get("first_branch"),
                                       bool(v.get("flags") & C.T_CANCELED))
    if picked >= 0:
        relay_picked(t, picked, code)


def _parse_reply(data, faked):
    if faked or not data:
        return t_hooks.FAKED_REPLY
    try:
        return parse_msg(data)
    except SipParseError:
        return t_hooks.FAKED_REPLY


def _failure_callbacks(tc, req, reply, faked, code):
    """``TMCB_ON_FAILURE_RO`` and ``TMCB_ON_FAILURE`` on the faked request."""
    tc._req = req                           # flags changed -> transaction
    rpl = _parse_reply(reply, faked)
    for ev in (t_hooks.TMCB_ON_FAILURE_RO, t_hooks.TMCB_ON_FAILURE):
        t_hooks.run_trans_callbacks(ev, tc, req, rpl, code)


def _local_picked(t, picked, code):
    """A local transaction's winning final: complete it, no upstream."""
    with rt.table.edit(*t) as v:
        if v is None or v.get("uas_status") >= 200:
            return
        v.set("uas_status", code)
        v.set("relayed_branch", picked)
        put_on_wait(v, now())
        faked = bool(v.bget(picked, "flags") & C.BR_FAKED)
        tc = t_hooks.collect(v, t_hooks.TMCB_LOCAL_COMPLETED)
        reply = br_tuple(v, picked)[BR_REPLY] if tc is not None else b""
    t_stats.completed(code)
    if tc is not None:
        t_hooks.run_trans_callbacks(t_hooks.TMCB_LOCAL_COMPLETED, tc, None,
                                    _parse_reply(reply, faked), code)


def relay_picked(t, picked, code):
    """Send the winning final reply of branch ``picked`` upstream."""
    with rt.table.edit(*t) as v:
        if v is None or v.get("uas_status") >= 200:
            return
        local = bool(v.get("flags") & C.T_IS_LOCAL)
        faked = bool(v.bget(picked, "flags") & C.BR_FAKED)
        bdata = br_tuple(v, picked)
        uas = uas_tuple(v)
        dst = (v.get("uas_proto"), uas[UAS_DST_IP], v.get("uas_port"),
               v.get("uas_sock"))
        flags = v.get("msg_flags")
        if not faked and not local:
            v.set("uas_status", code)
            v.set("relayed_branch", picked)
            v.set("claims", v.get("claims") | C.CLAIM_REPLY)
    if local:
        _local_picked(t, picked, code)
        return
    if faked:
        try:
            req = faked_request(uas[UAS_REQUEST], dst, flags, t)
        except SipParseError as exc:
            LM_ERR("cannot re-parse the stored request: %s", exc.reason)
            return
        t_reply.reply_local(t, req, code,
                            t_reply.FAKED_REASONS.get(code, "Failure"))
        return
    try:
        rpl = parse_msg(bdata[BR_REPLY])
        data = msg_translator.build_res_buf(rpl)
    except SipParseError as exc:
        LM_ERR("cannot build the reply to relay: %s", exc.reason)
        return
    if t_reply.send_uas(dst, data) != 1:
        LM_ERR("failed to relay the %d reply", code)
    t_reply.store_final(t, code, data, picked, False, rpl, dst)
