"""pv_www_authorize / pv_proxy_authorize and consume_credentials
(OpenSER ``auth/authorize.c``).

The ``pv_*`` functions take the password from pseudo-variables instead of
a database: ``username_spec`` must hold the user part of the digest
username (compared case-insensitively, else "user unknown"),
``password_spec`` the password (``calculate_ha1=1``: clear text, HA1 =
MD5(username:realm:password) with the whole digest username) or HA1
itself.  Return codes are those of auth_db (reference §7.3); -5 when
``username_spec`` / ``password_spec`` are not set.
"""
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.exports import FixupError
from openser_py.core.pvar import PvError, parse_pv_format
from openser_py.modules.auth import api
from openser_py.modules.auth.auth_mod import (AUTH_ERROR, DO_AUTHORIZATION,
                                              INVALID_PASSWORD, USER_UNKNOWN,
                                              cfg, state)
from openser_py.parser import data_lump


def _pv_text(spec, msg):
    value = spec.get(msg)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def get_ha1(msg, digest, realm):
    """``(rc, ha1)``: rc 0 found, 1 user unknown, -1 error."""
    if state.user_spec is None or state.passwd_spec is None:
        LM_ERR("username_spec and password_spec must be set for "
               "pv_*_authorize")
        return -1, None
    user = _pv_text(state.user_spec, msg)
    if user is None or user.lower() != (digest.user or "").lower():
        LM_DBG("username PV does not match the credentials")
        return 1, None
    passwd = _pv_text(state.passwd_spec, msg)
    if passwd is None:
        return 1, None
    if cfg.calculate_ha1:
        return 0, api.calc_ha1(digest.username, realm, passwd)
    return 0, passwd


def pv_authorize(msg, realm, hftype):
    """The whole flow with HA1 from the PVs."""
    rc, cred = api.pre_auth(msg, realm, hftype)
    if rc != DO_AUTHORIZATION:
        return rc
    digest = cred.digest
    rc, ha1 = get_ha1(msg, digest, digest.realm)
    if rc < 0:
        return AUTH_ERROR           # misconfigured: no reply was sent
    if rc > 0:
        return USER_UNKNOWN
    if not api.check_response(digest, msg.method, ha1, msg.body):
        return INVALID_PASSWORD
    return api.post_auth(msg, cred)


def fixup_realm(value, param_no):
    """The realm argument: a format that may hold PVs."""
    try:
        return parse_pv_format(value or "")
    except PvError as exc:
        raise FixupError("bad realm %r: %s" % (value, exc)) from None


def w_pv_www_authorize(msg, realm):
    """``pv_www_authorize(realm)``."""
    return pv_authorize(msg, realm.format(msg), api.HDR_AUTHORIZATION)


def w_pv_proxy_authorize(msg, realm):
    """``pv_proxy_authorize(realm)``."""
    return pv_authorize(msg, realm.format(msg), api.HDR_PROXYAUTH)


def w_consume_credentials(msg):
    """``consume_credentials()``: delete the authorized credentials header."""
    hf = msg.ctx.get(api.AUTHORIZED_HF_KEY)
    if hf is None:
        LM_ERR("no authorized credentials found (error in scripts)")
        return -1
    data_lump.remove_header(msg, hf)
    return 1
