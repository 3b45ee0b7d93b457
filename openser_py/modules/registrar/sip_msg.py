"""REGISTER parsing helpers for registrar (OpenSER ``sip_msg.c``, ``common.c``).

The expiry and q rules are pure functions of their inputs (``now`` is an
argument) so they can be tested alone:

* RFC 3261 10.2.1.1 / 10.3 step 7: a contact's expiry is its ``expires``
  parameter, else the ``Expires`` header, else ``default_expires``; 0
  means "remove"; other values are raised to ``min_expires`` and capped at
  ``max_expires`` (0 disables a bound).
* q: the contact's ``q`` parameter, else ``default_q`` (-1 = unspecified).
"""
import re

from openser_py.core.ip_addr import PROTO_NAMES
from openser_py.modules.registrar.rerrno import (
    R_AOR_LEN, R_AOR_PARSE, R_CID_MISS, R_CS_MISS, R_INV_EXP, R_INV_Q,
    R_PARSE, R_PARSE_CONT, R_PARSE_EXP, R_TO_MISS, R_TO_USER, R_UNESCAPE,
    RegError)
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HDR_ALLOW, HDR_USERAGENT
from openser_py.parser.limits import MAX_URI
from openser_py.parser.methods import METHOD_OTHER, method_id
from openser_py.parser.parse_uri import parse_uri

__all__ = ["calc_expires", "calc_q", "parse_message", "get_contacts",
           "extract_aor", "contact_methods", "user_agent", "socket_str",
           "MAX_AOR_LEN", "CONTACT_MAX_SIZE", "RECEIVED_MAX_SIZE",
           "CALLID_MAX_SIZE", "UA_MAX_SIZE"]

#: a SIP URI whose user part needs no unescaping and whose host is a
#: name or IPv4 address (``parse_uri``'s grammar restricted; a URI it does
#: not match goes through ``parse_uri``): groups user, host, port
_PLAIN_URI = re.compile(
    r"[sS][iI][pP][sS]?:([A-Za-z0-9\-_.!~*'()&=+$,/]+)@"
    r"([A-Za-z0-9_][A-Za-z0-9_.\-]*)(?::([0-9]{1,5}))?"
    r"(?:;[^?\x00-\x20\x7f<>\"]*)?(?:\?[^\x00-\x20\x7f<>\"]*)?\Z").match
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(r"%s(?:\.%s){3}\Z" % (_OCTET, _OCTET)).match
_DOTTED = frozenset("0123456789.")
_ALL_DOTTED = re.compile(r"[0-9.]+\Z").match

MAX_AOR_LEN = 256
CONTACT_MAX_SIZE = 255
RECEIVED_MAX_SIZE = 255
CALLID_MAX_SIZE = 255
UA_MAX_SIZE = 255
ALL_METHODS = 0xFFFFFFFF


def calc_expires(param, hdr, now, default_expires, min_expires, max_expires):
    """Absolute expiry time of a contact, or 0 for "remove" (pure).

    *param*: the contact's ``expires`` (int or None); *hdr*: the Expires
    header (int or None).
    """
    e = param if param is not None else hdr if hdr is not None \
        else default_expires
    if e == 0:
        return 0
    if min_expires and e < min_expires:
        e = min_expires
    if max_expires and e > max_expires:
        e = max_expires
    return now + e


def calc_q(param, default_q):
    """The contact's q (0..1000), or *default_q* when it has none (pure)."""
    return param if param is not None else default_q


#: what ``parse_message`` parses (in ``SipMsg.parse_all``'s order): the
#: headers 1.3's ``parse_headers(HDR_EOH_F)`` parses (Via, From, To,
#: Call-ID, CSeq, Max-Forwards) and the two registrar reads (Expires,
#: Contact).  The Request-URI and the other headers are left alone, as in
#: 1.3: an odd Route or Supported does not make a REGISTER fail.
_NEEDED = ("vias", "from_", "to", "callid", "cseq", "max_forwards",
           "expires", "contacts")


def parse_message(msg):
    """Check what save() needs; return ``(contact_list_or_None, expires_hdr)``.

    Raises :class:`RegError` with 1.3's error numbers.
    """
    try:
        msg.parse_only(_NEEDED)
    except SipParseError as exc:
        reason = (exc.reason or "").lower()
        if "contact" in reason or _is_q_error(reason):
            raise RegError(_contact_error(reason), exc.reason) from exc
        if "expires" in reason:
            raise RegError(R_PARSE_EXP, exc.reason) from exc
        if "missing to" in reason:
            raise RegError(R_TO_MISS) from exc
        if "call-id" in reason:
            raise RegError(R_CID_MISS) from exc
        if "cseq" in reason:
            raise RegError(R_CS_MISS) from exc
        raise RegError(R_PARSE, exc.reason) from exc
    if msg.to is None:
        raise RegError(R_TO_MISS)
    if msg.callid is None:
        raise RegError(R_CID_MISS)
    if msg.cseq is None:
        raise RegError(R_CS_MISS)
    try:
        contacts = msg.contacts
        expires = msg.expires
    except SipParseError as exc:
        reason = (exc.reason or "").lower()
        if "contact" in reason or _is_q_error(reason):
            raise RegError(_contact_error(reason), exc.reason) from exc
        raise RegError(R_PARSE_EXP, exc.reason) from exc
    return contacts, expires


def _is_q_error(reason):
    """parse_q's texts (reference 17.3): "... q parameter", "... in q"."""
    return "q parameter" in reason or reason.endswith(" in q")


def _contact_error(reason):
    if "expires" in reason:
        return R_INV_EXP
    if _is_q_error(reason):
        return R_INV_Q
    return R_PARSE_CONT


def extract_aor(uri_text, use_domain, case_sensitive=0, realm_prefix=""):
    """The AOR (``user`` or ``user@domain``) of a To/R-URI (``extract_aor``).

    Raises :class:`RegError`: ``R_AOR_PARSE`` for a bad URI, ``R_TO_USER``
    for no user part, ``R_UNESCAPE``, ``R_AOR_LEN``.
    """
    m = _PLAIN_URI(uri_text)
    if m is not None and len(uri_text) <= MAX_URI and \
            (m[3] is None or int(m[3]) <= 65535) and \
            (m[2][-1] not in _DOTTED or _IPV4(m[2]) is not None
             or not _ALL_DOTTED(m[2])):
        # a plain sip:user@host URI: what parse_uri would give, cheaper
        user = m[1]
        host = m[2]
    else:
        try:
            uri = parse_uri(uri_text)
        except SipParseError as exc:
            raise RegError(R_AOR_PARSE, exc.reason) from exc
        if not uri.user:
            raise RegError(R_TO_USER)
        try:
            user = uri.unescaped_user
        except Exception as exc:  # noqa: BLE001 - a bad %-escape
            raise RegError(R_UNESCAPE) from exc
        host = uri.host
    if use_domain:
        if realm_prefix and host.startswith(realm_prefix) and \
                len(host) > len(realm_prefix):
            host = host[len(realm_prefix):]
        aor = "%s@%s" % (user, host)
    else:
        aor = user
    if len(aor) >= MAX_AOR_LEN:
        raise RegError(R_AOR_LEN)
    return aor if case_sensitive else aor.lower()


def contact_methods(contact, msg):
    """Method bitmask: the contact's ``methods`` param, else Allow, else all."""
    text = contact.get_param("methods") if contact is not None else None
    if text is not None:
        return _methods_mask(text.strip('"'))
    if msg.hdr_body(HDR_ALLOW) is None:     # no Allow header
        return ALL_METHODS
    allow = msg.get_hdrs(HDR_ALLOW)
    if not allow:
        return ALL_METHODS
    return _methods_mask(",".join(hf.body for hf in allow))


def _methods_mask(text):
    mask = 0
    for name in text.split(","):
        name = name.strip(" \t\r\n")
        if name:
            m = method_id(name.upper())
            mask |= int(m) if m else int(METHOD_OTHER)
    return mask


def user_agent(msg):
    """The User-Agent value, truncated to ``UA_MAX_SIZE``."""
    body = msg.hdr_body(HDR_USERAGENT)
    return body.strip()[:UA_MAX_SIZE] if body is not None else ""


_sock_names = {}    # (proto, ip, port) -> str(SocketInfo)


def socket_str(msg):
    """``proto:ip:port`` of the socket the request arrived on."""
    rcv = msg.rcv
    if rcv is None:
        return ""
    sock = rcv.sock
    if sock is not None:
        key = (sock.proto, sock.ip, sock.port)
        name = _sock_names.get(key)
        if name is None:
            name = str(sock)
            if len(_sock_names) < 256:
                _sock_names[key] = name
        return name
    ip = "[%s]" % rcv.dst_ip if ":" in (rcv.dst_ip or "") else rcv.dst_ip
    return "%s:%s:%d" % (PROTO_NAMES.get(rcv.proto, "udp"), ip, rcv.dst_port)
