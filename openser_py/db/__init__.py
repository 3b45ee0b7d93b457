"""The database layer (OpenSER ``db/``): the DB API modules use
(:mod:`openser_py.db.api`), value types (:mod:`openser_py.db.types`), URL
parsing (:mod:`openser_py.db.url`), SQL building (:mod:`openser_py.db.sql`),
the per-process connection pool with reconnect
(:mod:`openser_py.db.backend`) and the table definitions
(:mod:`openser_py.db.schema`).  The drivers are the modules ``db_mysql``
(alias ``mysql``), ``db_postgres`` (alias ``postgres``) and ``db_sqlite``.
"""
