"""The db_postgres module: PostgreSQL driver for the DB API (psycopg2).

A module whose ``db_url`` is ``postgres://user:password@host[:port]/database``
(or ``postgresql://``) uses this driver (the 1.3 name ``postgres`` loads the
same driver).  Every process opens its own connection after fork
(autocommit).  A lost connection (server restart, terminated backend) is
re-opened and the statement retried once; an unreachable server is logged
once with its cause and retried at most once per second.  ``replace`` and
``insert_update`` use ``INSERT ... ON CONFLICT`` on the table's primary or
unique key, looked up in the catalog.  See doc/dev/db-api.md.
"""
from openser_py.core.exports import ModuleExports
from openser_py.db.api import DbFunctions
from openser_py.modules.db_postgres.dbase import PostgresBackend

API = DbFunctions("db_postgres", PostgresBackend)

exports = ModuleExports(
    name="db_postgres",
    api=API,
)
