"""The mysql module: OpenSER 1.3's name for the db_mysql driver.

``loadmodule "mysql.so"`` loads the same MySQL/MariaDB driver as
``db_mysql``, with the same parameters (``ping_interval``,
``auto_reconnect``); ``mysql://`` URLs are served by it.  See the db_mysql
README and doc/dev/db-api.md.
"""
from openser_py.core.exports import ModuleExports
from openser_py.modules.db_mysql import API, PARAMS

exports = ModuleExports(
    name="mysql",
    params=PARAMS,
    api=API,
)
