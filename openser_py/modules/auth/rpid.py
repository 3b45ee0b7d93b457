"""Remote-Party-ID helpers (OpenSER ``auth/rpid.c``).

The RPID value comes from the AVP named by ``rpid_avp`` (``$avp(s:rpid)``
by default), typically loaded by auth_db's ``load_credentials`` from the
subscriber's ``rpid`` column.

* ``append_rpid_hf()`` adds ``Remote-Party-ID: <rpid_prefix><rpid><rpid_suffix>``
  after the last header (the two-argument form uses its own prefix and
  suffix);
* ``is_rpid_user_e164()`` is true when the user part of the RPID's SIP URI
  is ``+`` followed by 2..15 digits.
"""
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.usr_avp import search_first_avp
from openser_py.modules.auth.auth_mod import cfg, state
from openser_py.parser import data_lump
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_nameaddr import parse_nameaddr

RPID_HF_NAME = "Remote-Party-ID: "


def get_rpid():
    """The RPID AVP's string value, or None (logged)."""
    if state.rpid_avp is None:
        LM_ERR("rpid_avp is not set")
        return None
    name, flags = state.rpid_avp
    value = search_first_avp(name, flags)
    if value is None:
        LM_DBG("no rpid AVP")
        return None
    if not isinstance(value, str) or not value:
        LM_DBG("empty or non-string rpid")
        return None
    return value


def is_e164(user):
    """``+`` followed by 2 to 15 digits (1.3 ``is_e164``)."""
    return (2 < len(user) < 17 and user[0] == "+" and user[1:].isdigit()
            and user[1:].isascii())


def _find_not_quoted(text, char):
    quoted = False
    for i, c in enumerate(text):
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            return i
    return -1


def w_is_rpid_user_e164(msg):
    """``is_rpid_user_e164()``: 1 / -1."""
    rpid = get_rpid()
    if rpid is None:
        return -1
    uri = rpid
    if _find_not_quoted(rpid, "<") >= 0:
        try:
            uri = parse_nameaddr(rpid).uri
        except SipParseError as exc:
            LM_ERR("failed to parse RPID %r: %s", rpid, exc.reason)
            return -1
    if len(uri) <= 4 or uri[:4].lower() != "sip:":
        LM_DBG("RPID %r is not a SIP URI", rpid)
        return -1
    user = uri[4:]
    for sep in ("@", ";"):
        pos = user.find(sep)
        if pos >= 0:
            user = user[:pos]
    return 1 if is_e164(user) else -1


def append_rpid_hf(msg, prefix, suffix):
    """Add the Remote-Party-ID header; 1 / -1."""
    rpid = get_rpid()
    if rpid is None:
        return -1
    data_lump.add_header(msg, "%s%s%s%s\r\n" % (RPID_HF_NAME, prefix, rpid,
                                                 suffix))
    return 1


def w_append_rpid_hf(msg, prefix=None, suffix=None):
    """``append_rpid_hf()`` / ``append_rpid_hf(prefix, suffix)``."""
    if prefix is None:
        prefix, suffix = cfg.rpid_prefix or "", cfg.rpid_suffix or ""
    return append_rpid_hf(msg, prefix, suffix)
