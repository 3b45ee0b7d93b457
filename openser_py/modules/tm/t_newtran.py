"""Creating and finding the transaction of a request (reference §5.2/§5.3).

Theory of operation
-------------------
:func:`newtran` builds the cell of a request (:func:`make_cell`: match key,
flags, message flags, AVPs, the request bytes with the script's lumps
applied, the UAS reply destination, the ``t_on_*`` routes armed so far,
per-transaction timer overrides) and hands it to
``TransTable.lookup_request``, which in *one* critical section either
finds the transaction the request belongs to or inserts the new cell --
so a retransmission racing its original never makes a second cell.

* ``FOUND``: a retransmission.  The last reply sent upstream is sent again
  (not while ``CLAIM_REPLY`` is held: a final reply is on its way and will
  be stored in a moment); an ACK to our negative reply stops the UAS
  retransmissions and puts the cell on the wait timer (RFC 3261 §17.2.1,
  Timer I).  The script stops (0).
* ``E2E_ACK``: the ACK of a 2xx (not part of the INVITE transaction,
  §17.2.1); for our own 2xx it stops its retransmission.  The ACK goes on
  (t_relay forwards it statelessly).
* ``INSERTED``: the worker holds one reference, noted on the message
  (``t_state.bind``), dropped by :func:`post_script` after the script --
  which also puts a transaction the script neither replied to nor
  forwarded on the wait timer (OpenSER ``t_unref``: "script writer didn't
  release transaction"); ``msg.ctx["tm.branched"]`` (set by t_relay once
  it added a branch) spares it that check.
"""
import functools

from openser_py.core import usr_avp
from openser_py.core.dprint import LM_ERR, LM_WARN
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import fsm, t_hooks, t_stats
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.h_table import INSERTED, OOM, tm_hash
from openser_py.modules.tm.t_cellio import disarm, put_on_wait, uas_dst_ip
from openser_py.modules.tm.t_lookup import (E2E_ACK, FOUND, LOCAL_REPLY,
                                            lookup_key, match_request,
                                            request_key)
from openser_py.modules.tm.t_msgbuild import build_reply
# at module level, not in the functions that send: an import statement
# run per message costs some 7k instructions (t_reply does not import
# this module, so there is no cycle)
from openser_py.modules.tm.t_reply import send_uas
from openser_py.modules.tm.t_state import (bind, bound, match_cfg, now, rt,
                                           sock_index, uas_dest)
from openser_py.parser import msg_translator
from openser_py.parser.errors import SipParseError
from openser_py.parser.methods import METHOD_ACK, METHOD_INVITE

__all__ = ["newtran", "make_cell", "post_script", "retrans_found", "NEW",
           "RETRANS", "ACK_E2E", "ACK_NONE", "EXISTS"]

NEW, RETRANS, ACK_E2E, ACK_NONE, EXISTS = 1, 0, 2, 3, 4
_ACK = int(METHOD_ACK)
_GROWTH = 1536          # bytes reserved beyond the cell and one branch
_INVITE = int(METHOD_INVITE)
_I_METHOD_ID, _I_UAS_STATE, _I_UAS_PROTO, _I_UAS_PORT, _I_UAS_SOCK, \
    _I_FLAGS, _I_CREATED = (C.HDR_I[n] for n in (
        "method_id", "uas_state", "uas_proto", "uas_port", "uas_sock",
        "flags", "created"))


def _avp_seconds(name):
    if name is None:
        return 0
    val = usr_avp.search_first_avp(name[0], name[1])
    try:
        return max(int(val), 0) if val is not None else 0
    except (TypeError, ValueError):
        return 0


def make_cell(msg, key, flags=0):
    """The :class:`~openser_py.modules.tm.cell.Cell` of request ``msg``.

    ``flags``: cell flags to set beyond those the request implies.
    """
    # a new Cell holds zeros: fields that are usually 0 (no t_on_*, no
    # timer AVPs, no message flags, no AVPs) are written only when set
    # (the fields every cell gets are written by index: no property call)
    c = C.Cell()
    c.match = key
    c[_I_METHOD_ID] = method_id = int(msg.method_id)
    if method_id == _INVITE:
        flags |= C.T_IS_INVITE
        c[_I_UAS_STATE] = fsm.S_PROCEEDING
    else:
        c[_I_UAS_STATE] = fsm.S_TRYING
    if msg.flags:
        c.msg_flags = msg.flags
    avps = usr_avp.get_avp_list()
    if avps:
        c.avps = avps.to_bytes()
    saved, msg.new_uri = msg.new_uri, None
    try:
        c.request = msg_translator.build_req_buf(msg) if msg.lumps \
            else msg.buf
    finally:
        msg.new_uri = saved
    c[_I_UAS_PROTO], c.dst_ip, c[_I_UAS_PORT] = uas_dest(msg)
    c[_I_UAS_SOCK] = sock_index(msg.rcv.sock if msg.rcv is not None
                                else None)
    c.new_uri = msg.new_uri or ""
    c.dst_uri = msg.dst_uri or ""
    c.path = msg.path_vec or ""
    ctx = msg.ctx
    if ctx.get("tm.on_failure"):
        c.on_failure = ctx["tm.on_failure"]
    if ctx.get("tm.on_reply"):
        c.on_reply = ctx["tm.on_reply"]
    if ctx.get("tm.on_branch"):
        c.on_branch = ctx["tm.on_branch"]
    if rt.fr_avp is not None:
        c.fr_timeout = _avp_seconds(rt.fr_avp) * 1000
    if rt.fr_inv_avp is not None:
        c.fr_inv_timeout = _avp_seconds(rt.fr_inv_avp) * 1000
        if c.fr_inv_timeout:
            flags |= C.T_NOISY_CTIMER
    if flags:
        c[_I_FLAGS] = flags
    c[_I_CREATED] = now()
    return c


def newtran(msg, relay_flags=0, reply_100=False):
    """Find or create the transaction of ``msg``.

    Returns ``(result, t)``: ``NEW`` (created, referenced, bound),
    ``EXISTS`` (already bound to the message), ``RETRANS`` (absorbed: the
    script must stop), ``ACK_E2E`` / ``ACK_NONE`` (an ACK without
    transaction of its own), or a negative error code.

    ``relay_flags`` (cell flags) and ``reply_100`` are t_relay's: a new
    cell is created with those flags and, for an INVITE, with
    "100 Giving a try" already stored as its last reply -- sent once the
    cell is in the table, so t_relay needs no critical section for it.
    """
    t = bound(msg)
    if t is not None:
        return EXISTS, t
    if rt.table is None:
        LM_ERR("tm is not initialised")
        return -1, None
    is_ack = msg.method_id == _ACK
    try:
        # an ACK is only looked up: no cell is made of its key
        key = lookup_key(msg) if is_ack else request_key(msg)
    except (SipParseError, ValueError) as exc:
        LM_ERR("cannot build the transaction key: %s", exc)
        return -2, None
    h = tm_hash(key.callid, key.cseq_num)
    matcher = functools.partial(match_request, key, **match_cfg())
    new_value = cell = r100 = None
    room = 0
    if not is_ack:
        try:
            cell = make_cell(msg, key, relay_flags)
            if reply_100 and cell.flags & C.T_IS_INVITE:
                r100 = _reply_100(msg)
                if r100 is not None:
                    cell.reply, cell.uas_status = r100, 100
            new_value = C.encode(cell)
            # room for the first branch (about the request again) and the
            # replies to come, so that they are written in place
            room = len(new_value) + len(cell.request) + _GROWTH
        except (C.CellError, SipParseError) as exc:
            LM_ERR("cannot create the transaction: %s", exc)
            return -2, None
    res, out = rt.table.lookup_request(
        h, matcher, new_value, functools.partial(_found_locked, msg), room)
    if res == INSERTED:
        t = (h, out)
        bind(msg, t)
        msg.ctx["tm.own_ref"] = True
        msg.ctx["tm.fresh"] = cell
        t_stats.inc("UAS_transactions")
        if t_hooks.has_reqin() or msg.ctx.get("tm.tmcb_pending"):
            msg.ctx["tm.fresh"] = None
            t_hooks.new_transaction(t, cell, msg)
        if r100 is not None:
            send_uas((cell.uas_proto, cell.dst_ip, cell.uas_port,
                      cell.uas_sock), r100)
        return NEW, t
    if res == FOUND:
        label, resend = out
        if resend is not None:              # the last reply, again
            send_uas(*resend)
        return RETRANS, (h, label)
    if res == E2E_ACK:
        label, tc = out
        if tc is not None:      # the first ACK only (OpenSER: per To-tag)
            t_hooks.run_trans_callbacks(t_hooks.TMCB_E2EACK_IN, tc, msg,
                                        None, -int(msg.method_id))
        return ACK_E2E, (h, label)
    if res == OOM:
        LM_ERR("out of shm memory for a new transaction")
        return -1, None
    return ACK_NONE, None


def _reply_100(msg):
    try:
        return build_reply(msg, 100, "Giving a try", rt.tagger)
    except SipParseError as exc:
        LM_ERR("cannot build the 100 reply: %s", exc.reason)
        return None


def retrans_found(msg, res, v):
    """``lookup_request``'s ``found`` for a request that is not an ACK
    (``t_check_trans``; bind ``msg`` with ``functools.partial``).

    Under the bucket lock: ``(label, x)``, x the ``(destination, bytes)``
    of the last reply to resend, or None.
    """
    return v.label, _retrans_locked(msg, v)


def _found_locked(msg, res, v):
    """Under the bucket lock: what a found transaction asks for.

    Returns ``(label, x)``.  ``FOUND`` (a retransmission): x is the
    ``(destination, bytes)`` of the last reply to resend, or None.
    ``E2E_ACK``: the ``TCell`` of its ``TMCB_E2EACK_IN`` callbacks, or
    None.
    """
    if res == E2E_ACK:
        return v.label, _e2e_ack_locked(v)
    return v.label, _retrans_locked(msg, v)


def _retrans_locked(msg, v):
    if msg.method_id == _ACK:
        if v.get("uas_status") >= 300 and v.get("uas_state") == \
                fsm.S_COMPLETED:
            v.set("uas_state", fsm.S_CONFIRMED)
            put_on_wait(v, now())           # Timer I
        return None
    if v.get("claims") & C.CLAIM_REPLY:
        return None     # a final reply is on its way and will be stored
    reply = v.reply()
    if not reply:
        return None
    return ((v.get("uas_proto"), uas_dst_ip(v), v.get("uas_port"),
             v.get("uas_sock")), reply)


def _e2e_ack_locked(v):
    if v.get("relayed_branch") == LOCAL_REPLY \
            and v.get("uas_state") != fsm.S_CONFIRMED:
        v.set("uas_state", fsm.S_CONFIRMED)
        put_on_wait(v, now())
    tc = None
    if not v.get("flags") & C.T_E2E_ACKED:
        tc = t_hooks.collect(v, t_hooks.TMCB_E2EACK_IN)
        if tc is not None:
            v.or_flags(C.T_E2E_ACKED)
    return tc


def release(t):
    """``t_release``: stop the UAS timers, wait, then delete."""
    with rt.table.edit(*t) as v:
        if v is None:
            return -1
        disarm(v, W.TK_UAS_RETR)
        disarm(v, W.TK_UAS_FR)
        put_on_wait(v, now())
    return 1


def post_script(msg):
    """Post-script callback: drop the reference the request route held."""
    ctx = msg.ctx
    if not ctx or not ctx.pop("tm.own_ref", False):
        return True
    ctx.pop("tm.fresh", None)
    t = ctx.get("tm.t")
    if ctx.pop("tm.branched", False):
        # t_relay added a branch (they are never removed): nothing to check
        rt.table.unref(*t)
        return True
    warn = False
    with rt.table.edit(*t) as v:
        if v is not None:
            try:
                if not v.nr_branches() and v.get("uas_status") < 200 \
                        and not v.get("flags") & C.T_ON_WAIT:
                    warn = True
                    put_on_wait(v, now())
            finally:
                rt.table.unref_view(v)
    if warn:
        LM_WARN("script writer didn't release transaction")
    return True
