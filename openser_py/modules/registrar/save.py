"""``save("table"[, flags])``: process a REGISTER (``save.c``; RFC 3261 10.3).

Theory of operation
-------------------
1. :func:`~.sip_msg.parse_message` checks headers; ``Contact: *`` must be
   alone and needs ``Expires: 0``; contact/Call-ID lengths are checked.
2. The AOR comes from the To URI (or ``aor_avp``).
3. ``*`` deletes every binding; no Contact only queries; otherwise
   :func:`apply_contacts` runs inside one usrloc transaction (the record
   is changed atomically, see usrloc's ``udomain``): it enforces
   ``max_contacts`` first (nothing changes when exceeded), then for each
   contact computes expires and q, matches the existing binding
   (``get_ucontact``): invalid CSeq -> 400, retransmission -> skipped,
   found -> updated (or deleted for expires 0), not found -> inserted.
4. The reply (unless flag 0x02) lists every valid binding.

Flags: 0x01 memory only (contacts never written to the DB), 0x02 no reply.
Returns 1, or 0 after an error reply (the script stops, as in 1.3).
"""
import time

from openser_py.core import flags as msgflags
from openser_py.core.dprint import LM_ERR
from openser_py.core.forward import get_sockets
from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS
from openser_py.modules.registrar import reply, sip_msg
from openser_py.modules.registrar.reg_mod import cfg, stat, state
from openser_py.modules.registrar.rerrno import (
    R_CALLID_LEN, R_CONTACT_LEN, R_FINE, R_INV_CSEQ, R_PARSE_PATH,
    R_STAR_CONT, R_STAR_EXP, R_TOO_MANY, R_UL_DEL_R, R_UL_GET_R,
    R_UL_INS_C, RegError)
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HDR_PATH

__all__ = ["save", "apply_contacts", "build_ci", "REG_SAVE_MEM_FL",
           "REG_SAVE_NORPL_FL"]

_STREAM = (PROTO_TCP, PROTO_TLS)
REG_SAVE_MEM_FL = 0x01
REG_SAVE_NORPL_FL = 0x02


def save(msg, d, flags=0, now=None):
    """The script function; see the module doc."""
    now = int(time.time()) if now is None else now
    ul = state.ul
    path_vec = ""
    try:
        contacts, hdr_expires = sip_msg.parse_message(msg)
        _check_contacts(msg, contacts, hdr_expires)
        if cfg.use_path:
            path_vec, path_received = _path(msg)
        else:
            path_received = ""
        aor = _aor(msg)
        if contacts is not None and contacts.star:
            try:
                ul.delete_urecord(d, aor)
            except ul.UlError as exc:
                LM_ERR("registrar: deleting %s failed: %s", aor, exc)
                raise RegError(R_UL_DEL_R) from exc
            bindings = []
        elif contacts is None or not contacts.contacts:
            try:
                rec = ul.get_urecord(d, aor)
            except ul.UlError as exc:
                LM_ERR("registrar: reading %s failed: %s", aor, exc)
                raise RegError(R_UL_GET_R) from exc
            bindings = rec.valid_contacts(now) if rec is not None else []
        else:
            ci = build_ci(msg, flags, now, path_vec, path_received)
            try:
                bindings = ul.update_urecord(
                    d, aor, lambda r: apply_contacts(
                        r, contacts.contacts, hdr_expires, ci, now, msg))
            except ul.UlError as exc:
                LM_ERR("registrar: saving %s failed: %s", aor, exc)
                raise RegError(R_UL_GET_R if exc.op == "get"
                               else R_UL_INS_C) from exc
    except RegError as err:
        _stat("rejected_regs").inc()
        if not flags & REG_SAVE_NORPL_FL:
            reply.send_reply(msg, err.rerrno)
        return 0
    _stat("accepted_regs").inc()
    if contacts is not None and not contacts.star and contacts.contacts:
        _tcp_persistent(msg, contacts.contacts, hdr_expires, now)
    if not flags & REG_SAVE_NORPL_FL:
        hdr = reply.build_contact(bindings, now, cfg.received_param)
        if reply.send_reply(msg, R_FINE, hdr, path_vec) != R_FINE:
            return 0
    return 1


def _tcp_persistent(msg, contacts, hdr_expires, now):
    """``tcp_persistent_flag`` set on a REGISTER that came over TCP/TLS:
    keep its connection open until the longest of its contacts expires,
    plus 10 s (1.3's ``force_tcp_conn_lifetime``), so that requests to
    the registered UA can reuse it."""
    flag = cfg.tcp_persistent_flag
    rcv = msg.rcv
    if flag < 0 or rcv is None or rcv.proto not in _STREAM or \
            msgflags.isflagset(msg, flag) != 1:
        return
    e_max = max(_expires(c, hdr_expires, now) for c in contacts) - now
    if e_max > 0:
        from openser_py.core.tcp.send import tcp_set_lifetime
        tcp_set_lifetime(getattr(rcv, "conn_id", None), e_max + 10)


def _stat(name):
    """``reg_mod.stat`` cached per loaded script (``state.stats``)."""
    st = state.stats.get(name)
    if st is None:
        st = state.stats[name] = stat(name)
    return st


def _check_contacts(msg, contacts, hdr_expires):
    """``check_contacts``: the ``*`` rules and the length limits."""
    if contacts is None:
        return
    if contacts.star:
        if hdr_expires != 0:
            raise RegError(R_STAR_EXP)
        if contacts.contacts or len(msg.get_hdrs_by_name("Contact")) > 1:
            raise RegError(R_STAR_CONT)
        return
    for c in contacts.contacts:
        if len(c.uri) > sip_msg.CONTACT_MAX_SIZE:
            raise RegError(R_CONTACT_LEN)
        rcv = c.get_param("received")
        if rcv is not None and len(rcv) > sip_msg.RECEIVED_MAX_SIZE:
            raise RegError(R_CONTACT_LEN)
    if len(msg.callid) > sip_msg.CALLID_MAX_SIZE:
        raise RegError(R_CALLID_LEN)


def _aor(msg):
    if state.aor_avp is not None:
        value = state.aor_avp.get_str(msg)
        if value:
            return sip_msg.extract_aor(value, state.ul.use_domain,
                                       cfg.case_sensitive, cfg.realm_prefix)
    return sip_msg.extract_aor(msg.to.uri, state.ul.use_domain,
                               cfg.case_sensitive, cfg.realm_prefix)


def _path(msg):
    """``(path vector, received of the first Path URI)`` (RFC 3327)."""
    hdrs = msg.get_hdrs(HDR_PATH)
    if not hdrs:
        return "", ""
    try:
        entries = msg.path
    except SipParseError as exc:
        raise RegError(R_PARSE_PATH) from exc
    vec = ",".join(hf.body.strip() for hf in hdrs)
    received = ""
    if cfg.path_use_received and entries:
        try:
            received = entries[0].parsed_uri().get_param("received") or ""
        except SipParseError as exc:
            raise RegError(R_PARSE_PATH) from exc
    return vec, received


def _socket(msg):
    """The socket to store: a header's (``sock_flag``) or the receiving one."""
    if cfg.sock_flag >= 0 and cfg.sock_hdr_name and \
            msgflags.isflagset(msg, cfg.sock_flag) == 1:
        hf = msg.get_hdr_by_name(cfg.sock_hdr_name)
        if hf is not None:
            text = hf.body.strip()
            for s in get_sockets():
                if str(s) == text.lower():
                    return str(s)
            LM_ERR("registrar: socket %r from %s is not one of ours",
                   text, cfg.sock_hdr_name)
    return sip_msg.socket_str(msg)


def build_ci(msg, flags, now, path_vec="", path_received=""):
    """The contact template (``pack_ci``): what all contacts share."""
    ul = state.ul
    received = path_received
    if not received and state.rcv_avp is not None:
        received = state.rcv_avp.get_str(msg) or ""
    return ul.UContact(
        "", 0, -1, msg.callid, int(msg.cseq.num_str),
        ul.FL_MEM if flags & REG_SAVE_MEM_FL else 0,
        msgflags.getb0flags(msg), sip_msg.user_agent(msg), received,
        path_vec,
        _socket(msg) if cfg.sock_flag >= 0 else sip_msg.socket_str(msg),
        ul.ALL_METHODS, now)


def _expires(c, hdr_expires, now):
    return sip_msg.calc_expires(c.expires, hdr_expires, now,
                                cfg.default_expires, cfg.min_expires,
                                cfg.max_expires)


def apply_contacts(rec, contacts, hdr_expires, ci, now, msg=None):
    """Apply the REGISTER's *contacts* to record *rec*; return its bindings.

    Pure with respect to everything but *rec* (it may run more than once).
    """
    ul = state.ul
    if cfg.max_contacts:
        _test_max_contacts(rec, contacts, hdr_expires, ci, now)
    order = cfg.desc_time_order or ul.desc_time_order
    get_ucontact = ul.get_ucontact
    callid, cseq = ci.callid, ci.cseq
    calc_expires = sip_msg.calc_expires
    dflt, lo, hi = cfg.default_expires, cfg.min_expires, cfg.max_expires
    for c in contacts:
        e = calc_expires(c.expires, hdr_expires, now, dflt, lo, hi)
        rc, uc = get_ucontact(rec, c.uri, callid, cseq, now)
        if rc == ul.UL_INVALID_CSEQ:
            raise RegError(R_INV_CSEQ)
        if rc == ul.UL_RETRANS:
            continue
        if rc == ul.UL_FOUND and e == 0:
            rec.delete_ucontact(uc)
            continue
        if e == 0:
            continue
        one = ci.copy()
        one.expires = e
        one.q = c.q if c.q is not None else cfg.default_q    # calc_q
        one.methods = sip_msg.contact_methods(c, msg) if msg is not None \
            else ul.ALL_METHODS
        if rc == ul.UL_FOUND:
            rec.update_ucontact(uc, one, order)
        else:
            rec.insert_ucontact(c.uri, one, order)
    return rec.valid_contacts(now)


def _test_max_contacts(rec, contacts, hdr_expires, ci, now):
    """1.3's ``test_max_contacts``: fail before anything changes."""
    ul = state.ul
    num = len(rec.valid_contacts(now))
    for c in contacts:
        e = _expires(c, hdr_expires, now)
        rc, _uc = ul.get_ucontact(rec, c.uri, ci.callid, ci.cseq, now)
        if rc == ul.UL_FOUND:
            if e == 0:
                num -= 1
        elif rc == ul.UL_NOT_FOUND and e != 0:
            num += 1
    if num > cfg.max_contacts:
        raise RegError(R_TOO_MANY)
