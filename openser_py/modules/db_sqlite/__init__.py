"""The db_sqlite module: SQLite driver for the DB API (Python's sqlite3).

A module whose ``db_url`` is ``sqlite:///absolute/path/openser.db`` (or
``sqlite://relative/path.db``, relative to the process's working directory)
uses this driver.  Every process opens its own connection after fork; the
database file is shared in WAL mode with a busy timeout, in autocommit mode.
``replace`` is ``INSERT OR REPLACE``; ``insert_update`` is ``INSERT ... ON
CONFLICT DO UPDATE`` on the matching unique key.  DATETIME columns hold
``YYYY-MM-DD HH:MM:SS`` text and are returned as datetime values.  See
doc/dev/db-api.md.
"""
from openser_py.core.exports import INT_PARAM, ModuleExports, ParamExport
from openser_py.db.api import DbFunctions
from openser_py.modules.db_sqlite.dbase import SqliteBackend, cfg

API = DbFunctions("db_sqlite", SqliteBackend)

exports = ModuleExports(
    name="db_sqlite",
    params=(
        ParamExport("busy_timeout", INT_PARAM, cfg,
                    doc="Milliseconds a statement waits for another "
                    "process's write lock on the database file before it "
                    "fails with \"database is locked\"."),
    ),
    api=API,
)
