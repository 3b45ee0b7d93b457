"""uri_db parameters, start-up and DB connection (OpenSER ``uri_db.c``).

``mod_init`` (master) binds the driver of ``db_url`` and checks the
version of the table it will use (``uri`` = 1 with ``use_uri_table=1``,
``subscriber`` = 6 otherwise) over a short-lived connection;
``child_init`` opens each worker's own connection.

Parameter names follow reference §4.9 (``uri_table``,
``uri_user_column`` ...); the later 1.3 spellings ``db_table``,
``user_column``, ``domain_column`` and ``uriuser_column`` are accepted as
aliases of the ``uri_*`` ones.
"""
from openser_py.core.dprint import LM_ERR
from openser_py.db import modconn

DEFAULT_RODB_URL = "mysql://openserro:openserro@localhost/openser"
URI_TABLE_VERSION = 1
SUBSCRIBER_TABLE_VERSION = 6


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``uri_db`` module (attribute = default)."""
    db_url = DEFAULT_RODB_URL
    uri_table = "uri"
    uri_user_column = "username"
    uri_domain_column = "domain"
    uri_uriuser_column = "uri_user"
    subscriber_table = "subscriber"
    subscriber_user_column = "username"
    subscriber_domain_column = "domain"
    use_uri_table = 0
    use_domain = 0


class _State:
    dbf = None
    con = None


state = _State()


def _alias(target):
    def setter(_type, value):
        if not isinstance(value, str) or not value:
            LM_ERR("%s must be a non-empty string", target)
            return -1
        setattr(cfg, target, value)
        return 0
    setter.__doc__ = "Alias of ``%s``." % target
    return setter


set_db_table = _alias("uri_table")
set_user_column = _alias("uri_user_column")
set_domain_column = _alias("uri_domain_column")
set_uriuser_column = _alias("uri_uriuser_column")


def _db_api():
    from openser_py.db import api as db_api
    return db_api


def mod_init():
    """Bind the DB driver and check the table version."""
    destroy()
    if modconn.bind(state, cfg.db_url) < 0:
        return -1
    state.con = None
    if cfg.use_uri_table:
        table, want = cfg.uri_table, URI_TABLE_VERSION
    else:
        table, want = cfg.subscriber_table, SUBSCRIBER_TABLE_VERSION
    err = modconn.version_error(state.dbf, cfg.db_url, table, want)
    if err:
        LM_ERR("%s", err)
        return -1
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
