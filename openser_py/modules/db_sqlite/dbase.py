"""db_sqlite: the DB API over the standard library's sqlite3.

Several openser processes share one database file, so every connection is
opened in WAL mode (readers never block the writer) with a busy timeout
(a writer waits for another one instead of failing with "database is
locked"), and in autocommit mode.  DATETIME values are stored as
``YYYY-MM-DD HH:MM:SS`` text, the form OpenSER's SQL scripts use, and are
read back as ``datetime`` for columns declared DATETIME or TIMESTAMP.

``replace`` is ``INSERT OR REPLACE``; ``insert_update`` is ``INSERT ... ON
CONFLICT (key) DO UPDATE`` on the first unique key (primary key first) whose
columns are all given, else ``INSERT OR REPLACE``.
"""
import datetime
import os
import sqlite3
import time

from openser_py.db.backend import Backend
from openser_py.db.sql import Dialect, pick_unique_key
from openser_py.db.types import format_datetime, parse_datetime


class cfg:
    """Module parameters."""
    busy_timeout = 5000


def _convert_datetime(data):
    value = parse_datetime(data)
    return value if value is not None else data.decode("utf-8", "replace")


sqlite3.register_converter("DATETIME", _convert_datetime)
sqlite3.register_converter("TIMESTAMP", _convert_datetime)


class SqliteBackend(Backend):
    """One sqlite3 connection of this process."""
    module = "db_sqlite"
    dialect = Dialect("sqlite", '"', "?")

    def _path(self):
        path = self.url.path
        if path == ":memory:" or os.path.isabs(path):
            return path
        return os.path.abspath(path)

    def _connect(self):
        timeout = max(0, int(cfg.busy_timeout))
        raw = sqlite3.connect(self._path(), timeout=timeout / 1000.0,
                              isolation_level=None, check_same_thread=False,
                              detect_types=sqlite3.PARSE_DECLTYPES)
        try:
            raw.execute("PRAGMA busy_timeout = %d" % timeout)
            if self.url.path != ":memory:":
                _set_wal(raw, timeout)
                raw.execute("PRAGMA synchronous = NORMAL")
        except Exception:
            raw.close()
            raise
        return raw

    def _adapt(self, params):
        return [format_datetime(v) if isinstance(v, datetime.datetime) else v
                for v in params]

    def _unique_keys_of(self, raw, table):
        q = self.dialect.quote(table, "table")
        info = raw.execute("PRAGMA table_info(%s)" % q).fetchall()
        pk = [row for row in info if row[5]]
        keys = []
        if len(pk) == 1 and (pk[0][2] or "").upper() == "INTEGER":
            keys.append((pk[0][1],))          # rowid alias, not an index
        pk_idx, other = [], []
        for row in raw.execute("PRAGMA index_list(%s)" % q).fetchall():
            _seq, name, unique, origin, partial = row[:5]
            if not unique or partial:
                continue
            cols = raw.execute("PRAGMA index_info('%s')"
                               % name.replace("'", "''")).fetchall()
            if any(c[2] is None for c in cols):   # expression index
                continue
            names = tuple(c[2] for c in sorted(cols))
            (pk_idx if origin == "pk" else other).append((name, names))
        keys += [cols for _n, cols in pk_idx]
        keys += [cols for _n, cols in sorted(other)]
        return keys

    def replace(self, table, keys, vals):
        sql, params = self.dialect.insert(table, keys, vals,
                                          "INSERT OR REPLACE INTO")
        return self.execute(sql, params).affected

    def insert_update(self, table, keys, vals):
        target = pick_unique_key(self.unique_keys(table), keys)
        if target is None:
            return self.replace(table, keys, vals)
        sql, params = self.dialect.upsert(table, keys, vals, target,
                                          "excluded")
        return self.execute(sql, params).affected


def _set_wal(raw, timeout_ms):
    """Switch the file to WAL unless it already is.  Changing the journal
    mode needs an exclusive lock and SQLite answers "database is locked"
    at once instead of waiting for busy_timeout, which happens when several
    workers open a new file together after fork: retry until the timeout."""
    deadline = time.monotonic() + max(timeout_ms, 1000) / 1000.0
    delay = 0.005
    while True:
        try:
            mode = raw.execute("PRAGMA journal_mode").fetchone()
            if mode and str(mode[0]).lower() == "wal":
                return
            raw.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) \
                    or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
