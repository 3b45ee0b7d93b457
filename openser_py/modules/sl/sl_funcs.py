"""Stateless replies (OpenSER ``modules/sl/sl_funcs.c``, ``sl.c``).

Typed functions (what other modules and tests call):

* :func:`sl_send_reply` ``(msg, code, reason) -> int`` -- build a reply to
  the request *msg* (reference §17.3) and send it back to where the
  request came from.  Returns 1, or -1 (ACK, bad code, build/send failure).
* :func:`sl_reply_error` ``(msg, err=None) -> int`` -- reply for an internal
  error (§17.3 table: ``476 Unresolvable destination (476/SL)``).
* :func:`sl_filter_ACK` ``(msg, now=None) -> bool`` -- the pre-script
  callback that absorbs ACKs to our own stateless replies.

To-tag (§17.1).  Replies with code >= 180 to a request whose To has no tag
get ``<md5>.<crc>``: ``md5`` is computed once (:func:`sl_startup`, from
``mod_init``) over ``"OpenSER-stateless"`` + the first listening socket's
IP + port (UDP first, then TCP, TLS, SCTP -- OpenSER's
``get_first_socket``; ``127.0.0.1:5060`` when there is none), the CRC
suffix per request from its first Via (:mod:`openser_py.parser.tags`).

ACK filter.  Every successful reply arms a 2 s window
(``SL_RPL_WAIT_TIME``); an ACK arriving inside it whose To tag equals the
sl tag recomputed for that ACK is absorbed and counted in
``received_ACKs``.  Time comes from ``script_state.state.clock`` (tests
replace it) or the ``now`` argument.  The window is per process (OpenSER
keeps it in shm).

Error source of ``sl_reply_error``.  OpenSER replies from ``prev_ser_error``,
the error code the *previous* action left.  Our core keeps no such code;
what it keeps is ``state.retcode``, the previous action's return value, and
every core action and module function returns its OpenSER error code
(``forward()`` returns ``E_BAD_ADDRESS``...).  So a negative
``state.retcode`` is taken as the error; anything else means
``E_UNSPEC`` (``500 Server error occurred (1/SL)``, as OpenSER after a
successful action).  ``state.err`` (ErrInfo) is deliberately not used: as in
OpenSER it feeds ``$err.rcode``/``$err.rreason`` for
``sl_send_reply("$err.rcode", "$err.rreason")`` in ``error_route``.
"""
from openser_py.core.badmsg import default_server_header
from openser_py.core import cfgload, dset, forward
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.errors import E_UNSPEC, err2reason_phrase
from openser_py.core.exports import FixupError
from openser_py.core.ip_addr import (PROTO_SCTP, PROTO_TCP, PROTO_TLS,
                                     PROTO_UDP)
from openser_py.core.pvar import parse_pv_format
from openser_py.core.script_cb import (PRE_SCRIPT_CB, REQ_TYPE_CB,
                                       register_script_cb)
from openser_py.core.script_state import state
from openser_py.modules.sl import sl_stats
from openser_py.parser import tags
from openser_py.parser.errors import SipParseError
from openser_py.parser.methods import METHOD_ACK
from openser_py.parser.msg_translator import build_local_reply

SL_RPL_WAIT_TIME = 2          # seconds an sl reply arms the ACK filter
DEFAULT_TAG_SOCKET = ("127.0.0.1", 5060)
TOTAG_VALUE_LEN = tags.MD5_LEN + 1 + tags.CRC16_LEN

# callback types (sl_cb.h)
SLCB_REPLY_OUT = 1
SLCB_ACK_IN = 2

_FIRST_SOCKET_ORDER = (PROTO_UDP, PROTO_TCP, PROTO_TLS, PROTO_SCTP)


class _SlState:
    """Per-process module state: tag prefix, ACK window, callbacks."""

    __slots__ = ("tag_prefix", "timeout", "callbacks")

    def __init__(self):
        self.tag_prefix = None    # "<md5>." once computed
        self.timeout = 0.0        # ACKs are filtered while now < timeout
        self.callbacks = []       # (types, func, param)


_sl = _SlState()


# -- start-up ------------------------------------------------------------

def first_socket_address():
    """``(ip, port)`` of the first listening socket, OpenSER's order."""
    socks = forward.get_sockets()
    for proto in _FIRST_SOCKET_ORDER:
        for sock in socks:
            if sock.proto == proto:
                return sock.ip, sock.port
    if socks:
        return socks[0].ip, socks[0].port
    return DEFAULT_TAG_SOCKET


def sl_startup():
    """Compute the fixed part of the sl To-tag and reset the ACK window."""
    ip, port = first_socket_address()
    _sl.tag_prefix = tags.init_tags(tags.SL_SIGNATURE, ip, port) \
        + tags.SL_SEPARATOR
    _sl.timeout = 0.0
    return 0


def sl_shutdown():
    """Forget registered callbacks (module destroy)."""
    del _sl.callbacks[:]


def _tag_prefix():
    if _sl.tag_prefix is None:
        sl_startup()
    return _sl.tag_prefix


def sl_get_reply_totag(msg):
    """The To-tag sl puts in its replies to *msg* (``<md5>.<crc>``)."""
    return tags.calc_crc_suffix(msg, _tag_prefix())


_server_hdr = [object(), None]   # [script, its Server line]: a cache


def server_header_line():
    """The ``Server:`` line of local replies, or None when disabled.

    Reads the core parameters ``server_signature`` and ``server_header`` of
    the loaded script (:func:`openser_py.core.badmsg.default_server_header`
    is the one place that interprets them); computed once per loaded
    script.
    """
    script = getattr(cfgload, "current_script", None)
    cache = _server_hdr
    if cache[0] is not script or script is None:
        cache[1] = default_server_header(getattr(script, "params", None))
        cache[0] = script
    return cache[1]


# -- callbacks -----------------------------------------------------------

class SlCbParams:
    """What an sl callback receives (``struct sl_cb_param``)."""

    __slots__ = ("type", "req", "code", "reason", "buf", "dst", "param")

    def __init__(self, cb_type, req, code=0, reason=None, buf=None,
                 dst=None, param=None):
        self.type = cb_type
        self.req = req
        self.code = code
        self.reason = reason
        self.buf = buf
        self.dst = dst
        self.param = param


def register_slcb(types, func, param=None):
    """Call ``func(SlCbParams)`` for events in *types* (``SLCB_*`` mask)."""
    if not callable(func) or not types & (SLCB_REPLY_OUT | SLCB_ACK_IN):
        LM_ERR("bad sl callback registration (types %r)", types)
        return -1
    _sl.callbacks.append((types, func, param))
    return 0


def run_sl_callbacks(cb_type, req, code=0, reason=None, buf=None, dst=None):
    """Run the callbacks registered for *cb_type*; errors are logged."""
    for types, func, param in _sl.callbacks:
        if types & cb_type:
            try:
                func(SlCbParams(cb_type, req, code, reason, buf, dst, param))
            except Exception as exc:  # noqa: BLE001 - a callback never kills us
                LM_ERR("sl callback %r failed: %s", func, exc)


# -- replies -------------------------------------------------------------

def _now(now=None):
    return state.clock() if now is None else now


def sl_send_reply(msg, code, reason, tag=None):
    """Send a stateless reply *code* *reason* to the request *msg*.

    3xx replies get a ``Contact:`` listing the destination set; a To-tag
    is added when ``code >= 180`` and the To has none (*tag* overrides the
    sl tag, as ``sl_send_reply_dlg``).  Returns 1 on success, -1 otherwise;
    never replies to an ACK.
    """
    if not msg.is_request:
        LM_ERR("cannot reply to a reply")
        return -1
    if msg.method_id == METHOD_ACK:
        LM_WARN("I won't send a reply for ACK!!")
        return -1
    if not 100 <= code <= 699:
        LM_ERR("invalid reply code %r", code)
        return -1
    extra = ""
    if 300 <= code < 400:
        extra = dset.print_dset(msg) or ""
    try:
        to_tag = None
        if code >= 180:
            to = msg.to
            if to is not None and not to.tag:
                to_tag = tag or tags.calc_crc_suffix(msg, _sl.tag_prefix
                                                     or _tag_prefix())
        buf = build_local_reply(
            msg, code, reason, to_tag=to_tag, extra_hdrs=extra,
            server_hdr=server_header_line(),
            force_rport=bool(msg.ctx.get("force_rport")))
    except SipParseError as exc:
        LM_ERR("cannot build the %d reply: %s", code, exc.reason)
        return -1
    if _sl.callbacks:
        run_sl_callbacks(SLCB_REPLY_OUT, msg, code, reason, buf,
                         forward.reply_dest(msg))
    if forward.reply_to(msg, buf) < 0:
        LM_ERR("failed to send the %d reply", code)
        return -1
    _sl.timeout = _now() + SL_RPL_WAIT_TIME
    sl_stats.update_sl_reply_stat(code)
    return 1


def prev_ser_error():
    """The error the previous action left (see the module docstring).

    ``state.ser_error`` when a module recorded one (tm's t_relay), else a
    negative return value of the previous action (core ``forward()``).
    """
    err = state.ser_error
    if err:
        state.ser_error = 0
        return err
    rc = state.retcode
    if rc.__class__ is int and rc < 0:
        return rc
    return E_UNSPEC


def sl_reply_error(msg, err=None):
    """Reply for internal error *err* (default: :func:`prev_ser_error`).

    The code and phrase come from ``err2reason_phrase(err, "SL")``, e.g.
    ``476 Unresolvable destination (476/SL)``; the reply counts in
    ``sent_err_replies``.  Returns 1 or -1.
    """
    if err is None:
        err = prev_ser_error()
    code, reason = err2reason_phrase(err, "SL")
    LM_ERR("stateless error reply used: %s", reason)
    if sl_send_reply(msg, code, reason) < 0:
        return -1
    sl_stats.update_sent_err_replies()
    return 1


def sl_filter_ACK(msg, now=None):
    """Pre-script callback: False when *msg* is an ACK to our own reply.

    Returns True (go on with the script) for anything else.  An ACK is
    absorbed -- the core must drop it without running the script -- when
    it arrives before the window armed by the last sl reply closes
    (``now`` < last reply + 2 s) and its To tag equals the sl tag
    recomputed for it.  Absorbed ACKs are counted in ``received_ACKs``.
    """
    if not msg.is_request or msg.method_id != METHOD_ACK:
        return True
    if _sl.timeout <= _now(now):
        LM_DBG("too late to be a local ACK")
        return True
    try:
        to = msg.to
    except SipParseError as exc:
        LM_ERR("unable to parse the To header: %s", exc.reason)
        return True
    if to is None or not to.tag or len(to.tag) != TOTAG_VALUE_LEN:
        return True
    if to.tag != sl_get_reply_totag(msg):
        return True
    LM_DBG("local ACK found -> dropping it")
    sl_stats.update_received_acks()
    run_sl_callbacks(SLCB_ACK_IN, msg)
    return False


# -- script interface: fixups and wrappers ---------------------------------

def _parse_code(text):
    """Reply code from text: decimal digits only, 100..699, else None."""
    if not text or not text.isdigit() or not text.isascii():
        return None
    code = int(text)
    return code if 100 <= code <= 699 else None


def fixup_sl_send_reply(value, param_no):
    """Code (1) and reason (2): texts that may hold pseudo-variables.

    A code without PVs must be 100..699 and becomes an int; a reason
    without PVs stays a str; otherwise a ``PvFormat`` is kept.
    """
    if value is None or value == "":
        raise FixupError("empty parameter %d" % param_no)
    fmt = parse_pv_format(value)
    if not fmt.is_static:
        return fmt
    if param_no == 1:
        code = _parse_code(fmt.text)
        if code is None:
            raise FixupError("invalid reply code %r: allowed values are "
                             "1xx - 6xx only" % value)
        return code
    return fmt.text


def w_sl_send_reply(msg, code, reason):
    """``sl_send_reply(code, reason)``: params from the fixup."""
    if code.__class__ is not int:
        text = code.format(msg)
        value = _parse_code(text)
        if value is None:
            LM_ERR("invalid reply code %r (from %r)", text, code.source)
            return -1
        code = value
    if reason.__class__ is not str:
        reason = reason.format(msg)
    return sl_send_reply(msg, code, reason)


def w_sl_reply_error(msg):
    """``sl_reply_error()``."""
    return sl_reply_error(msg)


def mod_init():
    """Module start-up: compute the sl tag, install the ACK filter.

    ``sl_filter_ACK`` becomes a pre-script request callback: the core drops
    an ACK it absorbs before the script runs (OpenSER ``sl.c``).
    """
    if register_script_cb(sl_filter_ACK, PRE_SCRIPT_CB | REQ_TYPE_CB) < 0:
        LM_ERR("cannot register the ACK filter")
        return -1
    return sl_startup()
