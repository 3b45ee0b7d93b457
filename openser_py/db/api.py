"""The module-level DB API (OpenSER db/db.c, db_func_t; reference §8.5).

A module binds the driver named by its ``db_url`` scheme and opens its
connection in ``child_init`` (never before fork)::

    from openser_py.db import api as db_api

    dbf = db_api.bind_dbmod(cfg.db_url)           # mod_init: check the url
    con = dbf.init(cfg.db_url)                    # child_init
    con.use_table("location")
    res = con.query(["username"], None, ["alice"], ["contact", "expires"],
                    order="expires")
    for contact, expires in res: ...

See doc/dev/db-api.md for the reconnect behaviour and the URL forms.
"""
import importlib
import os

from openser_py import buildcfg
from openser_py.core.dprint import L_DBG, L_ERR
from openser_py.db import backend as _backend
from openser_py.db.backend import db_log
from openser_py.db.types import (  # noqa: F401 - re-exported API
    DB_BITMAP, DB_BLOB, DB_DATETIME, DB_DOUBLE, DB_INT, DB_STR, DB_STRING,
    DB_CAP_ALL, DB_CAP_DELETE, DB_CAP_FETCH, DB_CAP_INSERT,
    DB_CAP_INSERT_UPDATE, DB_CAP_LAST_INSERTED_ID, DB_CAP_QUERY,
    DB_CAP_RAW_QUERY, DB_CAP_REPLACE, DB_CAP_UPDATE, OP_EQ, OP_GEQ, OP_GT,
    OP_LEQ, OP_LT, OP_NEQ, DbConnectionError, DbError, DbResult, check_ident,
    type_of)
from openser_py.db.url import DbUrl, mask_url, parse_url  # noqa: F401

# URL scheme -> driver module (openser_py/modules/<name>)
DRIVERS = {
    "mysql": "db_mysql",
    "postgres": "db_postgres",
    "postgresql": "db_postgres",
    "sqlite": "db_sqlite",
}

_DDL_WORDS = ("create", "alter", "drop", "rename", "truncate")


class DbConnection:
    """One module's handle on the process's connection for a URL
    (OpenSER ``db_con_t``): it has its own current table and shares the
    physical connection (see :mod:`openser_py.db.backend`)."""

    def __init__(self, dbf, url, lazy=False):
        self.dbf = dbf
        self.url = url
        self.table = None
        self._backend = _backend.acquire(dbf.backend_cls, url)
        if not lazy:
            try:
                with self._backend.lock:
                    self._backend.connect()
            except DbError:
                self.close()
                raise

    def __repr__(self):
        return "<DbConnection %s table=%s>" % (self.url, self.table)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _b(self):
        b = self._backend
        if b is None:
            raise DbError("%s: connection is closed" % self.dbf.name)
        if b.pid != os.getpid():
            # used after fork: never touch the parent's socket, open our own
            db_log(L_DBG, self.dbf.name, "db_con", "pid %d uses a connection "
                   "opened by pid %d: opening a new one", os.getpid(), b.pid)
            b = self._backend = _backend.acquire(self.dbf.backend_cls,
                                                 self.url)
        return b

    def _t(self):
        if self._backend is None:
            raise DbError("%s: connection is closed" % self.dbf.name)
        if self.table is None:
            raise DbError("%s: no table selected (use_table)" % self.dbf.name)
        return self.table

    @property
    def dialect(self):
        """The :class:`~openser_py.db.sql.Dialect` of this driver."""
        return self.dbf.backend_cls.dialect

    def use_table(self, table):
        """Select the table the next statements work on."""
        self.table = check_ident(table, "table")
        return 0

    def query(self, keys=None, ops=None, vals=None, cols=None, order=None,
              limit=None):
        """SELECT *cols* (None = all) WHERE keys ops vals ORDER BY *order*
        (a column, ``"col DESC"`` or a list); return a DbResult."""
        sql, params = self.dialect.select(self._t(), cols, keys, ops, vals,
                                          order, limit)
        return self._b().execute(sql, params)

    def insert(self, keys, vals):
        """INSERT one row; return the affected row count."""
        sql, params = self.dialect.insert(self._t(), keys, vals)
        return self._b().execute(sql, params).affected

    def update(self, keys, ops, vals, ukeys, uvals):
        """UPDATE SET ukeys = uvals WHERE keys ops vals; return the number
        of matched rows."""
        sql, params = self.dialect.update(self._t(), keys, ops, vals, ukeys,
                                          uvals)
        return self._b().execute(sql, params).affected

    def delete(self, keys=None, ops=None, vals=None):
        """DELETE the matching rows (no keys: all rows); return the count."""
        sql, params = self.dialect.delete(self._t(), keys, ops, vals)
        return self._b().execute(sql, params).affected

    def replace(self, keys, vals):
        """Insert a row, replacing rows that have the same primary/unique
        key (MySQL ``REPLACE``)."""
        return self._b().replace(self._t(), list(keys), list(vals))

    def insert_update(self, keys, vals):
        """Insert a row; if it collides with a unique key, update that row
        with the given values (MySQL ``ON DUPLICATE KEY UPDATE``)."""
        return self._b().insert_update(self._t(), list(keys), list(vals))

    def raw_query(self, sql, params=()):
        """Run an SQL statement with ``?`` placeholders; return a DbResult
        (rows for a SELECT, else ``affected`` set)."""
        b = self._b()
        if params:
            sql = b.raw_sql(sql)
        if sql.lstrip()[:8].lower().startswith(_DDL_WORDS):
            b.key_cache.clear()
        return b.execute(sql, tuple(params or ()))

    def last_inserted_id(self):
        """The auto-increment id of the last inserted row (0 if none)."""
        return self._b().last_inserted_id()

    def close(self):
        """Release the handle (the connection closes with the last one)."""
        b, self._backend = self._backend, None
        if b is not None and b.pid == os.getpid():
            _backend.release(b)


class DbFunctions:
    """A driver's function table (OpenSER ``db_func_t``), the ``api`` of a
    db_* module.  The connection methods are also available C-style, e.g.
    ``dbf.query(con, keys, ops, vals, cols, order)``."""

    def __init__(self, name, backend_cls, cap=DB_CAP_ALL - {DB_CAP_FETCH}):
        self.name = name
        self.backend_cls = backend_cls
        self.cap = frozenset(cap)

    def __repr__(self):
        return "<DbFunctions %s>" % self.name

    def init(self, url, lazy=False):
        """Open a connection handle for *url* (call in child_init).

        Connects at once unless *lazy*; raises DbConnectionError when the
        server cannot be reached, DbError for a bad URL.
        """
        url = parse_url(url)
        if DRIVERS.get(url.scheme) != self.name:
            raise DbError("db_url %s is not for driver %s"
                          % (url, self.name))
        return DbConnection(self, url, lazy=lazy)

    def has_cap(self, cap):
        """``DB_CAPABILITY(dbf, cap)``."""
        return cap in self.cap

    # C-style wrappers
    def use_table(self, con, table):
        return con.use_table(table)

    def query(self, con, keys=None, ops=None, vals=None, cols=None,
              order=None, limit=None):
        return con.query(keys, ops, vals, cols, order, limit)

    def insert(self, con, keys, vals):
        return con.insert(keys, vals)

    def update(self, con, keys, ops, vals, ukeys, uvals):
        return con.update(keys, ops, vals, ukeys, uvals)

    def delete(self, con, keys=None, ops=None, vals=None):
        return con.delete(keys, ops, vals)

    def replace(self, con, keys, vals):
        return con.replace(keys, vals)

    def insert_update(self, con, keys, vals):
        return con.insert_update(keys, vals)

    def raw_query(self, con, sql, params=()):
        return con.raw_query(sql, params)

    def last_inserted_id(self, con):
        return con.last_inserted_id()

    def close(self, con):
        return con.close()


def bind_dbmod(url):
    """Return the DbFunctions of the driver for *url*'s scheme.

    ``mysql://`` -> db_mysql, ``postgres://`` / ``postgresql://`` ->
    db_postgres, ``sqlite://`` -> db_sqlite.  Raises DbError for a bad URL
    or an unknown scheme (the message shows the URL with the password
    masked).
    """
    url = parse_url(url)
    driver = DRIVERS.get(url.scheme)
    if driver is None:
        raise DbError("unsupported database scheme %r in db_url %s "
                      "(known: %s)" % (url.scheme, url,
                                       ", ".join(sorted(DRIVERS))))
    if not buildcfg.module_allowed(driver):
        raise DbError("driver %s for db_url %s is excluded from this build"
                      % (driver, url))
    try:
        mod = importlib.import_module("openser_py.modules." + driver)
    except ImportError as exc:
        raise DbError("cannot load driver %s for db_url %s: %s"
                      % (driver, url, exc)) from exc
    return mod.exports.api


def table_version(dbf, con, table):
    """The version of *table* from the ``version`` table (0 if no row,
    -1 if there are several).  The connection's current table is kept."""
    check_ident(table, "table")
    saved = con.table
    con.use_table("version")
    try:
        res = con.query(["table_name"], None, [table], ["table_version"])
    finally:
        con.table = saved
    if len(res) == 0:
        return 0
    if len(res) != 1:
        db_log(L_ERR, dbf.name, "table_version", "invalid number of rows "
               "received: %d, %s", len(res), table)
        return -1
    value = res.rows[0][0]
    return int(value) if value is not None else 0


def check_table_version(dbf, con, table, version):
    """True if *table* has *version*; logs the mismatch (as modules do at
    start-up) otherwise."""
    found = table_version(dbf, con, table)
    if found != version:
        db_log(L_ERR, dbf.name, "check_table_version", "invalid table "
               "version for %s (found %d, require %d; use openserdbctl "
               "reinit)", table, found, version)
        return False
    return True
