"""The read-only core pseudo-variables (part of the 1.3 core PV table).

From/To, Call-ID, CSeq, method/status, Contact, Content-*, User-Agent, the
identity headers (Remote-Party-ID, Refer-To, Diversion,
P-Asserted-Identity, P-Preferred-Identity), the credentials (``$adu $ar $au
$aU $Au``), the raw message (``$mb $ml $rb``), the receive information
(``$si $sp $Ri $Rp $pr``), the flags (``$mf $bf $sf``...), ids and time
(``$mi $pp $Ts $Tf``) and the script state (``$rc $err.*``).  A header
that is absent or cannot be parsed reads as null.  The writable PVs are in
:mod:`openser_py.core.pv_core`.
"""
import os
import time

from openser_py.core.flags import getb0flags
from openser_py.core.ip_addr import PROTO_BY_NAME, PROTO_NAMES
from openser_py.core.pvar import IntStr, _register_simple
from openser_py.core.script_state import state as _st
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HdrType
from openser_py.parser.methods import METHOD_ACK, METHOD_CANCEL, method_id
from openser_py.parser.parse_nameaddr import parse_nameaddr_list

__all__ = ["AUTHORIZED_CRED_KEY"]

#: ``msg.ctx`` key where the auth module stores the credentials it accepted
#: (a DigestCredentials); ``$Au`` uses them, as 1.3's get_authorized_cred()
AUTHORIZED_CRED_KEY = "auth.authorized_cred"
_CACHE_ID = "_pv_idhdr"


def _nonempty(val):
    return val if val else None


# -- From / To --------------------------------------------------------------

def _tobody_part(attr, fn):
    """Getter of a From (attr ``from_``) or To (``to``) part."""
    def get(msg):
        try:
            body = getattr(msg, attr)
            if body is None:
                return None
            return fn(body)
        except SipParseError:
            return None
    return get


def _tb_uri(body):
    return _nonempty(body.uri)


def _tb_user(body):
    return _nonempty(body.parsed_uri().user)


def _tb_host(body):
    return _nonempty(body.parsed_uri().host)


def _raw_display(text, addr):
    """The display name as written (quotes kept, as OpenSER's parse_to)."""
    lt = addr.uri_start - 1
    if lt < 0 or text[lt:lt + 1] != "<":
        return None
    return _nonempty(text[:lt].strip(" \t"))


def _display(htype, attr):
    """``$fn``/``$tn``: display name of From/To as written."""
    def get(msg):
        try:
            body = getattr(msg, attr)
            if body is None:
                return None
            return _raw_display(msg.get_hdr(htype).body, body)
        except SipParseError:
            return None
    return get


def _tb_tag(body):
    return _nonempty(body.tag)


# -- simple headers ---------------------------------------------------------

def _hdr_body(htype):
    def get(msg):
        try:
            hf = msg.get_hdr(htype)
        except SipParseError:
            return None
        return None if hf is None else _nonempty(hf.body)
    return get


def _get_ci(msg):
    try:
        return _nonempty(msg.callid)
    except SipParseError:
        return None


def _get_cs(msg):
    try:
        cseq = msg.cseq
    except SipParseError:
        return None
    return None if cseq is None else cseq.num_str


def _get_rm(msg):
    if msg.is_request:
        return IntStr(msg.method, int(msg.method_id))
    try:
        cseq = msg.cseq
    except SipParseError:
        return None
    if cseq is None:
        return None
    return IntStr(cseq.method, int(method_id(cseq.method)))


def _get_rs(msg):
    return None if msg.is_request else msg.status


def _get_rr(msg):
    return None if msg.is_request else msg.reason


def _get_cl(msg):
    try:
        hf = msg.get_hdr(HdrType.CONTENTLENGTH)
        if hf is None:
            return None
        return IntStr(hf.body, msg.content_length)
    except SipParseError:
        return None


# -- identity headers (first value of the first header) ---------------------

def _first_nameaddr(msg, htype):
    """NameAddr of the first value of the first *htype* header, or None."""
    hf = msg.get_hdr(htype)
    if hf is None:
        return None
    cache = msg.ctx.get(_CACHE_ID)
    if cache is None:
        cache = msg.ctx[_CACHE_ID] = {}
    hit = cache.get(htype)
    if hit is None or hit[0] is not hf:
        hit = (hf, parse_nameaddr_list(hf.body)[0])
        cache[htype] = hit
    return hit[1]


def _ident(htype, fn):
    def get(msg):
        try:
            addr = _first_nameaddr(msg, htype)
            return None if addr is None else fn(addr)
        except (SipParseError, IndexError):
            return None
    return get


def _get_pn(msg):
    try:
        addr = _first_nameaddr(msg, HdrType.PPI)
        if addr is None:
            return None
        return _raw_display(msg.get_hdr(HdrType.PPI).body, addr)
    except (SipParseError, IndexError):
        return None


# -- credentials ------------------------------------------------------------

def _credentials(msg):
    """First Proxy-Authorization, else Authorization credentials."""
    if msg.is_request and msg.method_id in (METHOD_ACK, METHOD_CANCEL):
        return None
    try:
        creds = msg.proxy_authorization or msg.authorization
    except SipParseError:
        return None
    return creds[0] if creds else None


def _cred_part(fn):
    def get(msg):
        cred = _credentials(msg)
        return None if cred is None else fn(cred)
    return get


def _cred_duri(cred):
    return _nonempty(cred.uri)


def _cred_realm(cred):
    return cred.realm


def _cred_user(cred):
    return cred.user


def _cred_whole(cred):
    return cred.username


def _get_Au(msg):
    cred = msg.ctx.get(AUTHORIZED_CRED_KEY)
    user = cred.user if cred is not None else None
    if user:
        return "%s@%s" % (user, cred.realm) if cred.realm else user
    try:
        frm = msg.from_
        if frm is None or not frm.uri:
            return ""
        uri = frm.parsed_uri()
    except SipParseError:
        return None
    return "%s@%s" % (uri.user, uri.host)


# -- receive info -----------------------------------------------------------

def _get_si(msg):
    rcv = msg.rcv
    return None if rcv is None else rcv.src_ip


def _get_sp(msg):
    rcv = msg.rcv
    return None if rcv is None else IntStr(str(rcv.src_port), rcv.src_port)


def _get_Ri(msg):
    rcv = msg.rcv
    if rcv is None:
        return None
    ip = rcv.sock.ip if rcv.sock is not None else rcv.dst_ip
    return ip or None


def _get_Rp(msg):
    rcv = msg.rcv
    if rcv is None:
        return None
    port = rcv.sock.port if rcv.sock is not None else rcv.dst_port
    return IntStr(str(port), port) if port else None


def _get_pr(msg):
    rcv = msg.rcv
    if rcv is None:
        return None
    proto = rcv.proto
    if isinstance(proto, str):
        proto = PROTO_BY_NAME.get(proto.lower(), 0)
    name = PROTO_NAMES.get(proto)
    return IntStr(name.upper() if name else "NONE", proto)


# -- flags, ids, time, state ------------------------------------------------

def _hex8(num):
    return "%08x" % (num & 0xFFFFFFFF)


def _get_mf(msg):
    flags = msg.flags or 0
    return IntStr(str(flags), flags)


def _get_mF(msg):
    flags = msg.flags or 0
    return IntStr(_hex8(flags), flags)


def _get_bf(msg):
    flags = getb0flags(msg)
    return IntStr(str(flags), flags)


def _get_bF(msg):
    flags = getb0flags(msg)
    return IntStr(_hex8(flags), flags)


def _get_sf(msg):
    return IntStr(str(_st.sflags), _st.sflags)


def _get_sF(msg):
    return IntStr(_hex8(_st.sflags), _st.sflags)


def _get_mi(msg):
    return msg.id or 0


def _get_pp(msg):
    return os.getpid()


def _get_rc(msg):
    return _st.retcode


def _get_Ts(msg):
    return _st.msg_time(msg)


def _get_Tf(msg):
    now = _st.msg_time(msg)
    return IntStr(time.ctime(now), now)


def _get_err_class(msg):
    return _st.err.eclass


def _get_err_level(msg):
    return _st.err.level


def _get_err_info(msg):
    return _st.err.info


def _get_err_rcode(msg):
    return _st.err.rcode


def _get_err_rreason(msg):
    return _st.err.rreason


# -- raw message ------------------------------------------------------------

def _get_mb(msg):
    return msg.buf.decode("latin-1")


def _get_ml(msg):
    size = len(msg.buf)
    return IntStr(str(size), size)


def _get_rb(msg):
    try:
        if msg.get_hdr(HdrType.CONTENTLENGTH) is None:
            return None
    except SipParseError:
        return None
    return msg.body.decode("latin-1")


_TABLE = [
    (("fu", "from"), _tobody_part("from_", _tb_uri), "From URI"),
    (("fU", "from.user"), _tobody_part("from_", _tb_user), "From user"),
    (("fd", "from.domain"), _tobody_part("from_", _tb_host), "From host"),
    (("fn",), _display(HdrType.FROM, "from_"), "From display name"),
    (("ft",), _tobody_part("from_", _tb_tag), "From tag"),
    (("tu", "to"), _tobody_part("to", _tb_uri), "To URI"),
    (("tU", "to.user"), _tobody_part("to", _tb_user), "To user"),
    (("td", "to.domain"), _tobody_part("to", _tb_host), "To host"),
    (("tn",), _display(HdrType.TO, "to"), "To display name"),
    (("tt",), _tobody_part("to", _tb_tag), "To tag"),
    (("ci",), _get_ci, "Call-ID"),
    (("cs",), _get_cs, "CSeq number"),
    (("rm",), _get_rm, "method"),
    (("rs",), _get_rs, "reply status"),
    (("rr",), _get_rr, "reply reason"),
    (("ct",), _hdr_body(HdrType.CONTACT), "Contact header body"),
    (("cT",), _hdr_body(HdrType.CONTENTTYPE), "Content-Type"),
    (("cl",), _get_cl, "Content-Length"),
    (("ua",), _hdr_body(HdrType.USERAGENT), "User-Agent"),
    (("re",), _ident(HdrType.RPID, _tb_uri), "Remote-Party-ID URI"),
    (("rt",), _ident(HdrType.REFER_TO, _tb_uri), "Refer-To URI"),
    (("di",), _ident(HdrType.DIVERSION, _tb_uri), "Diversion URI"),
    (("ai",), _ident(HdrType.PAI, _tb_uri), "P-Asserted-Identity URI"),
    (("pu",), _ident(HdrType.PPI, _tb_uri), "P-Preferred-Identity URI"),
    (("pU",), _ident(HdrType.PPI, _tb_user), "P-Preferred-Identity user"),
    (("pd",), _ident(HdrType.PPI, _tb_host), "P-Preferred-Identity host"),
    (("pn",), _get_pn, "P-Preferred-Identity display name"),
    (("adu",), _cred_part(_cred_duri), "digest uri"),
    (("ar",), _cred_part(_cred_realm), "digest realm"),
    (("au",), _cred_part(_cred_user), "digest username, user part"),
    (("aU",), _cred_part(_cred_whole), "digest username, whole"),
    (("Au",), _get_Au, "accounting username"),
    (("si", "src_ip"), _get_si, "source IP"),
    (("sp",), _get_sp, "source port"),
    (("Ri",), _get_Ri, "local IP received on"),
    (("Rp",), _get_Rp, "local port received on"),
    (("pr", "proto"), _get_pr, "receive protocol"),
    (("mf",), _get_mf, "message flags"),
    (("mF",), _get_mF, "message flags, hex"),
    (("bf",), _get_bf, "branch-0 flags"),
    (("bF",), _get_bF, "branch-0 flags, hex"),
    (("sf",), _get_sf, "script flags"),
    (("sF",), _get_sF, "script flags, hex"),
    (("mi",), _get_mi, "message id"),
    (("pp",), _get_pp, "process id"),
    (("rc", "retcode"), _get_rc, "last return code"),
    (("Ts",), _get_Ts, "UNIX time"),
    (("Tf",), _get_Tf, "formatted time"),
    (("err.class",), _get_err_class, "error class"),
    (("err.level",), _get_err_level, "error level"),
    (("err.info",), _get_err_info, "error text"),
    (("err.rcode",), _get_err_rcode, "error reply code"),
    (("err.rreason",), _get_err_rreason, "error reply reason"),
    (("mb",), _get_mb, "message buffer"),
    (("ml",), _get_ml, "message length"),
    (("rb",), _get_rb, "message body"),
]

for _names, _get, _doc in _TABLE:
    for _name in _names:
        _register_simple(_name, _get, None, _doc)
del _names, _get, _doc, _name
