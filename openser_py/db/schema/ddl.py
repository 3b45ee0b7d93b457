"""CREATE/DROP statements for MySQL, PostgreSQL and SQLite.

MySQL follows 1.3's ``scripts/mysql/*-create.sql``: keys inside the CREATE
TABLE, ``ENGINE=MyISAM``.  PostgreSQL follows reference section 8.3:
``SERIAL PRIMARY KEY``, ``INTEGER``/``SMALLINT`` without width or UNSIGNED,
``REAL`` for floats, ``TIMESTAMP WITHOUT TIME ZONE`` for DATETIME, ``BYTEA``
for BLOB, unique keys as ``CONSTRAINT <table>_<key> UNIQUE (...)`` and the
other indexes created separately as ``<table>_<key>``.  SQLite uses the
PostgreSQL layout with ``INTEGER PRIMARY KEY AUTOINCREMENT``.

Statements are returned without the trailing ``;`` (ready for a DB-API
cursor); :func:`script` joins them into a printable SQL script.
"""
import datetime

from .model import (BLOB, DATETIME, FLOAT, INT, SMALLINT, STRING, TEXT,
                    TINYINT, check_ident)
from .tables import tables as _group_tables

DIALECTS = ("mysql", "postgres", "sqlite")
_ALIASES = {"mysql": "mysql", "mariadb": "mysql", "postgres": "postgres",
            "postgresql": "postgres", "pgsql": "postgres", "sqlite": "sqlite",
            "sqlite3": "sqlite"}

#: MySQL table options; latin1 keeps 1.3's MyISAM keys under 1000 bytes
MYSQL_ENGINE = "MyISAM"
MYSQL_CHARSET = "latin1"


def dialect_name(dialect):
    """Canonical dialect (``mysql``/``postgres``/``sqlite``) of an alias."""
    try:
        return _ALIASES[dialect.lower()]
    except (KeyError, AttributeError):
        raise ValueError("unknown SQL dialect %r (mysql, postgres, sqlite)"
                         % (dialect,)) from None


def literal(value):
    """Portable SQL literal of a Python value (NULL, number, 'string',
    X'hex' for bytes, 'YYYY-MM-DD HH:MM:SS' for datetimes)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "X'%s'" % bytes(value).hex().upper()
    if isinstance(value, datetime.datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, (datetime.date, datetime.time)):
        value = value.isoformat()
    elif hasattr(value, "as_tuple"):          # decimal.Decimal
        return str(value)
    return "'%s'" % str(value).replace("'", "''")


def _type(dialect, col):
    t, size = col.type, col.size
    if dialect == "mysql":
        base = {INT: "INT", SMALLINT: "SMALLINT", TINYINT: "TINYINT",
                FLOAT: "FLOAT", STRING: "VARCHAR", TEXT: "TEXT",
                BLOB: "BLOB", DATETIME: "DATETIME"}[t]
        if size is not None:
            base += "(%s)" % size
        if col.unsigned:
            base += " UNSIGNED"
        return base
    if t == STRING:
        return "VARCHAR(%d)" % size
    if dialect == "postgres":
        return {INT: "INTEGER", SMALLINT: "SMALLINT", TINYINT: "SMALLINT",
                FLOAT: "REAL", TEXT: "TEXT", BLOB: "BYTEA",
                DATETIME: "TIMESTAMP WITHOUT TIME ZONE"}[t]
    return {INT: "INTEGER", SMALLINT: "SMALLINT", TINYINT: "SMALLINT",
            FLOAT: "REAL", TEXT: "TEXT", BLOB: "BLOB",
            DATETIME: "TIMESTAMP"}[t]


def _default(col):
    value = col.default
    if value is None:
        return "NULL"
    if col.type in (STRING, TEXT, DATETIME, BLOB):
        return literal(str(value))
    return literal(value)


def column_sql(dialect, col):
    """Column definition of *col* inside CREATE TABLE."""
    dialect = dialect_name(dialect)
    if col.autoinc:
        if dialect == "postgres":
            return "%s SERIAL PRIMARY KEY NOT NULL" % col.name
        if dialect == "sqlite":
            return "%s INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL" % col.name
        return "%s %s AUTO_INCREMENT PRIMARY KEY NOT NULL" % (
            col.name, _type(dialect, col))
    parts = [col.name, _type(dialect, col)]
    if col.primary:
        parts.append("PRIMARY KEY")
    if not col.null:
        parts.append("NOT NULL")
    if col.has_default:
        parts.append("DEFAULT " + _default(col))
    return " ".join(parts)


def create_table_statements(dialect, table, engine=None, charset=None):
    """CREATE TABLE (and CREATE INDEX) statements of one :class:`Table`."""
    dialect = dialect_name(dialect)
    lines = ["    " + column_sql(dialect, c) for c in table.columns]
    after = []
    for key in table.keys:
        cols = ", ".join(key.columns)
        if dialect == "mysql":
            lines.append("    %sKEY %s (%s)" % ("UNIQUE " if key.unique else "",
                                               key.name, cols))
        elif key.unique:
            lines.append("    CONSTRAINT %s_%s UNIQUE (%s)"
                         % (table.name, key.name, cols))
        else:
            after.append("CREATE INDEX %s_%s ON %s (%s)"
                         % (table.name, key.name, table.name, cols))
    sql = "CREATE TABLE %s (\n%s\n)" % (table.name, ",\n".join(lines))
    if dialect == "mysql":
        sql += " ENGINE=%s" % check_ident(engine or MYSQL_ENGINE)
        charset = MYSQL_CHARSET if charset is None else charset
        if charset:
            sql += " DEFAULT CHARSET=%s" % check_ident(charset)
    return [sql] + after


def version_insert(table):
    """``INSERT INTO version`` statement of *table* (same in every dialect)."""
    return ("INSERT INTO version (table_name, table_version) VALUES (%s, %d)"
            % (literal(table.name), table.version))


def _select(group, tables):
    if tables is None:
        return _group_tables(group)
    from .tables import table as _table
    return [t if hasattr(t, "columns") else _table(t) for t in tables]


def create_statements(dialect, group="standard", tables=None,
                      with_version=True, engine=None, charset=None):
    """All statements creating *group*'s tables (or the given *tables*,
    names or :class:`Table` objects) and inserting their ``version`` rows."""
    out = []
    for tab in _select(group, tables):
        out.extend(create_table_statements(dialect, tab, engine, charset))
        if with_version and tab.name != "version":
            out.append(version_insert(tab))
    return out


def drop_statements(dialect, group="standard", tables=None):
    """``DROP TABLE IF EXISTS`` for each table (reverse order) and the
    ``DELETE FROM version`` of their rows, unless ``version`` itself goes."""
    dialect_name(dialect)
    tabs = _select(group, tables)
    names = [t.name for t in tabs]
    out = ["DROP TABLE IF EXISTS %s" % n for n in reversed(names)]
    if "version" not in names:
        if names:
            out.append("DELETE FROM version WHERE table_name IN (%s)"
                       % ", ".join(literal(n) for n in names))
    return out


def postgres_functions():
    """The MySQL-compatibility SQL functions 1.3's openserdbctl creates."""
    return [
        "CREATE OR REPLACE FUNCTION concat (text,text) RETURNS text AS "
        "'SELECT $1 || $2;' LANGUAGE 'sql'",
        "CREATE OR REPLACE FUNCTION rand() RETURNS double precision AS "
        "'SELECT random();' LANGUAGE 'sql'",
    ]


def script(statements):
    """Printable SQL script: one statement per paragraph, ``;``-terminated."""
    return "".join(s + ";\n\n" if "\n" in s else s + ";\n"
                   for s in statements)
