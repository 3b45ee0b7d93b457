"""tm -- stateful SIP processing: transactions (RFC 3261 §17).

The module keeps one transaction ("cell") per request it handles
statefully, in a 65536-entry table in shared memory, so that every worker
process recognises retransmissions, ACKs, CANCELs and the replies of the
requests it forwarded, retransmits over UDP, runs timers and picks the best
final reply of a fork.

This release carries the foundations only -- the transaction table and
cell layout (``h_table``, ``cell``), matching (``t_lookup``), our Via branch
and To-tag (``t_branch``), the state machines and timer schedule (``fsm``),
best-reply selection (``t_pick``) and the shared timer wheel
(``timer_wheel``); see ``doc/dev/tm.md``.  The script functions
(``t_relay``, ``t_reply``, ``t_on_failure`` ...) come next; the parameters
below are accepted so that OpenSER 1.3 configs load.
"""
from openser_py.core.exports import (INT_PARAM, STR_PARAM, USE_FUNC_PARAM,
                                     ModuleExports, ParamExport)


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
    """``modparam("tm", "tw_append", "name:elem;elem...")`` (repeatable)."""
    name, sep, elems = value.partition(":")
    if not sep or not name.strip() or not elems.strip():
        return -1
    cfg.tw_append.append((name.strip(), elems.strip()))
    return 0


def _int(name, doc):
    return ParamExport(name, INT_PARAM, cfg, doc=doc)


exports = ModuleExports(
    name="tm",
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
                    "times)."),
        _int("pass_provisional_replies", "If 1, provisional replies are "
             "passed to t_write applications too."),
        _int("syn_branch", "If 1, the Via branch carries the transaction "
             "label (only 1 is supported)."),
        _int("onreply_avp_mode", "0: onreply routes see an empty AVP list; "
             "1: they see and may change the transaction's AVPs."),
        _int("enable_stats", "Enable (1) or disable (0) the module's "
             "statistics."),
    ),
)
