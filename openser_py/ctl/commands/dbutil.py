"""Database access for ``openserctl``: the URL from openserctlrc and one
connection per run through :mod:`openser_py.db.api`.

Every value goes to the database as a statement parameter (the DB API never
builds SQL from values), so user names with quotes or SQL metacharacters are
stored literally.
"""
import os
from urllib.parse import quote

from openser_py.ctl.commands.base import CtlError, Unreachable, UsageError
from openser_py.db import api as db_api
from openser_py.db.url import mask_url

_ENGINES = {"MYSQL": "mysql", "MARIADB": "mysql", "PGSQL": "postgres",
            "POSTGRES": "postgres", "POSTGRESQL": "postgres",
            "SQLITE": "sqlite"}
_HINT_CREATE = "create the tables with: openserdbctl create"


def db_url(ctx):
    """The DB URL of the run: DB_URL, else built from DBENGINE & co."""
    url = ctx.get("DB_URL")
    if url:
        return url
    raw = ctx.get("DBENGINE")
    if not raw:
        raise UsageError("no database configured",
                         hint="set DBENGINE (MYSQL, PGSQL, SQLITE) or DB_URL "
                              "in openserctlrc")
    scheme = _ENGINES.get(raw.strip().upper())
    if not scheme:
        raise UsageError("DBENGINE %s is not supported by openserctl" % raw,
                         hint="use MYSQL, PGSQL or SQLITE (or DB_URL)")
    if scheme == "sqlite":
        path = ctx.get("DB_PATH") or ctx.get("DBNAME")
        return "sqlite://" + os.path.abspath(path)
    port = ctx.get("DBPORT") or ("5432" if scheme == "postgres" else "3306")
    user = quote(ctx.get("DBRWUSER"), safe="")
    pw = ctx.get("DBRWPW")
    cred = user + (":" + quote(pw, safe="") if pw else "")
    host = ctx.get("DBHOST")
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    return "%s://%s@%s:%s/%s" % (scheme, cred, host, port, ctx.get("DBNAME"))


def connect(ctx):
    """The run's connection (opened on first use)."""
    if ctx._db is not None:
        return ctx._db
    url = db_url(ctx)
    try:
        parsed = db_api.parse_url(url)
    except db_api.DbError as exc:
        raise UsageError(str(exc)) from None
    if parsed.path is not None and not os.path.exists(parsed.path):
        raise Unreachable("the SQLite database %s does not exist" % parsed.path,
                          hint="check DB_PATH in openserctlrc; "
                               + _HINT_CREATE)
    try:
        dbf = db_api.bind_dbmod(url)
        ctx._db = dbf.init(url)
    except db_api.DbConnectionError as exc:
        raise Unreachable("cannot connect to the database %s: %s"
                          % (mask_url(url), exc),
                          hint="check DBHOST/DBPORT/DBNAME/DBRWUSER/DBRWPW "
                               "(or DB_URL) in openserctlrc") from None
    except db_api.DbError as exc:
        raise CtlError("cannot open the database %s: %s"
                       % (mask_url(url), exc)) from None
    return ctx._db


def _fail(exc, table):
    text = str(exc)
    low = text.lower()
    hint = None
    if "no such table" in low or "doesn't exist" in low or \
            "does not exist" in low or "undefined" in low:
        hint = "table %s is missing; %s" % (table, _HINT_CREATE)
    if isinstance(exc, db_api.DbConnectionError):
        return Unreachable("database unreachable: %s" % text,
                           hint="check DBHOST/DBPORT in openserctlrc")
    return CtlError("database error on table %s: %s" % (table, text),
                    hint=hint)


def query(ctx, table, keys=(), vals=(), cols=None, order=None, ops=None):
    """``SELECT cols FROM table WHERE keys=vals`` -> (col_names, rows)."""
    con = connect(ctx)
    try:
        con.use_table(table)
        res = con.query(list(keys) or None, ops, list(vals) or None, cols,
                        order=order)
    except db_api.DbError as exc:
        raise _fail(exc, table) from None
    return list(res.col_names), [tuple(r) for r in res.rows]


def insert(ctx, table, keys, vals):
    con = connect(ctx)
    try:
        con.use_table(table)
        return con.insert(list(keys), list(vals))
    except db_api.DbError as exc:
        raise _fail(exc, table) from None


def update(ctx, table, keys, vals, ukeys, uvals):
    con = connect(ctx)
    try:
        con.use_table(table)
        return con.update(list(keys), None, list(vals), list(ukeys),
                          list(uvals))
    except db_api.DbError as exc:
        raise _fail(exc, table) from None


def delete(ctx, table, keys, vals, ops=None):
    con = connect(ctx)
    try:
        con.use_table(table)
        return con.delete(list(keys), ops, list(vals))
    except db_api.DbError as exc:
        raise _fail(exc, table) from None


def exists(ctx, table, keys, vals):
    """True when a row matches."""
    _, rows = query(ctx, table, keys, vals, [keys[0]])
    return bool(rows)


def table_version(ctx, table):
    """``version.table_version`` of *table* (0 without a row)."""
    con = connect(ctx)
    try:
        con.use_table("version")
        res = con.query(["table_name"], None, [table], ["table_version"])
    except db_api.DbError as exc:
        raise _fail(exc, "version") from None
    return int(res.rows[0][0]) if res.rows else 0
