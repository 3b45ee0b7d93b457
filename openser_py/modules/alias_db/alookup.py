"""alias_db_lookup (OpenSER ``alias_db/alookup.c``) and the module's
parameters, start-up and DB connection.

``alias_db_lookup(table)``: the R-URI user (and host, with
``use_domain=1``, after stripping ``domain_prefix``) is looked up in the
alias columns of *table*; on a hit the R-URI becomes
``sip:<username>@<domain>`` of the owner (``sip:<username>`` when the
domain is empty or NULL) and the function returns 1, else -1.  The table's
version (1) is checked at start-up for each call site.
"""
from openser_py.core import dset
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.exports import FixupError
from openser_py.db import modconn
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri

DEFAULT_RODB_URL = "mysql://openserro:openserro@localhost/openser"
DBALIASES_TABLE_VERSION = 1


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``alias_db`` module (attribute = default)."""
    db_url = DEFAULT_RODB_URL
    user_column = "username"
    domain_column = "domain"
    alias_user_column = "alias_username"
    alias_domain_column = "alias_domain"
    use_domain = 0
    domain_prefix = None


class _State:
    dbf = None
    con = None
    checked = set()


state = _State()


def _db_api():
    from openser_py.db import api as db_api
    return db_api


def mod_init():
    """Bind the driver of ``db_url``."""
    destroy()
    if modconn.bind(state, cfg.db_url) < 0:
        return -1
    state.con = None
    state.checked = set()
    return 0


def connect():
    """(Re)open the process's connection; 0 / -1."""
    return modconn.connect(state, cfg.db_url)


def child_init(rank):
    """Open this worker's DB connection."""
    return modconn.child_init(state, rank, cfg.db_url)


def destroy():
    """Close the connection at shutdown."""
    modconn.close(state)


def fixup_table(value, param_no):
    """The table name; its version is checked once (master, start-up)."""
    if not value:
        raise FixupError("empty table name")
    if state.dbf is None or value in state.checked:
        return value
    err = modconn.version_error(state.dbf, cfg.db_url, value,
                                DBALIASES_TABLE_VERSION)
    if err:
        raise FixupError(err)
    state.checked.add(value)
    return value


def alias_db_lookup(msg, table):
    """``alias_db_lookup(table)``: 1 when the R-URI was replaced, else -1."""
    try:
        uri = parse_uri(dset.get_request_uri(msg))
    except SipParseError as exc:
        LM_ERR("failed to parse the R-URI: %s", exc.reason)
        return -1
    if not uri.user:
        LM_ERR("no user in R-URI")
        return -1
    host = uri.host
    prefix = cfg.domain_prefix
    if prefix and len(prefix) < len(host) and \
            host[:len(prefix)].lower() == prefix.lower():
        host = host[len(prefix):]
    keys = [cfg.alias_user_column, cfg.alias_domain_column]
    vals = [uri.user, host]
    n = 2 if cfg.use_domain else 1
    db_api = _db_api()
    if state.con is None and connect() < 0:
        return -1
    try:
        state.con.use_table(table)
        res = state.con.query(keys[:n], ["="] * n, vals[:n],
                              [cfg.user_column, cfg.domain_column])
    except db_api.DbError as exc:
        LM_ERR("failed to query database: %s", exc)
        return -1
    rows = list(res.rows)
    if not rows or rows[0][0] is None:
        LM_DBG("no alias found for R-URI")
        return -1
    user, domain = rows[0][0], rows[0][1]
    new_uri = "sip:%s" % user
    if domain:
        new_uri += "@%s" % domain
    LM_DBG("R-URI rewritten to %s", new_uri)
    dset.rewrite_uri(msg, new_uri)
    return 1
