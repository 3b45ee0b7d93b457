"""Throw-away databases for the auth_db / uri_db / alias_db / domain tests.

:func:`make_db` yields a ``db_url`` with the 1.3 tables (and their
``version`` rows) created through the DB API from
``openser_py.db.schema``: a temporary SQLite file, or a uniquely named
database on the local MariaDB / PostgreSQL server (dropped afterwards), so
parallel runs never collide.  Server back-ends use
:func:`tests.conftest.require_service` (skip, or fail under ``CI=true``).
"""
import contextlib
import os
import uuid

from openser_py.db import api as db_api
from openser_py.db import schema
from tests.conftest import require_service

BACKENDS = ("sqlite", "mysql", "postgres")
MYSQL = ("127.0.0.1", 3306)
PGSQL = ("127.0.0.1", 5432)


def _mysql_admin():
    import pymysql
    return pymysql.connect(host=MYSQL[0], port=MYSQL[1], user="root",
                           password="", database="test", autocommit=True,
                           connect_timeout=5)


def _pg_admin():
    import psycopg2
    con = psycopg2.connect(host=PGSQL[0], port=PGSQL[1], user="postgres",
                           dbname="test", connect_timeout=5)
    con.autocommit = True
    return con


@contextlib.contextmanager
def server_db(backend, tmp_path):
    """An empty database of *backend*; yields its URL."""
    if backend == "sqlite":
        yield "sqlite://" + os.path.join(str(tmp_path), "openser.db")
        return
    name = "t_authmods_%s" % uuid.uuid4().hex[:12]
    if backend == "mysql":
        require_service(MYSQL[0], MYSQL[1], "MariaDB")
        admin = _mysql_admin()
        with admin.cursor() as cur:
            cur.execute("CREATE DATABASE %s" % name)
        try:
            yield "mysql://root@%s:%d/%s" % (MYSQL[0], MYSQL[1], name)
        finally:
            with admin.cursor() as cur:
                cur.execute("DROP DATABASE IF EXISTS %s" % name)
            admin.close()
        return
    require_service(PGSQL[0], PGSQL[1], "PostgreSQL")
    admin = _pg_admin()
    with admin.cursor() as cur:
        cur.execute("CREATE DATABASE %s" % name)
    try:
        yield "postgres://postgres@%s:%d/%s" % (PGSQL[0], PGSQL[1], name)
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        admin.close()


def create_tables(url, tables):
    """Create ``version`` + *tables* (1.3 DDL, version rows included)."""
    dbf = db_api.bind_dbmod(url)
    con = dbf.init(url)
    try:
        dialect = url.split(":", 1)[0]
        for sql in schema.create_statements(dialect,
                                            tables=["version"] + list(tables)):
            con.raw_query(sql)
    finally:
        con.close()


def insert_rows(url, table, keys, rows):
    """INSERT each row of *rows* (tuples of values for *keys*)."""
    dbf = db_api.bind_dbmod(url)
    con = dbf.init(url)
    try:
        con.use_table(table)
        for row in rows:
            con.insert(list(keys), list(row))
    finally:
        con.close()


def run_sql(url, sql, params=()):
    """Run one statement through the DB API; returns the DbResult."""
    dbf = db_api.bind_dbmod(url)
    con = dbf.init(url)
    try:
        return con.raw_query(sql, params)
    finally:
        con.close()


@contextlib.contextmanager
def make_db(backend, tmp_path, tables):
    """A database of *backend* with *tables* created; yields its URL."""
    with server_db(backend, tmp_path) as url:
        create_tables(url, tables)
        yield url


def load_db_script(modules, modparams, route, scripts=None):
    """Load a config with sl + *modules* and run child_init(1) (opens the
    DB connections); *modparams* is a list of (module, name, value-text).
    The script is appended to *scripts* (for :func:`unload`)."""
    from openser_py.core.scriptrun import load_script
    text = 'listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\n'
    text += "".join('loadmodule "%s.so"\n' % m for m in modules)
    text += "".join('modparam("%s", "%s", %s)\n' % p for p in modparams)
    text += "route {\n%s\n}\n" % route
    script = load_script(text)
    if scripts is not None:
        scripts.append(script)
    script.registry.init_child(1)
    return script


@contextlib.contextmanager
def module_env():
    """Reset the core state around a test; yields the list of scripts to
    shut down (destroy_modules) afterwards."""
    from openser_py.core import statistics
    from openser_py.core.script_state import state
    from openser_py.core.usr_avp import reset_avps
    from openser_py.modules.sl import sl_funcs
    statistics.reset_registry()
    state.reset()
    reset_avps()
    scripts = []
    try:
        yield scripts
    finally:
        for s in scripts:
            s.registry.destroy_modules()
        sl_funcs.sl_shutdown()
        statistics.reset_registry()
        state.reset()
        reset_avps()
