"""www_authorize / proxy_authorize against a subscriber table
(OpenSER ``auth_db/authorize.c``; flow in reference §7.3).

The credentials row is selected with
``user_column = <digest username user part>`` and, with ``use_domain=1``,
``domain_column = <digest username domain part, else the realm>``.  The
password column read is ``password_column_2`` (ha1b) when the digest
username holds ``@domain`` and ``calculate_ha1=0``, else
``password_column``; with ``calculate_ha1=1`` it holds the clear-text
password and HA1 = MD5(username:realm:password).  Values are always query
parameters, so a username like ``x' OR '1'='1`` only ever matches a row
with exactly that username.

After a successful authorization the ``load_credentials`` columns of the
row become AVPs (NULL columns are skipped; integers stay integers).
"""
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.exports import FixupError
from openser_py.core.pvar import PvError, parse_pv_format
from openser_py.core.usr_avp import add_avp
from openser_py.modules.auth_db import authdb_mod
from openser_py.modules.auth_db.authdb_mod import cfg, state

# auth_result_t (auth/api.h)
ERROR = 0
USER_UNKNOWN = -1
INVALID_PASSWORD = -2
DO_AUTHORIZATION = 2


def get_ha1(digest, realm, table):
    """``(rc, ha1, row_values)``: rc 0 found, 1 unknown user, -1 DB error."""
    db_api = authdb_mod._db_api()
    if state.con is None and authdb_mod.connect() < 0:
        return -1, None, None
    use_ha1b = bool(digest.domain) and not cfg.calculate_ha1
    pass_col = cfg.password_column_2 if use_ha1b else cfg.password_column
    keys = [cfg.user_column]
    vals = [digest.user]
    if cfg.use_domain:
        keys.append(cfg.domain_column)
        vals.append(digest.domain if digest.domain else realm)
    cols = [pass_col] + [c for _n, _f, c in state.credentials]
    try:
        state.con.use_table(table)
        res = state.con.query(keys, ["="] * len(keys), vals, cols)
    except db_api.DbError as exc:
        LM_ERR("failed to query database: %s", exc)
        return -1, None, None
    rows = list(res.rows)
    if not rows:
        LM_DBG("no result for user '%s@%s'", digest.user,
               vals[1] if len(vals) > 1 else realm)
        return 1, None, None
    row = rows[0]
    stored = row[0]
    if stored is None:
        stored = ""
    if isinstance(stored, bytes):
        stored = stored.decode("latin-1")
    stored = str(stored)
    if cfg.calculate_ha1:
        ha1 = state.auth_api.calc_ha1(digest.username, realm, stored, digest)
    else:
        ha1 = stored
    return 0, ha1, row[1:]


def generate_avps(values):
    """Store the ``load_credentials`` columns as AVPs."""
    for (name, flags, _col), value in zip(state.credentials, values):
        if value is None:
            continue
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        elif not isinstance(value, (int, str)) or isinstance(value, bool):
            value = str(value)
        add_avp(name, value, flags)
        LM_DBG("set AVP %r = %r", name, value)


def authorize(msg, realm, table, hftype):
    """The whole flow (reference §7.3); returns the auth_result_t code."""
    api = state.auth_api
    rc, cred = api.pre_auth(msg, realm, hftype)
    if rc != DO_AUTHORIZATION:
        return rc
    digest = cred.digest
    rc, ha1, values = get_ha1(digest, digest.realm, table)
    if rc < 0:
        if api.send_resp(msg, 500, "Server Internal Error") == -1:
            LM_ERR("failed to send 500 reply")
        return ERROR
    if rc > 0:
        return USER_UNKNOWN
    if not api.check_response(digest, msg.method, ha1, msg.body):
        return INVALID_PASSWORD
    rc = api.post_auth(msg, cred)
    if rc == api.AUTHORIZED:
        generate_avps(values)
    return rc


# -- script interface ---------------------------------------------------------

def fixup_authorize(value, param_no):
    """realm: format with PVs; table: a name whose version is checked."""
    if param_no == 1:
        try:
            return parse_pv_format(value or "")
        except PvError as exc:
            raise FixupError("bad realm %r: %s" % (value, exc)) from None
    if not value:
        raise FixupError("empty table name")
    if not authdb_mod.check_table_version(value):
        raise FixupError("table %s: missing or wrong version (need %d)"
                         % (value, authdb_mod.SUBSCRIBER_TABLE_VERSION))
    return value


def w_www_authorize(msg, realm, table):
    """``www_authorize(realm, table)``."""
    return authorize(msg, realm.format(msg), table,
                     state.auth_api.HDR_AUTHORIZATION)


def w_proxy_authorize(msg, realm, table):
    """``proxy_authorize(realm, table)``."""
    return authorize(msg, realm.format(msg), table,
                     state.auth_api.HDR_PROXYAUTH)
