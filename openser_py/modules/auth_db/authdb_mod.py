"""auth_db parameters, start-up and the per-process DB connection
(OpenSER ``auth_db/authdb_mod.c``).

* ``mod_init`` (master): binds the auth API and the DB driver of
  ``db_url``, parses ``load_credentials``;
* each ``www_authorize``/``proxy_authorize`` call site checks, at start-up,
  that its table has version 6 in the ``version`` table (a connection is
  opened and closed again in the master);
* ``child_init`` (every worker) opens the worker's own connection --
  connections are never shared across fork.
"""
import re

from openser_py.core.dprint import LM_ERR
from openser_py.core.usr_avp import AvpError, parse_avp_spec
from openser_py.db import modconn
from openser_py.sr_module import load_module_api

DEFAULT_RODB_URL = "mysql://openserro:openserro@localhost/openser"
SUBSCRIBER_TABLE_VERSION = 6


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``auth_db`` module (attribute = default)."""
    db_url = DEFAULT_RODB_URL
    user_column = "username"
    domain_column = "domain"
    password_column = "ha1"
    password_column_2 = "ha1b"
    calculate_ha1 = 0
    use_domain = 0
    load_credentials = "rpid"


class _State:
    auth_api = None
    dbf = None
    con = None
    credentials = ()        # ((avp_name, avp_flags, column), ...)
    checked_tables = set()


state = _State()

_AVP_PV = re.compile(r"^\$avp\((.+)\)$", re.S)


def parse_credentials_list(text):
    """``"$avp(i:13)=rpid;email_address"`` -> ((name, flags, column), ...).

    An element without ``=`` loads the column into ``$avp(s:<column>)``.
    Raises ValueError.
    """
    out = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        spec, eq, column = part.rpartition("=")
        column = column.strip()
        if not column:
            raise ValueError("empty column in %r" % part)
        if eq:
            m = _AVP_PV.match(spec.strip())
            try:
                name, flags = parse_avp_spec(m.group(1) if m else spec.strip())
            except AvpError as exc:
                raise ValueError(str(exc)) from None
        else:
            name, flags = column, 0
        out.append((name, flags, column))
    return tuple(out)


def _db_api():
    from openser_py.db import api as db_api
    return db_api


def mod_init():
    """Bind auth and the DB driver; parse ``load_credentials``."""
    destroy()
    state.auth_api = load_module_api("auth")
    if state.auth_api is None:
        LM_ERR("auth module not loaded (load auth before auth_db)")
        return -1
    if modconn.bind(state, cfg.db_url) < 0:
        return -1
    try:
        state.credentials = parse_credentials_list(cfg.load_credentials)
    except ValueError as exc:
        LM_ERR("bad load_credentials %r: %s", cfg.load_credentials, exc)
        return -1
    state.con = None
    state.checked_tables = set()
    return 0


def check_table_version(table):
    """Start-up check of one table's version (opens a short connection)."""
    if table in state.checked_tables or state.dbf is None:
        return True
    err = modconn.version_error(state.dbf, cfg.db_url, table,
                                SUBSCRIBER_TABLE_VERSION)
    if err:
        LM_ERR("%s (use openserdbctl reinit)", err)
        return False
    state.checked_tables.add(table)
    return True


def child_init(rank):
    """Open this worker's DB connection."""
    return modconn.child_init(state, rank, cfg.db_url)


def connect():
    """(Re)open the process's connection; 0 / -1."""
    return modconn.connect(state, cfg.db_url)


def destroy():
    """Close the connection at shutdown."""
    modconn.close(state)
