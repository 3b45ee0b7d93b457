"""The auth API used by auth_db (OpenSER ``auth/api.c``, ``bind_auth``).

Theory of operation (reference §7.3): an ``*_authorize`` function is
``pre_auth`` -> credentials lookup by the back-end (DB, PVs) ->
``check_response`` -> ``post_auth``:

1. :func:`pre_auth` -- ACK and CANCEL are authorized outright; the realm
   (argument, else To host of a REGISTER for www, else From host, minus
   ``realm_prefix``) selects the ``Authorization`` / ``Proxy-Authorization``
   header whose realm matches (none -> ``NO_CREDENTIALS``; unparsable ->
   400 sent, ``ERROR``); the digest must be complete (else 400); the
   nonce's MAC must be ours (else ``STALE_NONCE``).  ``DO_AUTHORIZATION``
   means "go on" and comes with the :class:`AuthCred`.
2. the back-end finds HA1 (``USER_UNKNOWN`` if it cannot);
3. :func:`check_response` compares the response (``INVALID_PASSWORD``);
4. :func:`post_auth` -- a nonce past its expiry gives ``STALE_NONCE`` and
   marks the message so that the next challenge carries ``stale=true``;
   with qop the nonce-count must be higher than any seen for the nonce
   (shared nc table) else ``STALE_NONCE`` too (a replay, or a nonce
   forgotten after too many newer ones: the client is re-challenged);
   otherwise the credentials are marked authorized (``$au``, ``is_user``,
   ``check_to``, ``consume_credentials`` use them) -> ``AUTHORIZED``.

``load_module_api("auth")`` returns :data:`API`.
"""
from openser_py.core.dprint import LM_ALERT, LM_DBG, LM_ERR, LM_WARN
from openser_py.core.pv_msg import AUTHORIZED_CRED_KEY
from openser_py.modules.auth import auth_mod, nonce as nonce_mod, rfc2617
from openser_py.modules.auth.auth_mod import (AUTHORIZED, DO_AUTHORIZATION,
                                              ERROR, NO_CREDENTIALS,
                                              STALE_NONCE, cfg, state)
from openser_py.parser.digest import parse_credentials
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HdrType
from openser_py.parser.methods import (METHOD_ACK, METHOD_CANCEL,
                                       METHOD_REGISTER)
from openser_py.sr_module import load_module_api

HDR_AUTHORIZATION = HdrType.AUTHORIZATION
HDR_PROXYAUTH = HdrType.PROXYAUTH

AUTHORIZED_HF_KEY = "auth.authorized_hf"
STALE_KEY = "auth.stale"

_QOPS = ("auth", "auth-int")
_ALGS = ("md5", "md5-sess")


class AuthCred:
    """One credentials header: the parsed digest and its header field."""

    __slots__ = ("digest", "hf")

    def __init__(self, digest, hf):
        self.digest = digest
        self.hf = hf

    def __repr__(self):
        return "AuthCred(%r)" % (self.digest,)


def send_resp(msg, code, reason):
    """Send a stateless reply through sl (1 / -1)."""
    slb = load_module_api("sl")
    if slb is None:
        LM_ERR("sl module not loaded: cannot send %d %s", code, reason)
        return -1
    return slb.reply(msg, code, reason)


def strip_realm(realm):
    """Remove ``realm_prefix`` from the front of *realm* (1.3 strip_realm)."""
    prefix = cfg.realm_prefix or ""
    if prefix and len(realm) > len(prefix) and \
            realm[:len(prefix)].lower() == prefix.lower():
        return realm[len(prefix):]
    return realm


def get_realm(msg, hftype):
    """Default realm: To host of a REGISTER (www), else From host.

    Returns None (logged) when the header cannot be parsed.
    """
    use_to = (msg.method_id == METHOD_REGISTER
              and hftype == HDR_AUTHORIZATION)
    try:
        body = msg.to if use_to else msg.from_
        if body is None:
            LM_ERR("missing %s header", "To" if use_to else "From")
            return None
        return body.parsed_uri().host
    except SipParseError as exc:
        LM_ERR("failed to parse the %s URI: %s",
               "To" if use_to else "From", exc.reason)
        return None


def find_credentials(msg, realm, hftype):
    """``(rc, AuthCred)``: rc 0 found, 1 none for *realm*, -1 parse error."""
    for hf in msg.get_hdrs(hftype):
        try:
            digest = hf.parsed if hf.parsed is not None \
                else parse_credentials(hf.body)
        except SipParseError as exc:
            LM_ERR("failed to parse credentials: %s", exc.reason)
            return -1, None
        if not digest.is_digest or digest.realm is None:
            continue
        if digest.realm.lower() == realm.lower():
            return 0, AuthCred(digest, hf)
    return 1, None


def check_dig_cred(digest):
    """True when the digest has every mandatory field (1.3 check_dig_cred)."""
    if digest.missing():
        return False
    if digest.algorithm is not None and \
            digest.algorithm.lower() not in _ALGS:
        return False
    if digest.qop is not None:
        if digest.qop.lower() not in _QOPS:
            return False
        if digest.cnonce is None or nonce_mod.parse_nc(digest.nc) is None:
            return False
    return True


def pre_auth(msg, realm, hftype):
    """Steps 1-5 of the flow: ``(result, AuthCred | None)``.

    ``realm`` is the expanded script argument ("" for the default one).
    """
    if msg.method_id in (METHOD_ACK, METHOD_CANCEL):
        return AUTHORIZED, None
    if not realm:
        realm = get_realm(msg, hftype)
        if realm is None:
            if send_resp(msg, 400, "Bad Request") == -1:
                LM_ERR("failed to send 400 reply")
            return ERROR, None
    realm = strip_realm(realm)
    rc, cred = find_credentials(msg, realm, hftype)
    if rc < 0:
        if send_resp(msg, 400, "Bad Request") == -1:
            LM_ERR("failed to send 400 reply")
        return ERROR, None
    if rc > 0:
        LM_DBG("credentials with realm %s not found", realm)
        return NO_CREDENTIALS, None
    if not check_dig_cred(cred.digest):
        LM_ERR("received credentials are not filled properly")
        if send_resp(msg, 400, "Bad Request") == -1:
            LM_ERR("failed to send 400 reply")
        return ERROR, None
    if not nonce_mod.nonce_mac_ok(cred.digest.nonce, state.secret):
        LM_ALERT("invalid nonce value received")
        return STALE_NONCE, None
    return DO_AUTHORIZATION, cred


def calc_ha1(username, realm, password, digest=None):
    """HA1 from a clear-text password (MD5, or MD5-sess per *digest*)."""
    alg = rfc2617.ALG_MD5
    if digest is not None and digest.algorithm and \
            digest.algorithm.lower() == rfc2617.ALG_MD5_SESS:
        return rfc2617.calc_ha1(username, realm, password,
                                rfc2617.ALG_MD5_SESS, digest.nonce,
                                digest.cnonce)
    return rfc2617.calc_ha1(username, realm, password, alg)


def calculate_response(digest, method, ha1, body=b""):
    """The response the client must send for *digest* given *ha1* (HA1 as
    stored: for MD5-sess the session key is derived here)."""
    if digest.algorithm and digest.algorithm.lower() == rfc2617.ALG_MD5_SESS:
        ha1 = rfc2617.sess_ha1(ha1, digest.nonce, digest.cnonce)
    qop = digest.qop.lower() if digest.qop else None
    return rfc2617.calc_response(ha1, digest.nonce, method, digest.uri,
                                 qop, digest.nc, digest.cnonce, body)


def check_response(digest, method, ha1, body=b""):
    """True when the digest's response matches :func:`calculate_response`."""
    expected = calculate_response(digest, method, ha1, body)
    LM_DBG("our result = '%s'", expected)
    return rfc2617.response_matches(expected, digest.response)


def post_auth(msg, cred, now=None):
    """Steps 9-10: stale / nonce-count checks, then mark authorized."""
    digest = cred.digest
    if nonce_mod.is_nonce_stale(digest.nonce, now):
        LM_DBG("response is OK, but nonce is stale")
        msg.ctx[STALE_KEY] = True
        return STALE_NONCE
    table = state.nc_table
    if digest.qop and table is not None:
        index = nonce_mod.parse_nonce(digest.nonce)[1]
        res = table.check(index, nonce_mod.parse_nc(digest.nc))
        if res != nonce_mod.NC_OK:
            LM_WARN("nonce-count %s %s for nonce %s", digest.nc,
                    "replayed" if res == nonce_mod.NC_REPLAY
                    else "of a forgotten nonce", digest.nonce)
            msg.ctx[STALE_KEY] = True
            return STALE_NONCE
    msg.ctx[AUTHORIZED_CRED_KEY] = digest
    msg.ctx[AUTHORIZED_HF_KEY] = cred.hf
    return AUTHORIZED


class AuthApi:
    """Bound auth functions (``struct auth_api``)."""

    AUTH_ERROR = auth_mod.AUTH_ERROR
    NO_CREDENTIALS = NO_CREDENTIALS
    STALE_NONCE = STALE_NONCE
    INVALID_PASSWORD = auth_mod.INVALID_PASSWORD
    USER_UNKNOWN = auth_mod.USER_UNKNOWN
    ERROR = ERROR
    AUTHORIZED = AUTHORIZED
    DO_AUTHORIZATION = DO_AUTHORIZATION
    HDR_AUTHORIZATION = HDR_AUTHORIZATION
    HDR_PROXYAUTH = HDR_PROXYAUTH

    pre_auth = staticmethod(pre_auth)
    post_auth = staticmethod(post_auth)
    check_response = staticmethod(check_response)
    calculate_response = staticmethod(calculate_response)
    calc_ha1 = staticmethod(calc_ha1)
    send_resp = staticmethod(send_resp)

    @staticmethod
    def rpid_avp():
        """``(name, flags)`` of the ``rpid_avp`` AVP, or None."""
        return state.rpid_avp


#: what ``load_module_api("auth")`` returns
API = AuthApi()


def bind_auth(*_unused):
    """``bind_auth``: return the auth API (internal command)."""
    return API
