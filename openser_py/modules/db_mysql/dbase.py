"""db_mysql: the DB API over PyMySQL (MySQL and MariaDB).

Connections use ``charset=utf8mb4``, autocommit and the FOUND_ROWS client
flag (an UPDATE reports the rows it matched, as PostgreSQL and SQLite do).
``replace`` is ``REPLACE INTO``; ``insert_update`` is ``INSERT ... ON
DUPLICATE KEY UPDATE c = VALUES(c)`` for every given column.

A connection idle for more than ``ping_interval`` seconds is pinged before
use (OpenSER's mysql ``ping_interval``); a connection found dead is
re-opened and the statement retried once unless ``auto_reconnect`` is 0.
"""
import time

import pymysql
from pymysql.constants import CLIENT

from openser_py.db.backend import Backend
from openser_py.db.sql import Dialect, qmark_to_format

# client/server error codes that mean the connection is gone
LOST_CODES = frozenset((
    1053,   # ER_SERVER_SHUTDOWN
    1927,   # ER_CONNECTION_KILLED (MariaDB)
    2003,   # CR_CONN_HOST_ERROR
    2006,   # CR_SERVER_GONE_ERROR
    2013,   # CR_SERVER_LOST
    2055,   # CR_SERVER_LOST_EXTENDED
    4031,   # ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
))
CONNECT_TIMEOUT = 5


class cfg:
    """Module parameters (OpenSER 1.3 mysql module)."""
    ping_interval = 300
    auto_reconnect = 1


class MysqlBackend(Backend):
    """One PyMySQL connection of this process."""
    module = "db_mysql"
    dialect = Dialect("mysql", "`", "%s")

    def _connect(self):
        u = self.url
        return pymysql.connect(
            host=u.host, port=u.port or 3306, user=u.user or "",
            password=u.password or "", database=u.database,
            charset="utf8mb4", autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            client_flag=CLIENT.FOUND_ROWS)

    def _fileno(self, raw):
        sock = getattr(raw, "_sock", None)
        return sock.fileno() if sock is not None else None

    def _close_raw(self, raw):
        try:
            raw.close()
        except Exception:
            raw._force_close()

    def _is_lost(self, exc, raw):
        if isinstance(exc, pymysql.err.InterfaceError):
            return True                   # "(0, '')": already closed
        if isinstance(exc, pymysql.err.OperationalError):
            return bool(exc.args) and exc.args[0] in LOST_CODES
        return isinstance(exc, (OSError, EOFError)) or not raw.open

    def _describe(self, exc):
        if isinstance(exc, pymysql.err.MySQLError) and len(exc.args) == 2:
            return "%s (%s)" % (" ".join(str(exc.args[1]).split()),
                                exc.args[0])
        return super()._describe(exc)

    def _check_alive(self, raw):
        interval = int(cfg.ping_interval)
        if interval > 0 and time.monotonic() - self.last_used > interval:
            raw.ping(reconnect=False)

    def auto_reconnect(self):
        return bool(int(cfg.auto_reconnect))

    def raw_sql(self, sql):
        return qmark_to_format(sql, backslash_escapes=True)

    def replace(self, table, keys, vals):
        sql, params = self.dialect.insert(table, keys, vals, "REPLACE INTO")
        return self.execute(sql, params).affected

    def insert_update(self, table, keys, vals):
        sql, params = self.dialect.insert(table, keys, vals)
        sql += " ON DUPLICATE KEY UPDATE " + ", ".join(
            "%s = VALUES(%s)" % (self.dialect.quote(k), self.dialect.quote(k))
            for k in keys)
        return self.execute(sql, params).affected
