"""When acc accounts: tm callbacks and script functions (``acc_logic.c``).

Theory of operation
-------------------
:func:`acc_onreq` is acc's ``TMCB_REQUEST_IN`` callback: for every new
transaction whose request has an accounting flag (``log_flag``,
``db_flag``) or a missed-call flag set -- a CANCEL only with
``report_cancels`` -- it registers :func:`tmcb_func` on the transaction
for ``TMCB_RESPONSE_OUT`` (replies sent upstream), ``TMCB_RESPONSE_IN``,
``TMCB_E2EACK_IN`` (with ``report_ack`` and an accounting flag) and
``TMCB_ON_FAILURE`` (INVITE with a missed-call flag), makes an INVITE
transaction "noisy" (no silent FR drop: every call ends with a record) and
notes in the callback param whether the request flows upstream
(``detect_direction``).  The flags tested later are the transaction's.

* ``RESPONSE_OUT``: a negative final of an INVITE with a missed-call flag
  is a missed call (:func:`on_missed`, unless already reported); then,
  if accounting is on and the reply qualifies -- a final < 300, >= 300
  only with ``failed_transaction_flag``, a 183 only with ``early_media``
  -- one "transaction answered" record (R-URI = the winning branch's).
* ``ON_FAILURE`` (every branch failed, before the failure route): the
  missed call (R-URI = the last branch).  The missed-call flags are then
  reset on the transaction, so serial forking reports it once.
* ``E2EACK_IN``: "request acknowledged" record of the ACK with the
  transaction's final status.

Records go to syslog and/or the DB per flag (``acc_core``).
``acc_log_request("comment")`` / ``acc_db_request("comment", "table")``
account the current request at once; the comment gives the status
("200 OK" -> code 200, reason "OK").
"""
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.exports import FixupError
from openser_py.modules.acc import acc_core as core
from openser_py.modules.acc.acc_mod import cfg, db_con, state
from openser_py.parser.methods import METHOD_CANCEL, METHOD_INVITE

__all__ = ["acc_onreq", "tmcb_func", "acc_fixup", "w_acc_log_request",
           "w_acc_db_request"]

_INVITE, _CANCEL = int(METHOD_INVITE), int(METHOD_CANCEL)


def _flags(req):
    return req.flags or 0


def is_acc_on(req):
    """An accounting flag (log or DB) is set on ``req``."""
    return bool(_flags(req) & (state.log | state.db))


def is_mc_on(req):
    """A missed-call flag (log or DB) is set on ``req``."""
    return bool(_flags(req) & (state.log_missed | state.db_missed))


def _preparse(req):
    try:
        return req.callid is not None and req.from_ is not None \
            and req.to is not None
    except Exception:  # noqa: BLE001 - the parser raises on bad headers
        LM_ERR("failed to preparse request")
        return False


def acc_onreq(tc, type_, ps):
    """``TMCB_REQUEST_IN``: arm the accounting of a new transaction."""
    req = ps.req
    if req is None or (int(req.method_id) == _CANCEL
                       and not cfg.report_cancels):
        return
    acc_on, mc_on = is_acc_on(req), is_mc_on(req)
    if not (acc_on or mc_on) or not _preparse(req):
        return
    tmb = state.tmb
    is_invite = int(req.method_id) == _INVITE
    types = tmb.TMCB_RESPONSE_OUT | tmb.TMCB_RESPONSE_IN
    if cfg.report_ack and acc_on:
        types |= tmb.TMCB_E2EACK_IN
    if is_invite and mc_on:
        types |= tmb.TMCB_ON_FAILURE
    upstream = 0
    if cfg.detect_direction and state.rrb is not None and \
            state.rrb.is_direction(req, state.rrb.RR_FLOW_UPSTREAM) == 1:
        LM_DBG("detected an UPSTREAM req -> flaging it")
        upstream = 1
    if tmb.register_tmcb(None, tc, types, tmcb_func, upstream) <= 0:
        LM_ERR("cannot register additional callbacks")
        return
    if is_invite:
        from openser_py.modules.tm.cell import T_NOISY_CTIMER
        LM_DBG("noisy_timer set for accounting")
        tc.or_flags(T_NOISY_CTIMER)


def tmcb_func(tc, type_, ps):
    """The per-transaction callback (dispatch on the event)."""
    tmb = state.tmb
    upstream = bool(ps.param)
    if type_ & tmb.TMCB_RESPONSE_OUT:
        acc_onreply(tc, ps.req, ps.rpl, ps.code, upstream)
    elif type_ & tmb.TMCB_E2EACK_IN:
        acc_onack(tc, tc.uas_request(), ps.req, upstream)
    elif type_ & tmb.TMCB_ON_FAILURE:
        on_missed(tc, ps.req, ps.rpl, ps.code, upstream)
    # TMCB_RESPONSE_IN: OpenSER pre-parses the To of the reply; nothing here


def _rpl_to(req, reply):
    if not reply or reply.to is None:
        return req.to
    return reply.to


def on_missed(tc, req, reply, code, upstream=False):
    """Report a missed call (``on_missed``) and reset the missed flags."""
    if req is None:
        return
    saved = req.new_uri
    if tc.nr_branches:
        req.new_uri = tc.branch_uri(tc.nr_branches - 1)
    env = core.AccEnv(_rpl_to(req, reply), upstream=upstream)
    env.set_code_status(code, reply)
    reset = 0
    try:
        if _flags(req) & state.log_missed:
            env.text = core.ACC_MISSED
            core.log_request(req, env, cfg.log_level, state.log_extra,
                             state.legs)
            reset |= state.log_missed
        if _flags(req) & state.db_missed:
            _db_record(req, env, cfg.db_table_missed_calls)
            reset |= state.db_missed
    finally:
        req.flags = _flags(req) & ~reset
        req.new_uri = saved


def should_acc_reply(req, code):
    """Does reply ``code`` give an "answered" record (``should_acc_reply``)?"""
    if not _flags(req) & state.failed and code >= 300:
        return False
    if not is_acc_on(req):
        return False
    if code < 200 and not (cfg.early_media and code == 183):
        return False
    return True


def acc_onreply(tc, req, reply, code, upstream=False):
    """``TMCB_RESPONSE_OUT``: missed call and/or answered record."""
    if req is None:
        return
    if tc.is_invite() and code >= 300 and is_mc_on(req):
        on_missed(tc, req, reply, code, upstream)
    if not should_acc_reply(req, code):
        return
    saved = req.new_uri
    if tc.relayed_branch >= 0:
        req.new_uri = tc.branch_uri(tc.relayed_branch)
    env = core.AccEnv(_rpl_to(req, reply), upstream=upstream)
    env.set_code_status(code, reply)
    try:
        if _flags(req) & state.log:
            env.text = core.ACC_ANSWERED
            core.log_request(req, env, cfg.log_level, state.log_extra,
                             state.legs)
        if _flags(req) & state.db:
            _db_record(req, env, cfg.db_table_acc)
    finally:
        req.new_uri = saved


def acc_onack(tc, req, ack, upstream=False):
    """``TMCB_E2EACK_IN``: "request acknowledged" record of the ACK."""
    if req is None or ack is None or not _preparse(ack):
        return
    env = core.AccEnv(ack.to if ack.to is not None else req.to,
                      upstream=upstream)
    env.set_code_status(tc.uas_status, None)
    if _flags(req) & state.log:
        env.text = core.ACC_ACKED
        core.log_request(ack, env, cfg.log_level, state.log_extra,
                         state.legs)
    if _flags(req) & state.db:
        _db_record(ack, env, cfg.db_table_acc)


def _db_record(req, env, table):
    con = db_con()
    if con is None:
        return -1
    return core.db_request(con, table, state.db_columns, req, env,
                           state.db_extra, state.legs)


# -- script functions ----------------------------------------------------------

def acc_fixup(value, param_no):
    """Comment: ``"<code> <reason>"`` or a reason; table name as is."""
    if param_no == 2:
        if not value:
            raise FixupError("table name is empty")
        return value
    if not value:
        raise FixupError("first parameter is empty")
    if len(value) >= 3 and value[:3].isdigit():
        return (int(value[:3]), value[:3], value[3:].lstrip())
    return (0, "", value)


def _comment_env(msg, comment, text):
    code, code_s, reason = comment
    return core.AccEnv(msg.to, text, code, code_s, reason)


def w_acc_log_request(msg, comment):
    """``acc_log_request("comment")``: log the request now."""
    if not _preparse(msg):
        return -1
    env = _comment_env(msg, comment, core.ACC_REQUEST)
    return core.log_request(msg, env, cfg.log_level, state.log_extra,
                            state.legs)


def w_acc_db_request(msg, comment, table):
    """``acc_db_request("comment", "table")``: insert the request now."""
    if state.dbf is None:
        LM_ERR("db support not configured")
        return -1
    if not _preparse(msg):
        return -1
    env = _comment_env(msg, comment, table)
    return _db_record(msg, env, table)
