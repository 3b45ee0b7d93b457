"""tm's script functions, their fixups and the module PVs (reference §4.4).

Every wrapper returns OpenSER's script convention (>0 true, <0 false, 0
stop).  Which transaction a function works on (:func:`current`): the one
bound to the message (request route after t_newtran/t_relay, the faked
request of a failure route), else the one the running onreply/branch
route belongs to (``t_state.rctx``).
"""
import functools

from openser_py.core import actions
from openser_py.core.dprint import LM_ERR
from openser_py.core.errors import E_SCRIPT
from openser_py.core.exports import (BRANCH_ROUTE, FAILURE_ROUTE, FixupError,
                                     ONREPLY_ROUTE)
from openser_py.core.posix_re import PosixReError, compile_ere
from openser_py.core.route import require_route
from openser_py.core.script_state import state
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import t_fwd, t_newtran, t_reply
from openser_py.modules.tm.h_table import tm_hash
from openser_py.modules.tm.t_lookup import (E2E_ACK, FOUND, LOCAL_REPLY,
                                            match_cancel, match_request,
                                            request_key)
from openser_py.modules.tm.t_state import bound, match_cfg, rctx, rt
from openser_py.parser.errors import SipParseError
from openser_py.parser.methods import METHOD_ACK, METHOD_CANCEL

_ACK, _CANCEL = int(METHOD_ACK), int(METHOD_CANCEL)


def current(msg):
    """The transaction the function applies to, or None."""
    t = bound(msg) if msg is not None and msg.is_request else None
    return t if t is not None else rctx.t


# -- fixups -------------------------------------------------------------------

def fixup_relay1(value, param_no):
    """``t_relay(p)``: flags (decimal or hex) or ``[proto:]host[:port]``."""
    try:
        return int(value, 0)
    except ValueError:
        return actions.fixup_dest(value, param_no)


def fixup_relay2(value, param_no):
    """``t_relay(dest, flags)``."""
    if param_no == 1:
        return actions.fixup_dest(value, param_no)
    return actions.fixup_int(value, param_no)


def _fixup_route(route_type, value):
    try:
        idx = int(value)
    except ValueError:
        raise FixupError("route number expected, not %r" % value) from None
    if not 0 <= idx < 40:
        raise FixupError("route number %d out of range" % idx)
    if idx:
        require_route(route_type, idx)
    return idx


def fixup_on_failure(value, param_no):
    """``t_on_failure("N")``: failure_route[N] must exist."""
    return _fixup_route(FAILURE_ROUTE, value)


def fixup_on_reply(value, param_no):
    """``t_on_reply("N")``: onreply_route[N] must exist."""
    return _fixup_route(ONREPLY_ROUTE, value)


def fixup_on_branch(value, param_no):
    """``t_on_branch("N")``: branch_route[N] must exist."""
    return _fixup_route(BRANCH_ROUTE, value)


def fixup_t_reply(value, param_no):
    """Code: a literal 100..699; reason: text that may hold PVs."""
    if param_no == 1:
        code = actions.fixup_int(value, param_no)
        if not 100 <= code <= 699:
            raise FixupError("invalid reply code %d" % code)
        return code
    fmt = actions.fixup_format(value, param_no)
    return fmt.text if fmt.is_static else fmt


def fixup_status_re(value, param_no):
    """A POSIX ERE matched against the status code."""
    try:
        return compile_ere(value)
    except PosixReError as exc:
        raise FixupError("bad regular expression %r: %s"
                         % (value, exc)) from None


def fixup_local_replied(value, param_no):
    """``"all"`` or ``"last"``."""
    if value not in ("all", "last"):
        raise FixupError("t_local_replied takes \"all\" or \"last\"")
    return value


# -- wrappers -----------------------------------------------------------------

def w_t_relay0(msg):
    """``t_relay()``."""
    return t_fwd.relay(msg)


def w_t_relay1(msg, p):
    """``t_relay(flags)`` / ``t_relay("proto:host:port")``."""
    if p.__class__ is int:
        return t_fwd.relay(msg, None, p)
    return t_fwd.relay(msg, p)


def w_t_relay2(msg, dest, flags):
    """``t_relay("proto:host:port", flags)``."""
    return t_fwd.relay(msg, dest, flags)


def w_t_newtran(msg):
    """``t_newtran()``."""
    res, _ = t_newtran.newtran(msg)
    if res == t_newtran.EXISTS:
        LM_ERR("transaction already in process")
        return E_SCRIPT
    if res == t_newtran.RETRANS:
        return 0
    return res if res < 0 else 1


def w_t_check_trans(msg):
    """``t_check_trans()``."""
    if bound(msg) is not None:
        return 1
    if rt.table is None:
        return -1
    try:
        key = request_key(msg)
    except (SipParseError, ValueError):
        return -1
    h = tm_hash(key.callid, key.cseq_num)
    if key.method_id == _CANCEL:
        label = rt.table.lookup_cancel(h, functools.partial(
            match_cancel, key, **match_cfg()))
        if label:
            rt.table.unref(h, label)
            return 1
        return -1
    matcher = functools.partial(match_request, key, **match_cfg())
    if key.method_id == _ACK:
        res, label = rt.table.lookup_request(h, matcher)
        if res not in (FOUND, E2E_ACK):
            return -1
        rt.table.unref(h, label)
        return 1
    # a retransmission: the last reply goes out again, the script stops
    res, out = rt.table.lookup_request(
        h, matcher, None, functools.partial(t_newtran.retrans_found, msg))
    if res != FOUND:
        return -1
    if out[1] is not None:
        t_reply.send_uas(*out[1])
    return 0


def w_t_reply(msg, code, reason):
    """``t_reply(code, reason)``."""
    t = current(msg)
    if t is None:
        LM_ERR("t_reply: no transaction (use t_newtran first)")
        return -1
    if reason.__class__ is not str:
        reason = reason.format(msg)
    return t_reply.reply_local(t, msg, code, reason)


def fixup_replicate(value, param_no):
    """``t_replicate(uri[, flags])``: a SIP URI (may hold PVs), flags."""
    if param_no == 2:
        return actions.fixup_int(value, param_no)
    fmt = actions.fixup_format(value, param_no)
    if fmt.is_static:
        from openser_py.parser.parse_uri import parse_uri
        try:
            parse_uri(fmt.text)
        except (ValueError, SipParseError) as exc:
            raise FixupError("bad replication URI %r: %s"
                             % (fmt.text, exc)) from None
        return fmt.text
    return fmt


def w_t_replicate(msg, uri, flags=0):
    """``t_replicate(uri[, flags])``."""
    if uri.__class__ is not str:
        uri = uri.format(msg)
    return t_fwd.replicate(msg, uri, flags)


def w_t_release(msg):
    """``t_release()``."""
    t = bound(msg)
    return t_newtran.release(t) if t is not None else -1


def _arm(msg, field, idx):
    t = current(msg)
    if t is None:
        msg.ctx["tm." + field] = idx
        return 1
    with rt.table.edit(*t) as v:
        if v is not None:
            v.set(field, idx)
    return 1


def w_t_on_failure(msg, idx):
    """``t_on_failure("N")``."""
    return _arm(msg, "on_failure", idx)


def w_t_on_reply(msg, idx):
    """``t_on_reply("N")``."""
    return _arm(msg, "on_reply", idx)


def w_t_on_branch(msg, idx):
    """``t_on_branch("N")``."""
    return _arm(msg, "on_branch", idx)


def _field(t, name, default=0):
    if t is None or rt.table is None:
        return default
    with rt.table.edit(*t) as v:
        return v.get(name) if v is not None else default


def w_t_was_cancelled(msg):
    """``t_was_cancelled()``."""
    return 1 if _field(current(msg), "flags") & C.T_CANCELED else -1


def _status(msg):
    if msg is not None and not msg.is_request:
        return msg.status
    if state.route_type & (FAILURE_ROUTE | ONREPLY_ROUTE) and rctx.code:
        return rctx.code
    return _field(current(msg), "uas_status")


def w_t_check_status(msg, regex):
    """``t_check_status("re")``."""
    code = _status(msg)
    if not code:
        return -1
    return 1 if regex.search(str(code)) else -1


def w_t_flush_flags(msg):
    """``t_flush_flags()``."""
    t = current(msg)
    if t is None:
        return -1
    with rt.table.edit(*t) as v:
        if v is not None:
            v.set("msg_flags", msg.flags or 0)
    return 1


def w_t_local_replied(msg, which):
    """``t_local_replied("all"|"last")``."""
    t = current(msg)
    if t is None:
        return -1
    in_failure = bool(state.route_type & FAILURE_ROUTE)
    with rt.table.edit(*t) as v:
        if v is None:
            return -1
        last = v.get("relayed_branch") == LOCAL_REPLY or (
            in_failure and rctx.local)
        if which == "last" or not last:
            return 1 if last else -1
        for b in range(v.get("first_branch"), v.nr_branches()):
            f = v.bget(b, "flags")
            if f & C.BR_RECEIVED and not f & C.BR_FAKED:
                return -1
    return 1


# -- pseudo-variables ---------------------------------------------------------

def pv_branch_idx(msg, param=None):
    """``$T_branch_idx``: 1-based branch index in a branch route, else 0."""
    return rctx.branch_idx if state.route_type & BRANCH_ROUTE else 0


def pv_reply_code(msg, param=None):
    """``$T_reply_code``: the reply code the current route is about."""
    return _status(msg) or 0
