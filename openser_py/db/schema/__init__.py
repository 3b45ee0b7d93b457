"""OpenSER 1.3's database schema, defined once in Python.

* :mod:`.tables` (+ :mod:`.presence`, :mod:`.extra`): the tables, their
  columns, keys and ``version`` rows, grouped as 1.3's ``openserdbctl``
  groups them (``standard``, ``presence``, ``extra``);
* :mod:`.ddl`: CREATE/DROP statements for MySQL, PostgreSQL and SQLite;
* :mod:`.docbook`: ``make dbschema-docbook`` (doc/database/).

Typical use (a test creating the location table on SQLite)::

    from openser_py.db import schema
    for sql in schema.create_statements("sqlite", tables=["version", "location"]):
        con.execute(sql)
"""
from .ddl import (DIALECTS, create_statements, create_table_statements,
                  dialect_name, drop_statements, literal, script,
                  version_insert)
from .model import NO_DEFAULT, Column, Key, Table
from .tables import GROUPS, VERSIONS, group_of, table, tables

__all__ = ["DIALECTS", "GROUPS", "VERSIONS", "Column", "Key", "NO_DEFAULT",
           "Table", "create_statements", "create_table_statements",
           "dialect_name", "drop_statements", "group_of", "literal",
           "script", "table", "tables", "version_insert"]
