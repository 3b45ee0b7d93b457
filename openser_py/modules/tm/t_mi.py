"""tm's MI commands: t_uac_dlg, t_uac_cancel, t_hash, t_reply (§9.5).

Handlers follow ``openser_py/mi/tree.py``: ``handler(args, param) ->
MiRoot``; bad input is answered with the OpenSER code and reason, never
an exception.

* ``t_uac_dlg method ruri next_hop socket headers [body]`` -- a request
  sent by tm's local UAC (:mod:`t_uac`).  With an asynchronous transport
  handler (mi_fifo, mi_datagram) the MI reply is sent when the
  transaction completes (:func:`mi_uac_dlg_hdl`, a ``TMCB_LOCAL_COMPLETED``
  callback, in whichever process sees the final reply): ``200 OK`` with
  ``<code> <reason>``, the dialog's remote target, next hop and route set
  (``.`` when none) and the reply's header fields and body.  The handler
  travels in the cell as a marshal-able ``(module, class, state)`` triple.
  Without a handler the answer is ``202 Accepted`` at once.
* ``t_uac_cancel callid cseq`` -- CANCEL the branches of the local
  transaction with that Call-ID and CSeq number.
* ``t_hash`` -- one node per hash entry (65536): ``Current`` and
  ``Total`` transactions.
* ``t_reply code reason trans_id to_tag headers [body]`` -- reply
  statefully to transaction ``hash_index:label``.
"""
import importlib
import marshal

from openser_py.core import forward
from openser_py.core.errors import err2reason_phrase
from openser_py.mi.tree import MI_MISSING_PARM, MiRoot, mi_args, mi_error
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import t_fwd, t_hooks, t_reply, t_uac
from openser_py.modules.tm.h_table import tm_hash
from openser_py.modules.tm.t_state import rt
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HDR_CALLID, HDR_CSEQ, HDR_FROM, HDR_TO
from openser_py.parser.msg import parse_msg
from openser_py.parser.parse_uri import parse_uri

__all__ = ["mi_tm_uac_dlg", "mi_tm_cancel", "mi_tm_hash", "mi_tm_reply",
           "mi_uac_dlg_hdl"]

_SKIP = (HDR_FROM, HDR_TO, HDR_CALLID, HDR_CSEQ)


def _missing():
    return mi_error(*MI_MISSING_PARM)


def _find_socket(text):
    try:
        proto, host, port = forward.parse_hostport(text)
    except ValueError:
        return None, mi_error(404, "Invalid local socket")
    for s in forward.get_sockets():
        if (s.ip == host or s.name == host) and (not port or s.port == port) \
                and (not proto or s.proto_name == proto.lower()):
            return s, None
    return None, mi_error(404, "Local socket not found")


def _parse_headers(method, ruri, text):
    """The MI header block as a parsed message (raises SipParseError)."""
    if not text.endswith("\n"):
        text += "\r\n"
    return parse_msg(("%s %s SIP/2.0\r\n%s\r\n" % (method, ruri, text))
                     .encode("latin-1"))


def _check_msg(msg, method, body):
    """OpenSER ``mi_check_msg``: (error MiRoot | None, cseq, callid)."""
    if body and msg.content_type is None:
        return mi_error(400, "Content-Type missing"), None, None
    if body and msg.get_hdr_by_name("Content-Length") is not None:
        return mi_error(400, "Content-Length disallowed"), None, None
    if msg.to is None:
        return mi_error(400, "To missing"), None, None
    if msg.from_ is None:
        return mi_error(400, "From missing"), None, None
    cseq = None
    hf = msg.get_hdr(HDR_CSEQ)
    if hf is not None:
        num, _sp, cmethod = hf.body.strip().partition(" ")
        try:
            cseq = int(num)
        except ValueError:
            return mi_error(400, "Bad CSeq number"), None, None
        if cmethod.strip() != method:
            return mi_error(400, "CSeq method mismatch"), None, None
    return None, cseq, msg.callid or None


def mi_tm_uac_dlg(args, param=None):
    """``t_uac_dlg``: send a request in a local transaction."""
    vals = mi_args(args)
    if len(vals) not in (5, 6):
        return _missing()
    method, ruri, nexthop, socket, hdrs = vals[:5]
    body = vals[5] if len(vals) == 6 else ""
    try:
        parse_uri(ruri)
    except (ValueError, SipParseError):
        return mi_error(400, "Invalid RURI")
    if nexthop == ".":
        nexthop = None
    else:
        try:
            parse_uri(nexthop)
        except (ValueError, SipParseError):
            return mi_error(400, "Invalid NEXTHOP")
    sock = None
    if socket != ".":
        sock, err = _find_socket(socket)
        if err is not None:
            return err
    if hdrs == ".":
        hdrs = ""
    try:
        tmp = _parse_headers(method, ruri, hdrs)
        _ = (tmp.to, tmp.from_, tmp.callid, tmp.content_type)
    except (SipParseError, ValueError):
        return mi_error(400, "Bad headers")
    err, cseq, callid = _check_msg(tmp, method, body)
    if err is not None:
        return err
    extra = "".join(_hf_text(tmp, hf) for hf in tmp.headers
                    if hf.type not in _SKIP)
    from openser_py.mi.mi import MI_ROOT_ASYNC_RPL, get_async_handler
    param = _hdl_to_param(get_async_handler())
    ret, _t = t_uac.t_uac(method, ruri, tmp.get_hdr(HDR_FROM).body,
                          tmp.get_hdr(HDR_TO).body,
                          extra, body, callid, cseq, nexthop, sock,
                          mi_uac_dlg_hdl if param else None,
                          cb_param=param)
    if ret <= 0:
        code, reason = err2reason_phrase(ret, "MI/UAC")
        rpl = MiRoot()
        rpl.add_child("", "%d %s" % (code, reason))
        return rpl
    return MI_ROOT_ASYNC_RPL if param else mi_error(202, "Accepted")


def _hdl_to_param(hdl):
    """An async handler as a marshal-able ``(module, class, state)``."""
    if hdl is None:
        return None
    state = tuple(sorted((k, int(v) if isinstance(v, int) else v)
                         for k, v in vars(hdl).items()))
    param = (type(hdl).__module__, type(hdl).__qualname__, state)
    try:
        marshal.dumps(param)
    except ValueError:
        return None
    return param


def _param_to_hdl(param):
    module, qualname, state = param
    cls = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    hdl = cls.__new__(cls)
    hdl.__dict__.update(dict(state))
    return hdl


def mi_uac_dlg_hdl(tc, type_, ps):
    """``TMCB_LOCAL_COMPLETED`` of a t_uac_dlg request: the MI reply."""
    try:
        hdl = _param_to_hdl(ps.param)
    except (ImportError, AttributeError, TypeError, ValueError):
        return
    rpl = MiRoot()
    reply = ps.rpl
    if not reply:
        from openser_py.parser.msg_translator import make_reason
        rpl.add_child("", "%d %s" % (ps.code, make_reason(ps.code)))
        for _ in range(4):
            rpl.add_child("", ".")
    else:
        rpl.add_child("", "%d %s" % (reply.status, reply.reason or ""))
        for value in _dialog_uris(reply):
            rpl.add_child("", value)
        rpl.add_child("", _hf_block(reply))
    hdl.reply(rpl)


def _dialog_uris(reply):
    """Remote target, next hop and route set of a confirmed dialog (2xx
    with a To tag and a Contact, RFC 3261 §12.1.2), else three dots."""
    try:
        contacts = reply.contacts
        to = reply.to
        rrs = list(reversed(reply.record_routes or []))
    except SipParseError:
        contacts = to = None
    if not 200 <= reply.status < 300 or to is None or not to.tag or \
            not contacts or not contacts.contacts:
        return (".", ".", ".")
    target = contacts.contacts[0].uri
    hop = rrs[0].uri if rrs and ";lr" in rrs[0].uri else target
    routes = "Route: " + ", ".join("<%s>" % r.uri for r in rrs) \
        if rrs else "."
    return (target, hop, routes)


def _hf_block(reply):
    """The reply's header fields and body (OpenSER prints them as is)."""
    text = reply.buf.decode("latin-1") if isinstance(reply.buf, bytes) \
        else reply.buf
    return text[reply.first_line_end:]


def _hf_text(msg, hf):
    text = msg.hdr_text[hf.start:hf.end]
    return text if text.endswith("\n") else text + "\r\n"


def mi_tm_cancel(args, param=None):
    """``t_uac_cancel callid cseq``: cancel a local transaction."""
    vals = mi_args(args)
    if len(vals) != 2:
        return _missing()
    callid, cseq = vals
    t = _lookup_callid(callid, cseq.strip())
    if t is None:
        return mi_error(481, "No such transaction")
    try:
        t_fwd.cancel_all(t)
    finally:
        rt.table.unref(*t)
    return MiRoot()


def _lookup_callid(callid, cseq):
    """The local transaction with this Call-ID / CSeq number (referenced)."""
    if rt.table is None:
        return None
    h = tm_hash(callid, cseq)
    for label in rt.table.labels(h):
        with rt.table.edit(h, label) as v:
            if v is None or not v.get("flags") & C.T_IS_LOCAL:
                continue
            m = v.match()
            if m.callid != callid or m.cseq_num != cseq:
                continue
        if rt.table.ref(h, label):
            return (h, label)
    return None


def mi_tm_hash(args, param=None):
    """``t_hash``: Current / Total transactions of every hash entry."""
    rpl = MiRoot()
    if rt.table is None:
        return rpl
    for i, (cur, total) in enumerate(rt.table.bucket_stats()):
        rpl.add_child("", str(i)).add_attr("Current", cur) \
            .add_attr("Total", total)
    return rpl


def mi_tm_reply(args, param=None):
    """``t_reply code reason trans_id to_tag headers [body]``."""
    vals = mi_args(args)
    if len(vals) not in (5, 6):
        return _missing()
    code_s, reason, trans_id, to_tag, hdrs = vals[:5]
    body = vals[5] if len(vals) == 6 else ""
    try:
        code = int(code_s)
    except ValueError:
        code = -1
    if not 100 <= code < 700:
        return mi_error(400, "Invalid reply code")
    idx, sep, lbl = trans_id.partition(":")
    if not sep:
        return mi_error(400, "Invalid trans_id")
    if not idx.isdigit():
        return mi_error(400, "Invalid index in trans_id")
    if not lbl.isdigit():
        return mi_error(400, "Invalid label in trans_id")
    t = (int(idx), int(lbl))
    if rt.table is None or t[0] >= rt.table.n_buckets \
            or not rt.table.ref(*t):
        return mi_error(404, "Transaction not found")
    try:
        n = _reply(t, code, reason, to_tag, "" if hdrs == "." else hdrs,
                   body)
    finally:
        rt.table.unref(*t)
    if n < 0:
        return mi_error(500, "Reply failed")
    return MiRoot()


def _reply(t, code, reason, to_tag, hdrs, body):
    from openser_py.modules.tm.t_cellio import UAS_DST_IP, UAS_REQUEST, \
        uas_tuple
    from openser_py.modules.tm.t_failure import faked_request
    with rt.table.edit(*t) as v:
        if v is None:
            return -1
        uas = uas_tuple(v)
        dst = (v.get("uas_proto"), uas[UAS_DST_IP], v.get("uas_port"),
               v.get("uas_sock"))
        flags = v.get("msg_flags")
    if not uas[UAS_REQUEST]:
        return -1                           # a local UAC: nobody to reply to
    try:
        req = faked_request(uas[UAS_REQUEST], dst, flags, t)
    except SipParseError:
        return -1
    if hdrs and not hdrs.endswith("\n"):
        hdrs += "\r\n"
    return t_reply.reply_local(t, req, code, reason, hdrs,
                               body.encode("latin-1") if body else b"",
                               to_tag or None)
