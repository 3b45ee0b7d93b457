"""Every received SIP message starts here (OpenSER ``receive.c``).

Theory of operation
-------------------
:func:`receive_msg` is called by the UDP receivers (:mod:`udp_server`) and
the TCP readers with one complete message and its :class:`ReceiveInfo`.
It never raises (only ``SystemExit``/``KeyboardInterrupt`` pass, they mean
"this process must stop"), so one bad packet or script bug cannot kill a
worker.

1. Parse (``parse_msg``; ``stream`` for anything but UDP).  On
   ``SipParseError`` the raw bytes go to :mod:`badmsg`: a request readable
   enough (request line, Via, From, To, Call-ID, CSeq) and not an ACK is
   answered with the error's status (400, 505, 414, 416, 413) straight to
   the packet's source; anything else is dropped.  One L_WARN line names
   the source and the reason.  Counted: ``err_requests``/``err_replies``
   plus ``bad_URIs_rcvd`` (Request-URI errors) or ``bad_msg_hdr``.
2. ``msg.rcv``, ``msg.id`` (per-process message number, ``$mi``), and the
   per-message script context is reset (branches, AVPs, ``$err``).
3. Request: ``rcv_requests`` (+ ``unsupported_methods`` for an unknown
   method); sanity: Via1 must be present (else dropped, ``err_requests``)
   and parseable, and From, To, Call-ID and CSeq present and parseable
   (CSeq method = request method) -- else ``err_requests`` and the same
   answer-or-drop as step 1.  The second check goes beyond OpenSER, which
   only failed later, inside sl/tm; RFC 3261 §16.3 asks a proxy for it and
   the values are cached for the script anyway.  Then pre-script
   callbacks (a False drops it: ``drop_requests``); ``route[0]``;
   post-script callbacks.
4. Reply: ``rcv_replies``; Via1 check (``err_replies``); pre-script reply
   callbacks; the default ``onreply_route`` (``drop`` there drops the
   reply); each module's ``response_f`` in load order until one returns 0
   (consumed, e.g. by tm); else stateless forwarding to Via2
   (``fwd_replies`` or ``drop_replies``); post-script reply callbacks.

error_route.  When a script function fails because the message is
malformed (a ``SipParseError`` from a lazy accessor), the engine
(``cfg/compile.py``) calls :func:`script_parse_error` right after that
function, as OpenSER's ``run_action_list`` does: the error is recorded in
``state.err`` (``$err.class`` 1, ``$err.info`` the parser's text,
``$err.rcode``/``$err.rreason`` the reply to send) and, in request,
failure and branch routes, ``error_route`` runs at once.  If it ends with
``exit`` (or ``drop``) the interrupted route stops too; otherwise the
error info is cleared and the route goes on with the function's -1.  A
parse error that escapes the engine altogether is handled the same way
here, after the route was aborted.

Hot path.  The route functions, the ``response_f`` list and the Server
header are looked up once per loaded script (:class:`_ScriptView`, rebuilt
only when ``cfgload.current_script`` or its tables change); counters are
reached through one object; nothing is allocated per message beyond the
parsed message itself.  :func:`_run` is ``route.run_top_route`` written out
and ``route.reset_msg_context`` makes no calls.
"""
from openser_py.core import badmsg, cfgload, forward, script_cb
from openser_py.core.core_stats import stats as _st
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.exports import (BRANCH_ROUTE, ERROR_ROUTE,
                                     FAILURE_ROUTE, ONREPLY_ROUTE,
                                     REQUEST_ROUTE)
from openser_py.core.ip_addr import PROTO_NAMES, PROTO_UDP
from openser_py.core.route import (DROP_R_F, EXIT_R_F, RETURN_R_F,
                                   RouteReturn, ScriptExit,
                                   reset_msg_context)
from openser_py.core.script_state import OSER_EC_PARSER, state
from openser_py.parser.errors import SipParseError
from openser_py.parser.methods import METHOD_OTHER
from openser_py.parser.msg import parse_msg

__all__ = ["receive_msg", "script_parse_error", "run_error_route"]

OSER_EL_MEDIUM = 3          # errinfo.h level of parser errors
_ERR_ROUTE_TYPES = REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE

_exec_pre_req = script_cb.exec_pre_req_cb
_exec_post_req = script_cb.exec_post_req_cb
_exec_pre_rpl = script_cb.exec_pre_rpl_cb
_exec_post_rpl = script_cb.exec_post_rpl_cb
_forward_reply = forward.forward_reply

_MISSING = "missing From, To, Call-ID or CSeq header"
_msg_no = 0                 # per-process message counter (msg.id, $mi)


class _ScriptView:
    """What receive needs from one loaded script, looked up once."""

    __slots__ = ("script", "tables", "request", "onreply", "error",
                 "response_fs", "server_hdr")

    def __init__(self, script):
        self.script = script
        tables = self.tables = getattr(script, "tables", None)
        self.request = tables.get(REQUEST_ROUTE, 0) if tables else None
        self.onreply = tables.get(ONREPLY_ROUTE, 0) if tables else None
        self.error = tables.get(ERROR_ROUTE) if tables else None
        registry = getattr(script, "registry", None)
        self.response_fs = tuple(
            (m.name, m.exports.response_f) for m in
            (registry.modules if registry is not None else ())
            if m.exports.response_f is not None)
        self.server_hdr = badmsg.default_server_header(
            getattr(script, "params", None))


_view = _ScriptView(None)


def _current_view():
    global _view
    script = cfgload.current_script
    view = _view
    if view.script is not script or view.tables is not getattr(
            script, "tables", None):
        view = _view = _ScriptView(script)
    return view


def _src(rcv):
    return "%s:%s:%d" % (PROTO_NAMES.get(rcv.proto, "?"), rcv.src_ip,
                         rcv.src_port)


def _is_uri_error(status, reason):
    return status in (414, 416) or "URI" in reason


class _RawSource:
    """Stands in for a message the parser rejected, for ``reply_to``."""

    __slots__ = ("rcv",)

    def __init__(self, rcv):
        self.rcv = rcv


def _bad_message(buf, rcv, exc):
    """Answer (when possible) or drop a message with a parse error."""
    salv = badmsg.salvage(buf)
    if salv is not None and salv.is_request:
        _st.err_requests.inc()
    elif badmsg.looks_like_reply(buf):
        _st.err_replies.inc()
    if _is_uri_error(exc.status, exc.reason):
        _st.bad_URIs_rcvd.inc()
    else:
        _st.bad_msg_hdr.inc()
    data = None
    if salv is not None and salv.is_request:
        data = badmsg.build_reply(salv, exc.status, exc.reply_reason,
                                  rcv.dst_ip, rcv.dst_port,
                                  _current_view().server_hdr)
    if data is not None and forward.reply_to(_RawSource(rcv), data) == 1:
        LM_WARN("bad message from %s: %s (answered %d)", _src(rcv),
                exc.reason, exc.status)
    else:
        LM_WARN("bad message from %s: %s (dropped)", _src(rcv), exc.reason)


def receive_msg(buf, rcv):
    """Process one received message *buf* (bytes) that came in on *rcv*."""
    global _msg_no
    try:
        msg = parse_msg(buf, rcv.proto != PROTO_UDP)
    except SipParseError as exc:
        try:
            _bad_message(buf, rcv, exc)
        except Exception as exc2:  # noqa: BLE001 - never raise
            LM_ERR("cannot handle bad message from %s: %s: %s", _src(rcv),
                   type(exc2).__name__, exc2)
        return
    except Exception as exc:  # noqa: BLE001 - the parser's contract broken
        LM_ERR("parser failure on a message from %s: %s: %s", _src(rcv),
               type(exc).__name__, exc)
        _st.bad_msg_hdr.inc()
        return
    _msg_no += 1
    msg.id = _msg_no
    msg.rcv = rcv
    try:
        if msg.is_request:
            _request(msg, rcv)
        else:
            _reply(msg, rcv)
    except Exception as exc:  # noqa: BLE001 - a worker never dies of one
        LM_ERR("error while processing a message from %s: %s: %s",
               _src(rcv), type(exc).__name__, exc)


def _run(fn, route_type, msg):
    """Run a top-level route on *msg*; the run flags (see route.py).

    :func:`route.run_top_route` written out (one frame less per message)
    that also survives what escapes the engine.
    """
    st = state
    st.route_type = route_type
    st.route_name = None
    st.sflags = 0           # as ScriptState.start_route
    st.ser_error = 0
    try:
        st.retcode = fn(msg)
        return 0
    except ScriptExit as exc:
        return EXIT_R_F | (DROP_R_F if exc.drop else 0)
    except RouteReturn as ret:
        st.retcode = ret.value
        return RETURN_R_F
    except SipParseError as exc:
        LM_ERR("parse error while running the script: %s", exc.reason)
        script_parse_error(exc, msg)
        return EXIT_R_F
    except Exception as exc:  # noqa: BLE001
        LM_ERR("error while running the script: %s: %s",
               type(exc).__name__, exc)
        return EXIT_R_F


def _request(msg, rcv):
    _st.rcv_requests.inc()
    if msg.method_id == METHOD_OTHER:
        _st.unsupported_methods.inc()
    try:
        if msg.via1 is None:
            _st.err_requests.inc()
            LM_WARN("no Via in request from %s (dropped)", _src(rcv))
            return
        # RFC 3261 16.3 "reasonable syntax": what every reply and every
        # transaction needs (parsed once, cached for the script)
        if msg.cseq is None or msg.callid is None or msg.from_ is None \
                or msg.to is None:
            raise SipParseError(_MISSING)
    except SipParseError as exc:
        _bad_message(msg.buf, rcv, exc)
        return
    reset_msg_context()
    state.err.reset()
    if not _exec_pre_req(msg):
        _st.drop_requests.inc()
        LM_DBG("request dropped by a pre-script callback")
        return
    fn = _current_view().request
    if fn is not None:
        _run(fn, REQUEST_ROUTE, msg)
    _exec_post_req(msg)


def _reply(msg, rcv):
    _st.rcv_replies.inc()
    try:
        via1 = msg.via1
    except SipParseError as exc:
        _st.err_replies.inc()
        _st.bad_msg_hdr.inc()
        LM_WARN("bad message from %s: %s (dropped)", _src(rcv), exc.reason)
        return
    if via1 is None:
        _st.err_replies.inc()
        LM_WARN("no Via in reply from %s (dropped)", _src(rcv))
        return
    reset_msg_context()
    state.err.reset()
    if not _exec_pre_rpl(msg):
        _st.drop_replies.inc()
        LM_DBG("reply dropped by a pre-script callback")
        return
    view = _current_view()
    if view.onreply is not None:
        if _run(view.onreply, ONREPLY_ROUTE, msg) & DROP_R_F:
            _st.drop_replies.inc()
            LM_DBG("reply dropped by the script")
            return
    for name, response_f in view.response_fs:
        try:
            ret = response_f(msg)
        except Exception as exc:  # noqa: BLE001
            LM_ERR("%s: response_f failed: %s: %s", name,
                   type(exc).__name__, exc)
            continue
        if ret == 0:
            break
    else:
        if _forward_reply(msg) == 1:
            _st.fwd_replies.inc()
        else:
            _st.drop_replies.inc()
    _exec_post_rpl(msg)


def script_parse_error(exc, msg):
    """A script function hit parse error *exc* on *msg*; see the docstring.

    Records ``$err.*``, counts the error, and runs ``error_route`` when
    the current route type allows it.  Returns True when the interrupted
    route must stop (error_route exited), False when it goes on, None when
    no error_route ran.
    """
    state.err.set_info(OSER_EC_PARSER, OSER_EL_MEDIUM, exc.reason)
    state.err.set_reply(exc.status, exc.reply_reason)
    if _is_uri_error(exc.status, exc.reason):
        _st.bad_URIs_rcvd.inc()
    else:
        _st.bad_msg_hdr.inc()
    if not state.route_type & _ERR_ROUTE_TYPES \
            or _current_view().error is None:
        return None
    stop = run_error_route(msg)
    if not stop:
        state.err.reset()
    return stop


def run_error_route(msg):
    """Run ``error_route`` on *msg*; True when it ended with exit/drop.

    The route type is ``ERROR_ROUTE`` while it runs and is restored after
    (script flags are kept: the interrupted route may go on).
    """
    fn = _current_view().error
    if fn is None:
        return False
    saved = state.route_type, state.route_name
    state.route_type, state.route_name = ERROR_ROUTE, None
    try:
        state.retcode = fn(msg)
        return False
    except ScriptExit:
        return True
    except RouteReturn as ret:
        state.retcode = ret.value
        return False
    except Exception as exc:  # noqa: BLE001
        LM_ERR("error while running error_route: %s: %s",
               type(exc).__name__, exc)
        return True
    finally:
        state.route_type, state.route_name = saved
