"""www_challenge / proxy_challenge (OpenSER ``auth/challenge.c``).

The challenge header (reference §7.2, RFC 2617 §3.2.1)::

    WWW-Authenticate: Digest realm="<realm>", nonce="<nonce>"[, qop="auth"][, stale=true]

is added to the replies of the request (a reply lump) and a ``401
Unauthorized`` / ``407 Proxy Authentication Required`` is sent statelessly
through sl.  ``stale=true`` is added when an ``*_authorize`` of the same
message found correct credentials with a stale (or replayed-nc) nonce.
Both functions return 0 after sending (the script stops) and -1 when the
reply could not be built or sent.
"""
import os
import time

from openser_py.core.dprint import LM_ERR
from openser_py.core.exports import FixupError
from openser_py.core.pvar import PvError, parse_pv_format
from openser_py.modules.auth import nonce as nonce_mod
from openser_py.modules.auth.api import (HDR_AUTHORIZATION, HDR_PROXYAUTH,
                                         STALE_KEY, get_realm, send_resp,
                                         strip_realm)
from openser_py.modules.auth.auth_mod import cfg, state
from openser_py.parser import data_lump

WWW_AUTH_HDR = "WWW-Authenticate"
PROXY_AUTH_HDR = "Proxy-Authenticate"
MESSAGE_401 = "Unauthorized"
MESSAGE_407 = "Proxy Authentication Required"


def new_nonce(now=None):
    """A fresh nonce expiring ``nonce_expire`` seconds from *now*."""
    if now is None:
        now = time.time()
    table = state.nc_table
    if table is not None:
        index = table.new_index()
    else:
        index = int.from_bytes(os.urandom(4), "big")
    return nonce_mod.calc_nonce(int(now) + cfg.nonce_expire, index,
                                state.secret)


def build_auth_hf(hf_name, realm, qop, stale, nonce):
    """The header line (CRLF included), exactly as 1.3 prints it."""
    return '%s: Digest realm="%s", nonce="%s"%s%s\r\n' % (
        hf_name, realm, nonce, ', qop="auth"' if qop else "",
        ", stale=true" if stale else "")


def challenge(msg, realm, qop, code, reason, hf_name, hftype, now=None):
    """Add the challenge header and send the reply; 0 or -1."""
    if not realm:
        realm = get_realm(msg, hftype)
        if realm is None:
            LM_ERR("failed to get the realm")
            if send_resp(msg, 400, "Bad Request") == -1:
                LM_ERR("failed to send the 400 reply")
            return -1
    realm = strip_realm(realm)
    stale = bool(msg.ctx.get(STALE_KEY))
    hf = build_auth_hf(hf_name, realm, qop, stale, new_nonce(now))
    data_lump.add_rpl_lump(msg, hf)
    if send_resp(msg, code, reason) == -1:
        LM_ERR("failed to send the %d reply", code)
        return -1
    return 0


# -- script interface ---------------------------------------------------------

def fixup_challenge(value, param_no):
    """realm: a format with PVs; qop: an integer (0 / 1)."""
    if param_no == 1:
        try:
            return parse_pv_format(value or "")
        except PvError as exc:
            raise FixupError("bad realm %r: %s" % (value, exc)) from None
    text = (value or "").strip()
    if not text.isdigit():
        raise FixupError("qop parameter must be a number, not %r" % value)
    return int(text)


def w_www_challenge(msg, realm, qop):
    """``www_challenge(realm, qop)``."""
    return challenge(msg, realm.format(msg), qop, 401, MESSAGE_401,
                     WWW_AUTH_HDR, HDR_AUTHORIZATION)


def w_proxy_challenge(msg, realm, qop):
    """``proxy_challenge(realm, qop)``."""
    return challenge(msg, realm.format(msg), qop, 407, MESSAGE_407,
                     PROXY_AUTH_HDR, HDR_PROXYAUTH)
