"""The db_mysql module: MySQL/MariaDB driver for the DB API (PyMySQL).

A module whose ``db_url`` is ``mysql://user:password@host[:port]/database``
uses this driver (the 1.3 name ``mysql`` loads the same driver).  Every
process opens its own connection after fork (utf8mb4, autocommit).  A lost
connection (server restart, killed connection) is re-opened and the
statement retried once; an unreachable server is logged once with its cause
and retried at most once per second.  ``replace`` is ``REPLACE INTO`` and
``insert_update`` is ``INSERT ... ON DUPLICATE KEY UPDATE``.  See
doc/dev/db-api.md.
"""
from openser_py.core.exports import INT_PARAM, ModuleExports, ParamExport
from openser_py.db.api import DbFunctions
from openser_py.modules.db_mysql.dbase import MysqlBackend, cfg

API = DbFunctions("db_mysql", MysqlBackend)

PARAMS = (
    ParamExport("ping_interval", INT_PARAM, cfg,
                doc="Seconds of inactivity after which the connection is "
                "pinged before it is used again; a dead connection is then "
                "re-opened before the statement is sent. 0 disables the "
                "ping."),
    ParamExport("auto_reconnect", INT_PARAM, cfg,
                doc="1: a statement that finds the connection lost re-opens "
                "it and is retried once. 0: the statement fails (the next "
                "one re-opens the connection)."),
)

exports = ModuleExports(
    name="db_mysql",
    params=PARAMS,
    api=API,
)
