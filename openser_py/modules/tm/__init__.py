"""tm -- stateful SIP processing: transactions (RFC 3261 §16-17).

The module keeps one transaction ("cell") per request it handles
statefully, in a 65536-entry table in shared memory, so that every worker
process recognises retransmissions, ACKs, CANCELs and the replies of the
requests it forwarded, retransmits over UDP, runs timers and picks the best
final reply of a fork.

Layout: the foundations (``h_table``, ``cell``, ``cell_view``,
``t_lookup``, ``t_branch``, ``fsm``, ``t_pick``, ``timer_wheel``; see
``doc/dev/tm.md``) and the stateful proxy on top of them: ``t_newtran``
(creation, retransmissions), ``t_fwd`` (t_relay, branches, CANCEL),
``t_reply`` (reply processing, local replies), ``t_failure`` (failure
route, best reply), ``t_timer`` (timer process), ``t_hooks`` (tm
callbacks), ``t_uac`` (local requests), ``t_mi`` (MI commands),
``t_stats``, ``t_funcs`` (script functions, PVs), ``t_write``
(t_write_req / t_write_unix), ``api``.  This file holds the exports only.
"""
from openser_py.core.exports import (BRANCH_ROUTE, FAILURE_ROUTE, INT_PARAM,
                                     ONREPLY_ROUTE, REQUEST_ROUTE, STR_PARAM,
                                     USE_FUNC_PARAM, CmdExport, MiExport,
                                     ModuleExports, ParamExport, PvExport)
from openser_py.mi.tree import MI_ASYNC_RPL_FLAG, MI_NO_INPUT_FLAG
from openser_py.modules.tm import api, t_funcs as F, t_hooks, t_mi, t_stats
from openser_py.modules.tm import t_write as TW


class cfg:
    """tm's modparam values (OpenSER 1.3 defaults)."""
    fr_timer = 30
    fr_inv_timer = 120
    wt_timer = 5
    delete_timer = 2
    T1_timer = 500
    T2_timer = 4000
    noisy_ctimer = 0
    ruri_matching = 1
    via1_matching = 1
    unix_tx_timeout = 2
    restart_fr_on_each_reply = 1
    fr_timer_avp = None
    fr_inv_timer_avp = None
    pass_provisional_replies = 0
    syn_branch = 1
    onreply_avp_mode = 0
    enable_stats = 1
    tw_append = []


def set_tw_append(vtype, value):
    """``modparam("tm", "tw_append", "name:elem;elem...")`` (repeatable).

    The syntax and duplicate names are checked here; the elements'
    pseudo-variables by ``mod_init`` and the t_write fixups.
    """
    from openser_py.core.dprint import LM_ERR
    defined = TW.definitions()
    try:
        defined.append(TW.check_tw_append(value, defined))
    except ValueError as exc:
        LM_ERR("tw_append: %s", exc)
        return -1
    return 0


def _int(name, doc):
    return ParamExport(name, INT_PARAM, cfg, doc=doc)


def mod_init():
    """Create the shm table and timer wheel, register the timer and hooks."""
    from openser_py.core import timer
    from openser_py.core.script_cb import (POST_SCRIPT_CB, REQ_TYPE_CB,
                                           register_script_cb)
    from openser_py.modules.tm import t_newtran, t_state, t_timer
    from openser_py.modules.tm.h_table import TransTable
    from openser_py.modules.tm.timer_wheel import TimerWheel

    def register(func, param, interval_ms, name):
        if all(t.func is not func for t in timer.timers()):
            timer.register_utimer(func, param, interval_ms, name)

    if TW.check_definitions() < 0:
        return -1
    t_stats.cfg.enabled = cfg.enable_stats
    t_hooks.sync_generation()
    t_hooks.declare(t_mi.mi_uac_dlg_hdl)
    if t_state.tm_init(cfg, TransTable, TimerWheel, register,
                       t_timer.tick) < 0:
        return -1
    return register_script_cb(t_newtran.post_script,
                              POST_SCRIPT_CB | REQ_TYPE_CB)


def child_init(rank):
    """After fork: the callback table is complete (see ``t_hooks``)."""
    t_hooks.freeze()
    return 0


def destroy():
    """Free the transaction table and the timer wheel."""
    from openser_py.modules.tm import t_state
    t_state.tm_destroy()


def response_f(msg):
    """Every received reply: 0 when it belongs to a transaction."""
    from openser_py.modules.tm import t_reply
    return t_reply.reply_received(msg)


_REQ, _FAIL, _RPL, _BR = (REQUEST_ROUTE, FAILURE_ROUTE, ONREPLY_ROUTE,
                          BRANCH_ROUTE)
_RELAY_DOC = (
    "Forward the request statefully: create the transaction if needed "
    "(a retransmission re-sends the last reply and returns 0, stopping "
    "the script), send \"100 Giving a try\" for a new INVITE, then one "
    "branch for the R-URI (first forwarding only) and one per appended "
    "branch, each through the armed branch_route, with our Via "
    "(branch z9hG4bK<hash>.<label>.<branch>), retransmitted over UDP and "
    "guarded by the final-response timer. A CANCEL matching an INVITE "
    "transaction is answered \"200 canceling\" and cancels its branches. "
    "An ACK without transaction (or for a proxied 2xx) is forwarded "
    "statelessly. If no branch could be sent a stateful error reply goes "
    "upstream (e.g. \"476 Unresolvable destination (476/TM)\") and 0 is "
    "returned, else -1 generic, -2 bad message, -3 no destination "
    "(cancelled, after a 6xx, no branch), -4 unresolvable, -5 "
    "blacklisted, -6 send failed. ")
_WRITE_DOC = (
    "Pass the request to an external application (voicemail, media "
    "server), which answers later with the MI command t_reply: the "
    "transaction must exist (t_newtran or t_relay). 20 lines, each ended "
    "by LF: version 0.3, sip_request.<action>, method, R-URI user, host, "
    "receiving address, its port (\".\" for 5060), R-URI, the URI for "
    "later requests (Contact, From, or a strict first Record-Route), "
    "From, To, Call-ID, From tag, To tag, CSeq number, hash:label, route "
    "set, next hop (\".\" when none), \"P-MsgFlags: <core flags in "
    "reverse hex>\" plus the tw_append \"<title>: <value>\" lines "
    "(null values skipped) and \".\", the body for INVITE or when the "
    "append holds $rb (else \".\"). The lines are %s. Then a branch "
    "sent nowhere waits for the answer: if none comes within fr_timer a "
    "408 goes upstream (failure route included). The second parameter "
    "is the action, optionally \"/\" and a tw_append name. Returns 1, "
    "or -1 on any error. ")
_FLAGS_DOC = ("Flags (decimal or 0x hex): 0x01 no automatic 100 for "
              "INVITE, 0x02 no automatic error reply, 0x04 no DNS "
              "failover. ")


def _cmd(name, fn, n, fixup, flags, doc, params_doc=()):
    return CmdExport(name, fn, n, fixup, None, flags, doc=doc,
                     params_doc=params_doc)


exports = ModuleExports(
    name="tm",
    cmds=(
        _cmd("t_relay", F.w_t_relay0, 0, None, _REQ | _FAIL, _RELAY_DOC +
             "In a failure route only the newly appended branches are "
             "sent (serial forking)."),
        _cmd("t_relay", F.w_t_relay1, 1, F.fixup_relay1, _REQ | _FAIL,
             "t_relay() with flags, or with a fixed next hop "
             "\"[proto:]host[:port]\" instead of the R-URI/$du. "
             + _FLAGS_DOC, ("flags or destination",)),
        _cmd("t_relay", F.w_t_relay2, 2, F.fixup_relay2, _REQ | _FAIL,
             "t_relay() to a fixed next hop with flags. " + _FLAGS_DOC,
             ("destination", "flags")),
        _cmd("t_newtran", F.w_t_newtran, 0, None, _REQ,
             "Create the transaction of the request. Returns 1 for a new "
             "one (or an ACK that has none), 0 for a retransmission (the "
             "last reply is re-sent, or the ACK of a negative reply "
             "absorbed; the script stops), a negative error otherwise "
             "(-10 when the message already has a transaction)."),
        _cmd("t_check_trans", F.w_t_check_trans, 0, None, _REQ | _BR,
             "True if the request belongs to a transaction: at once if "
             "one is bound to the message; a CANCEL if the INVITE it "
             "cancels exists; an ACK if it matches an INVITE transaction "
             "(negative reply or proxied 2xx). Another request that is a "
             "retransmission gets the last reply re-sent and the script "
             "stops (0); else false."),
        _cmd("t_reply", F.w_t_reply, 2, F.fixup_t_reply, _REQ | _FAIL,
             "Reply statefully (the transaction must exist: t_newtran in "
             "a request route). The code must be a literal 100..699, the "
             "reason may contain pseudo-variables; replies >= 180 get the "
             "tm To-tag. Returns 1, or -1 if a final reply was already "
             "sent.", ("code", "reason")),
        _cmd("t_replicate", F.w_t_replicate, 1, F.fixup_replicate, _REQ,
             "Send a copy of the request to the SIP URI (pseudo-variables "
             "allowed) statefully: the R-URI is kept, the URI is the next "
             "hop (appended branches keep the R-URI too and use their URI "
             "as next hop). The transaction is local: no 100, no error "
             "reply and no reply is relayed upstream (REGISTER "
             "replication). Returns 1, or the negative t_relay codes.",
             ("sip uri",)),
        _cmd("t_replicate", F.w_t_replicate, 2, F.fixup_replicate, _REQ,
             "t_replicate() with flags; only 0x04 (no DNS failover) has a "
             "meaning.", ("sip uri", "flags")),
        _cmd("t_release", F.w_t_release, 0, None, _REQ,
             "Put the transaction on the wait timer (it is deleted "
             "wt_timer seconds later)."),
        _cmd("t_on_failure", F.w_t_on_failure, 1, F.fixup_on_failure,
             _REQ | _FAIL | _RPL | _BR,
             "Arm failure_route[N] for the transaction: it runs once every "
             "branch has a final reply >= 300 (or a 6xx came), on the "
             "request with the transaction's flags and AVPs; it is "
             "disarmed before running. The last call wins.", ("route",)),
        _cmd("t_on_reply", F.w_t_on_reply, 1, F.fixup_on_reply,
             _REQ | _FAIL | _RPL | _BR,
             "Arm onreply_route[N]: it runs for every reply of the "
             "transaction's branches; drop discards a provisional reply.",
             ("route",)),
        _cmd("t_on_branch", F.w_t_on_branch, 1, F.fixup_on_branch,
             _REQ | _FAIL | _RPL | _BR,
             "Arm branch_route[N]: it runs for each branch before it is "
             "sent, on the message as prepared for that branch ($ru, $du, "
             "branch flags; $T_branch_idx is its 1-based index); drop "
             "discards the branch.", ("route",)),
        _cmd("t_was_cancelled", F.w_t_was_cancelled, 0, None, _FAIL | _RPL,
             "True if the INVITE transaction was cancelled by the UAC."),
        _cmd("t_check_status", F.w_t_check_status, 1, F.fixup_status_re,
             _REQ | _FAIL | _RPL | _BR,
             "Match a POSIX regular expression (case-insensitive, not "
             "anchored) against the status code: the last reply sent "
             "(request route), the current reply (onreply route) or the "
             "winning reply (failure route).", ("regex",)),
        _cmd("t_flush_flags", F.w_t_flush_flags, 0, None, _REQ | _BR,
             "Copy the message flags into the transaction (flags set "
             "after its creation are otherwise not kept)."),
        _cmd("t_local_replied", F.w_t_local_replied, 1,
             F.fixup_local_replied, _REQ | _FAIL | _RPL | _BR,
             "\"last\": true if the last (winning) reply was generated "
             "locally (t_reply, timeout, cancellation); \"all\": and "
             "no branch ever received a real reply.", ("all|last",)),
        _cmd("t_write_req", TW.w_t_write_req, 2, TW.fixup_t_write,
             _REQ | _FAIL | _BR, _WRITE_DOC % (
                 "written to the FIFO file (opened non-blocking, one "
                 "write; an error if nobody reads it)"),
             ("fifo", "action[/append]")),
        _cmd("t_write_unix", TW.w_t_write_unix, 2, TW.fixup_t_write,
             _REQ | _FAIL | _BR, _WRITE_DOC % (
                 "sent as one datagram to the unix socket, waiting at "
                 "most unix_tx_timeout seconds while its queue is full"),
             ("unix socket", "action[/append]")),
        _cmd("load_tm", api.load_tm, 0, None, 0,
             "Internal: return the tm API."),
    ),
    params=(
        _int("fr_timer", "Seconds to wait for a final reply on a branch "
             "(no reply at all, or a non-INVITE); also how long a negative "
             "reply to an INVITE is retransmitted while waiting for the "
             "ACK."),
        _int("fr_inv_timer", "Seconds to wait for the final reply of an "
             "INVITE branch once a provisional reply arrived."),
        _int("wt_timer", "Seconds a completed transaction stays in memory "
             "to absorb retransmissions before it is deleted."),
        _int("delete_timer", "Seconds between attempts to delete a "
             "transaction still in use by a process."),
        _int("T1_timer", "RFC 3261 T1 in milliseconds: first retransmission "
             "interval over UDP, doubled on each retransmission."),
        _int("T2_timer", "RFC 3261 T2 in milliseconds: the retransmission "
             "interval cap; must be greater than T1_timer."),
        _int("noisy_ctimer", "If 1, an INVITE whose final-response timer "
             "expires after a provisional reply is always cancelled and "
             "answered with 408; if 0 a single-branch INVITE without "
             "failure route is silently dropped."),
        _int("ruri_matching", "Compare the Request-URI when matching "
             "requests without an RFC 3261 branch (RFC 2543 matching)."),
        _int("via1_matching", "Compare the top Via when matching requests "
             "without an RFC 3261 branch (RFC 2543 matching)."),
        _int("unix_tx_timeout", "Seconds t_write_unix waits for the "
             "external application."),
        _int("restart_fr_on_each_reply", "If 1, every provisional reply "
             "restarts the INVITE final-response timer; if 0 only the first "
             "one and higher ones from 180 on."),
        ParamExport("fr_timer_avp", STR_PARAM, cfg,
                    doc="AVP whose value (seconds) overrides fr_timer for "
                    "one transaction, e.g. \"$avp(i:24)\"."),
        ParamExport("fr_inv_timer_avp", STR_PARAM, cfg,
                    doc="AVP whose value (seconds) overrides fr_inv_timer "
                    "for one transaction; such a transaction is never "
                    "silently dropped."),
        ParamExport("tw_append", STR_PARAM | USE_FUNC_PARAM, set_tw_append,
                    doc="Extra information t_write_req/t_write_unix append: "
                    "\"name:element;element...\" (may be set several "
                    "times; names are case-insensitive and unique), "
                    "element = title=pseudo-variable (a line \"title: "
                    "value\", none for a null value) or $rb alone (pass "
                    "the body whatever the method)."),
        _int("pass_provisional_replies", "If 1, provisional replies are "
             "passed to t_write applications too."),
        _int("syn_branch", "If 1, the Via branch carries the transaction "
             "label (only 1 is supported)."),
        _int("onreply_avp_mode", "0: onreply routes see an empty AVP list; "
             "1: they see and may change the transaction's AVPs."),
        _int("enable_stats", "Enable (1) or disable (0) the module's "
             "statistics."),
    ),
    stats=t_stats.STAT_EXPORTS,
    mi_cmds=(
        MiExport("t_uac_dlg", t_mi.mi_tm_uac_dlg, MI_ASYNC_RPL_FLAG, doc=(
            "Send a request from tm's local UAC. Arguments: method, "
            "R-URI, next hop (\".\" none), local socket "
            "(\"[proto:]ip[:port]\", \".\" any), header fields "
            "(CRLF separated, From and To required; \"!!\" is replaced by "
            "the local ip:port; \".\" none), optional body (needs "
            "Content-Type). Call-ID, From tag and CSeq (10) are generated "
            "when absent. Through an asynchronous transport the reply comes "
            "when the request completes: \"<code> <reason>\", the dialog's "
            "remote target, next hop and route set (\".\" when none), the "
            "reply's header fields and body; otherwise 202 Accepted once "
            "sent. Errors: 400 Invalid RURI / Invalid NEXTHOP / Bad headers / To "
            "missing / From missing / Content-Type missing, 404 Invalid "
            "local socket / Local socket not found.")),
        MiExport("t_uac_cancel", t_mi.mi_tm_cancel, doc=(
            "Cancel the local transaction with this Call-ID and CSeq "
            "number: CANCEL for branches with a provisional reply, a local "
            "487 for the others. 481 No such transaction.")),
        MiExport("t_hash", t_mi.mi_tm_hash, MI_NO_INPUT_FLAG, doc=(
            "One node per hash entry (0..65535) with attributes Current "
            "(transactions now) and Total (ever inserted).")),
        MiExport("t_reply", t_mi.mi_tm_reply, doc=(
            "Reply statefully to a transaction. Arguments: code, reason, "
            "trans_id (hash_index:label), To-tag (used if the request's To "
            "has none), header fields (\".\" none), optional body. 400 "
            "Invalid reply code / Invalid trans_id, 404 Transaction not "
            "found, 500 Reply failed (e.g. a final reply was already "
            "sent).")),
    ),
    items=(
        PvExport("T_branch_idx", F.pv_branch_idx,
                 doc="In a branch route, the 1-based index of the branch "
                 "being created; 0 elsewhere."),
        PvExport("T_reply_code", F.pv_reply_code,
                 doc="The status code of the reply the route is about: the "
                 "winning reply in a failure route, the received one in an "
                 "onreply route, the last one sent in a request route."),
    ),
    mod_init=mod_init,
    response_f=response_f,
    destroy_f=destroy,
    child_init=child_init,
    api=api.API,
)
