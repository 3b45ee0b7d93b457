"""The postgres module: OpenSER 1.3's name for the db_postgres driver.

``loadmodule "postgres.so"`` loads the same PostgreSQL driver as
``db_postgres``; ``postgres://`` URLs are served by it.  See the db_postgres
README and doc/dev/db-api.md.
"""
from openser_py.core.exports import ModuleExports
from openser_py.modules.db_postgres import API

exports = ModuleExports(
    name="postgres",
    api=API,
)
