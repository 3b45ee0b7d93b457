"""tm's own requests: the local UAC (OpenSER ``t_uac``, ``uac.c``).

Theory of operation
-------------------
:func:`t_uac` sends a request that tm originates itself (MI ``t_uac_dlg``,
modules) in a *local* transaction: a cell flagged ``T_IS_LOCAL |
T_NO_UAS`` (no UAS side: request matching skips it, nothing is ever sent
upstream) with one branch.

1. The request is built from its parts (RFC 3261 §8.1.1): request line,
   our Via (branch ``z9hG4bK<hash>.<label>.0`` -- the label is known once
   the cell is inserted, so the cell goes in first), From with a tag
   (generated when the caller gave none), To, Call-ID (generated when
   none), CSeq (default 10, OpenSER's ``DEFAULT_CSEQ``), the caller's
   header fields, Content-Length and the body.
2. Like a proxied branch it is retransmitted over UDP (T1 ... T2) and
   guarded by the FR timer; a callback (e.g. ``TMCB_LOCAL_COMPLETED``) is
   registered on the cell *before* the request leaves, so no reply can
   beat it.
3. Replies are matched by our Via branch and go through the normal reply
   processing (``t_reply.decide``); since the transaction is local the
   winner is not relayed: the transaction completes (``uas_status`` =
   the final code), ``TMCB_LOCAL_COMPLETED`` runs, and the cell waits
   ``wt_timer`` before it is deleted.  A 2xx to an INVITE is ACKed
   (simplification: the ACK reuses the INVITE's branch and R-URI).  FR
   expiry fakes a 408, which completes it the same way.

``UAC_transactions`` counts these transactions.
"""
import os
import time

from openser_py.core import forward
from openser_py.core.dprint import LM_ERR
from openser_py.core.errors import E_BAD_ADDRESS, E_NO_SOCKET, E_SEND, E_UNSPEC
from openser_py.core.ip_addr import PROTO_NAMES, af_of
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import fsm, t_hooks, t_stats
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.h_table import tm_hash
from openser_py.modules.tm.t_branch import branch_value
from openser_py.modules.tm.t_cellio import arm, put_on_wait, stop_branch_timers
from openser_py.modules.tm.t_state import now, rt, sock_index
from openser_py.parser import msg_translator
from openser_py.parser.errors import SipParseError
from openser_py.parser.methods import METHOD_INVITE, method_id
from openser_py.parser.parse_nameaddr import parse_to

__all__ = ["t_uac", "generate_callid", "generate_fromtag", "DEFAULT_CSEQ"]

DEFAULT_CSEQ = 10
SUBST = "!!"                        # replaced by the sending socket ip:port
_seq = [0]


def generate_callid(sock=None):
    """A new Call-ID: ``<random hex>-<pid>-<n>@<ip>``."""
    _seq[0] += 1
    host = sock.ip if sock is not None else "127.0.0.1"
    return "%s-%d-%d@%s" % (os.urandom(8).hex(), os.getpid(), _seq[0], host)


def generate_fromtag(callid):
    """A new From tag (random, unique per process and time)."""
    return "%s%x" % (os.urandom(6).hex(), int(time.time()) & 0xFFFF)


def _cell(method, mid, ruri, callid, cseq, from_body, from_tag, to_body):
    to = parse_to(to_body)
    c = C.Cell()
    c.method_id = mid
    c.flags = C.T_IS_LOCAL | C.T_NO_UAS | (
        C.T_IS_INVITE if mid == int(METHOD_INVITE) else 0)
    c.uas_state = fsm.S_TRYING
    c.match = C.MatchKey(mid, method, callid, str(cseq),
                         "%d %s" % (cseq, method), from_body, from_tag,
                         to_body, to.uri, to.tag or "", ruri, "", "", "", 0,
                         "", "")
    c.created = now()
    return c


def t_uac(method, ruri, from_body, to, hdrs="", body=b"", callid=None,
          cseq=None, next_hop=None, sock=None, callback=None,
          cb_types=t_hooks.TMCB_LOCAL_COMPLETED, cb_param=None):
    """Send ``method`` to ``ruri`` in a new local transaction.

    ``from_body`` is the From header body (a tag is added if it has
    none), ``to`` the To header body; ``hdrs`` further header
    lines (CRLF terminated, ``!!`` = our ip:port); ``next_hop`` a SIP URI
    to send to instead of ``ruri``; ``sock`` the socket to send from;
    ``callback`` (declared before fork) gets ``cb_types`` events.
    Returns ``(1, (hash_index, label))`` or ``(error < 0, None)``.
    """
    if rt.table is None:
        return E_UNSPEC, None
    try:
        proto, ip, port = forward.uri2dest(next_hop or ruri)
    except (ValueError, SipParseError) as exc:
        LM_ERR("bad destination %s: %s", next_hop or ruri, exc)
        return E_BAD_ADDRESS, None
    if sock is None:
        sock = forward.get_send_socket(proto, af_of(ip))
    if sock is None:
        LM_ERR("no socket to send to %s", ip)
        return E_NO_SOCKET, None
    callid = callid or generate_callid(sock)
    cseq = DEFAULT_CSEQ if cseq is None else cseq
    from_tag = ""
    if ";tag=" not in from_body.replace(" ", "").lower():
        from_tag = generate_fromtag(callid)
        from_body = "%s;tag=%s" % (from_body, from_tag)
    mid = int(method_id(method))
    try:
        c = _cell(method, mid, ruri, callid, cseq, from_body, from_tag, to)
    except (ValueError, SipParseError) as exc:
        LM_ERR("bad To header %r: %s", to, exc)
        return E_UNSPEC, None
    h = tm_hash(callid, str(cseq))
    label = rt.table.insert(h, C.encode(c))
    if not label:
        LM_ERR("out of shm for a local transaction")
        return E_UNSPEC, None
    t = (h, label)
    try:
        return _send(t, method, ruri, from_body, to, hdrs, body, callid,
                     cseq, next_hop, sock, (proto, ip, port), mid,
                     (callback, cb_types, cb_param))
    finally:
        rt.table.unref(h, label)


def _build(t, method, ruri, from_body, to, hdrs, body, callid, cseq, sock,
           proto):
    host = sock.adv_address or sock.ip
    port = sock.adv_port or sock.port
    via = msg_translator.make_via(PROTO_NAMES[proto], host, port,
                                  branch_value(t[0], t[1], 0),
                                  force_port=bool(sock.adv_port))
    if hdrs and SUBST in hdrs:
        hdrs = hdrs.replace(SUBST, "%s:%d" % (host, port))
    if hdrs and not hdrs.endswith("\n"):
        hdrs += "\r\n"
    if isinstance(body, str):
        body = body.encode("latin-1")
    head = ("%s %s SIP/2.0\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
            "CSeq: %d %s\r\n%sContent-Length: %d\r\n\r\n"
            % (method, ruri, via, from_body, to, callid, cseq, method,
               hdrs or "", len(body or b"")))
    return head.encode("latin-1") + (body or b"")


def _send(t, method, ruri, from_body, to, hdrs, body, callid, cseq,
          next_hop, sock, dst, mid, cb):
    proto, ip, port = dst
    data = _build(t, method, ruri, from_body, to, hdrs, body, callid, cseq,
                  sock, proto)
    callback, cb_types, cb_param = cb
    if callback is not None and t_hooks.register_tmcb(
            None, t, cb_types, callback, cb_param) <= 0:
        _kill(t)
        return E_UNSPEC, None
    br = C.Branch()
    br.flags = C.BR_ACTIVE
    is_inv = mid == int(METHOD_INVITE)
    br.state = fsm.S_CALLING if is_inv else fsm.S_TRYING
    br.proto, br.port, br.sock = proto, port, sock_index(sock)
    br.retr_iv = rt.timers.t1
    br.buffer, br.uri, br.dst_ip = data, ruri, ip
    br.dst_uri = next_hop or ""
    t_now = now()
    with rt.table.edit(*t) as v:
        if v is None:
            return E_UNSPEC, None
        if v.add_branch(br) != 0:
            put_on_wait(v, now())
            return E_UNSPEC, None
        if fsm.needs_retr(proto):
            arm(v, W.TK_RETR, 0, rt.timers.t1 / 1000.0, t_now)
        arm(v, W.TK_FR, 0, fsm.fr_interval(rt.timers, is_inv, False,
                                           None) / 1000.0, t_now)
    t_stats.inc("UAC_transactions")
    if forward.msg_send(sock, proto, ip, port, data) != 1:
        LM_ERR("sending the local %s to %s:%d failed", method, ip, port)
        _kill(t)
        return E_SEND, None
    return 1, t


def _kill(t):
    with rt.table.edit(*t) as v:
        if v is not None:
            if v.nr_branches():
                stop_branch_timers(v, 0)
            put_on_wait(v, now())
