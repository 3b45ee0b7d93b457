"""auth module parameters and start-up (OpenSER ``auth/auth_mod.c``).

``mod_init`` runs in the master before fork: it fixes the nonce secret (a
random one when the ``secret`` modparam is unset, so that every worker
shares it), creates the shm nonce-count table and parses the AVP / PV
parameters.  Nothing is done per child.
"""
import re

from openser_py.core.dprint import LM_ERR, LM_INFO
from openser_py.core.pvar import PvError, parse_pv_spec
from openser_py.core.usr_avp import AvpError, parse_avp_spec
from openser_py.modules.auth import nonce as nonce_mod

# auth_result_t (auth/api.h)
AUTH_ERROR = -5
NO_CREDENTIALS = -4
STALE_NONCE = -3
INVALID_PASSWORD = -2
USER_UNKNOWN = -1
ERROR = 0
AUTHORIZED = 1
DO_AUTHORIZATION = 2

DEFAULT_RPID_SUFFIX = ";party=calling;id-type=subscriber;screen=yes"


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``auth`` module (attribute = default)."""
    secret = None
    nonce_expire = 300
    rpid_prefix = ""
    rpid_suffix = DEFAULT_RPID_SUFFIX
    realm_prefix = ""
    rpid_avp = "$avp(s:rpid)"
    username_spec = None
    password_spec = None
    calculate_ha1 = 0
    nonce_count = 1
    nc_array_size = 65536


class _State:
    """What mod_init computed (inherited by the workers at fork)."""
    secret = None
    nc_table = None
    rpid_avp = None            # (name, flags) or None (disabled)
    user_spec = None
    passwd_spec = None


state = _State()

_AVP_PV = re.compile(r"^\$avp\((.+)\)$", re.S)


def parse_avp_param(text):
    """``$avp(s:rpid)`` (or bare ``s:rpid`` / alias) -> ``(name, flags)``."""
    m = _AVP_PV.match(text.strip())
    return parse_avp_spec(m.group(1) if m else text.strip())


def mod_init():
    """Fix the secret, create the nc table, parse the AVP/PV parameters."""
    if cfg.secret:
        state.secret = cfg.secret
    else:
        state.secret = nonce_mod.random_secret()
    if not isinstance(cfg.nonce_expire, int) or cfg.nonce_expire <= 0:
        LM_ERR("invalid nonce_expire %r", cfg.nonce_expire)
        return -1
    destroy()
    if cfg.nonce_count:
        try:
            state.nc_table = nonce_mod.NcTable(cfg.nc_array_size)
        except (MemoryError, ValueError) as exc:
            LM_ERR("cannot create the nonce-count table: %s", exc)
            return -1
    state.rpid_avp = None
    if cfg.rpid_avp:
        try:
            state.rpid_avp = parse_avp_param(cfg.rpid_avp)
        except AvpError as exc:
            LM_ERR("invalid rpid_avp %r: %s", cfg.rpid_avp, exc)
            return -1
    state.user_spec = state.passwd_spec = None
    try:
        if cfg.username_spec:
            state.user_spec = parse_pv_spec(cfg.username_spec)
        if cfg.password_spec:
            state.passwd_spec = parse_pv_spec(cfg.password_spec)
    except PvError as exc:
        LM_ERR("invalid username_spec/password_spec: %s", exc)
        return -1
    LM_INFO("auth: nonce_expire=%d, nonce-count checking %s",
            cfg.nonce_expire, "on" if cfg.nonce_count else "off")
    return 0


def destroy():
    """Free the nc table (shutdown, or a new mod_init in the same process)."""
    table, state.nc_table = state.nc_table, None
    if table is not None:
        try:
            table.destroy()
        except (RuntimeError, ValueError):
            pass
