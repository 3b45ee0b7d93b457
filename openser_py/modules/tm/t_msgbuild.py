"""Messages tm builds itself: branch requests, CANCEL, ACK, local replies.

* **Branch request**: the script's message with the branch's R-URI and our
  Via on top (``z9hG4bK<hash>.<label>.<branch>``, reference §5.1 / §17.2)
  -- :func:`build_branch` around ``msg_translator.build_req_buf``.
* **CANCEL** (RFC 3261 §9.1) and the **hop-by-hop ACK** of a negative
  INVITE reply (§17.1.1.3) are built from the *stored branch buffer*, so
  they carry exactly what the INVITE carried: its Request-URI, its single
  top Via (ours: same branch), From, Call-ID, the CSeq number with the new
  method, and its Route header fields; the ACK takes the To of the reply
  (with the downstream tag), the CANCEL the To of the INVITE.  Both get
  ``Max-Forwards: 70`` and an empty body.
* **Local replies** (``t_reply``, ``100 Giving a try``, ``200 canceling``,
  faked ``408``/``487``, error replies) are ``build_local_reply`` on the
  UAS request with the tm To-tag for codes >= 180 (reference §17.1/§17.3).
"""
from openser_py.core.ip_addr import PROTO_NAMES
from openser_py.modules.sl.sl_funcs import server_header_line
from openser_py.modules.tm.t_branch import branch_value
from openser_py.parser import msg_translator
from openser_py.parser.hf import (HDR_CALLID, HDR_FROM, HDR_ROUTE, HDR_TO,
                                  HDR_VIA)
from openser_py.parser.msg import parse_msg

__all__ = ["build_branch", "build_cancel", "build_ack", "build_reply"]

_MAXFWD = "Max-Forwards: 70\r\n"
_CL0 = "Content-Length: 0\r\n\r\n"


def build_branch(msg, sock, proto, h, label, b):
    """The bytes of branch ``b`` of transaction (h, label) for ``msg``.

    ``msg.new_uri``/``dst_uri``/``path_vec`` already hold the branch's
    values.  The rr outbound hook (double Record-Route) runs first, as in
    stateless forwarding.  Raises ``SipParseError`` if it cannot be built.
    """
    ctx = msg.ctx
    outbound = ctx.get("rr.outbound")
    if outbound is not None:
        outbound(msg, sock)
    host = ctx.get("adv_address") or sock.adv_address or sock.ip
    port = ctx.get("adv_port") or sock.adv_port or sock.port
    extra = ";rport" if ctx.get("force_local_rport") else ""
    pname = PROTO_NAMES[proto]
    via = msg_translator.make_via(pname, host, port,
                                  branch_value(h, label, b),
                                  extra_params=extra,
                                  force_port=bool(sock.adv_port))
    return msg_translator.build_req_buf(
        msg, via=via, force_rport=bool(ctx.get("force_rport")), proto=pname)


def _field(req, htype):
    hf = req.get_hdr(htype)
    if hf is None:
        return ""
    text = req.hdr_text[hf.start:hf.end]
    return text if text.endswith("\n") else text + "\r\n"


def _local_request(buffer, method, to_line):
    """CANCEL/ACK from the stored branch request ``buffer`` (bytes)."""
    req = parse_msg(buffer)
    via = req.get_hdr(HDR_VIA)
    vtext = req.hdr_text[via.start:via.end]
    if req.via1 is not None and "," in via.body:
        # our Via is always a field of its own; be safe anyway
        vtext = "Via: %s\r\n" % via.body.split(",", 1)[0].strip()
    out = ["%s %s SIP/2.0\r\n" % (method, req.ruri), vtext,
           _field(req, HDR_FROM), to_line or _field(req, HDR_TO),
           _field(req, HDR_CALLID),
           "CSeq: %s %s\r\n" % (req.cseq.num_str, method)]
    for hf in req.get_hdrs(HDR_ROUTE):
        text = req.hdr_text[hf.start:hf.end]
        out.append(text if text.endswith("\n") else text + "\r\n")
    out.append(_MAXFWD)
    out.append(_CL0)
    return "".join(out).encode("latin-1")


def build_cancel(buffer):
    """The CANCEL of the INVITE branch whose request was ``buffer``."""
    return _local_request(buffer, "CANCEL", None)


def build_ack(buffer, reply):
    """The ACK for negative ``reply`` (parsed) to INVITE branch ``buffer``."""
    to = reply.get_hdr(HDR_TO)
    to_line = reply.hdr_text[to.start:to.end] if to is not None else None
    if to_line and not to_line.endswith("\n"):
        to_line += "\r\n"
    return _local_request(buffer, "ACK", to_line)


def build_reply(req, code, reason, tagger, extra_hdrs="", body=b"",
                to_tag=None):
    """A local reply to UAS request ``req`` (tm To-tag for code >= 180).

    An explicit ``to_tag`` (MI ``t_reply``) is used instead, for any code.
    """
    if req.to is None or req.to.tag:
        to_tag = None
    elif not to_tag:
        to_tag = tagger.totag(req) if code >= 180 else None
    return msg_translator.build_local_reply(
        req, code, reason, to_tag=to_tag, extra_hdrs=extra_hdrs, body=body,
        server_hdr=server_header_line(),
        force_rport=bool(req.ctx.get("force_rport")))
