"""One physical database connection per process, with reconnect (OpenSER
db/db_pool.c + the drivers' connection handling).

Theory of operation
-------------------
A :class:`Backend` wraps one driver connection (``raw``) and is shared, with a
reference count, by every :class:`~openser_py.db.api.DbConnection` opened on
the same URL in the same process (OpenSER's connection pool).  It remembers
the pid that created it.  States::

    CONNECTED --(statement fails, connection lost)--> reconnect at once,
        |                                              retry the statement once
        |                                                |ok -> CONNECTED (NOTICE)
        |                                                |fails -> DOWN (ERROR)
    DOWN --(call, >= RETRY_INTERVAL since last attempt)--> try to connect
         --(call, sooner)--> DbConnectionError at once, no attempt

Every failure to reach the server raises
:class:`~openser_py.db.types.DbConnectionError` naming the cause; the ERROR
line ``database unreachable: <cause>`` is logged when the server is first
found unreachable and then at most every ``ERROR_REPEAT`` seconds.  When a
connection is (re-)established after a failure a NOTICE ``reconnected to
<url>`` is logged.  Other driver errors (bad SQL, constraint violations)
raise :class:`~openser_py.db.types.DbError` and keep the connection.

Fork safety: sockets must never be shared between processes.  Connections
are meant to be opened in ``child_init`` (after fork).  If one was opened
before a fork anyway, an ``os.register_at_fork`` hook in the child points
the inherited socket at ``/dev/null`` and forgets it (so nothing the child
does -- not even closing or garbage collecting it -- can disturb the
parent's session), and the next use in the child opens its own connection.
"""
import os
import threading
import time

from openser_py.core.dprint import (L_DBG, L_ERR, L_NOTICE, L_WARN,
                                    LEVEL_NAMES, LOG, is_printable)
from openser_py.db.types import (DbConnectionError, DbError, DbResult,
                                 from_db_value)

RETRY_INTERVAL = 1.0     # at most one connection attempt per second
ERROR_REPEAT = 30.0      # repeat the "unreachable" ERROR at most this often


def db_log(level, module, func, fmt, *args):
    """Log ``LEVEL:<module>:<func>: text`` like LM_* (module = the driver)."""
    text = fmt % args if args else fmt
    LOG(level, "%s:%s:%s: %s" % (LEVEL_NAMES.get(level, "DBG"), module, func,
                                 text))


class Backend:
    """A per-process driver connection with reconnect; drivers subclass it.

    Subclasses set ``module`` (log prefix) and ``dialect`` and implement
    :meth:`_connect`, :meth:`_is_lost`, :meth:`_describe`; they may override
    :meth:`_fileno`, :meth:`_adapt`, :meth:`_check_alive`,
    :meth:`_unique_keys_of` and the ``replace``/``insert_update`` builders.
    """
    module = "db"
    dialect = None

    def __init__(self, url):
        self.url = url
        self.raw = None
        self.pid = os.getpid()
        self.refs = 0
        self.lock = threading.RLock()
        self.next_attempt = 0.0
        self.failed = False          # a connect attempt failed / conn lost
        self.err_logged = None       # monotonic time of the last ERROR line
        self.cause = None
        self.last_used = 0.0
        self.last_id = 0
        self.key_cache = {}

    # -- driver hooks ------------------------------------------------------
    def _connect(self):
        """Open and return a new driver connection (raise on failure)."""
        raise NotImplementedError

    def _is_lost(self, exc, raw):
        """True if *exc* means the connection is gone."""
        return False

    def _describe(self, exc):
        """One-line text of a driver exception."""
        text = " ".join(str(exc).split())
        return text or type(exc).__name__

    def _fileno(self, raw):
        """The socket fd of *raw*, or None (used to neutralise after fork)."""
        return None

    def _close_raw(self, raw):
        raw.close()

    def _adapt(self, params):
        """Driver-specific parameter conversion (default: none)."""
        return params

    def raw_sql(self, sql):
        """Convert ``?`` placeholders of a raw query to the driver's style."""
        return sql

    def _check_alive(self, raw):
        """Called before each use (e.g. a ping after a long idle time)."""

    def _unique_keys_of(self, raw, table):
        """Unique keys of *table* as a list of column tuples, PK first."""
        return []

    # -- connecting --------------------------------------------------------
    def connect(self, force=False):
        """Return the driver connection, connecting if needed.

        Without *force* a new attempt is made at most once per
        RETRY_INTERVAL; sooner calls fail at once with the last cause.
        """
        if self.raw is not None:
            return self.raw
        now = time.monotonic()
        if not force and now < self.next_attempt:
            raise DbConnectionError(
                "%s: database unreachable: %s (%s; next attempt in %.1fs)"
                % (self.module, self.cause, self.url,
                   self.next_attempt - now))
        try:
            raw = self._connect()
        except Exception as exc:  # driver exceptions vary
            self.next_attempt = time.monotonic() + RETRY_INTERVAL
            self.cause = self._describe(exc)
            self.failed = True
            if self.err_logged is None or now - self.err_logged >= ERROR_REPEAT:
                self.err_logged = now
                db_log(L_ERR, self.module, "db_connect",
                       "database unreachable: %s (%s)", self.cause, self.url)
            raise DbConnectionError("%s: database unreachable: %s (%s)"
                                    % (self.module, self.cause, self.url)
                                    ) from exc
        self.raw = raw
        self.next_attempt = 0.0
        self.last_used = time.monotonic()
        self.key_cache.clear()
        if self.failed:
            db_log(L_NOTICE, self.module, "db_connect", "reconnected to %s",
                   self.url)
        self.failed = False
        self.err_logged = None
        return raw

    def drop(self):
        """Forget a dead connection (closing it quietly)."""
        raw, self.raw = self.raw, None
        if raw is not None:
            try:
                self._close_raw(raw)
            except Exception:  # already broken; nothing to do
                pass

    def close(self):
        """Close the connection (last reference released)."""
        with self.lock:
            self.drop()

    def abandon(self):
        """In a forked child: detach from the parent's connection without
        sending anything on its socket."""
        raw, self.raw = self.raw, None
        if raw is None:
            return
        fd = None
        try:
            fd = self._fileno(raw)
        except Exception:
            fd = None
        if fd is not None and fd >= 0:
            try:
                null = os.open(os.devnull, os.O_RDWR)
                try:
                    os.dup2(null, fd)
                finally:
                    os.close(null)
                self._close_raw(raw)
            except Exception:
                pass
        else:
            _LEFTOVERS.append(raw)   # never closed by the child

    # -- running statements -------------------------------------------------
    def auto_reconnect(self):
        """Whether a lost connection is re-opened and the call retried."""
        return True

    def run(self, fn):
        """Run ``fn(raw)``; on a lost connection reconnect once and retry."""
        with self.lock:
            raw = self.connect()
            try:
                self._check_alive(raw)
                result = fn(raw)
                self.last_used = time.monotonic()
                return result
            except DbError:
                raise
            except Exception as exc:
                if not self._is_lost(exc, raw):
                    raise self._error(exc) from exc
                cause = self._describe(exc)
            self.drop()
            self.failed = True
            self.cause = cause
            db_log(L_WARN, self.module, "db_run",
                   "connection to %s lost (%s)%s", self.url, cause,
                   ", reconnecting" if self.auto_reconnect() else "")
            if not self.auto_reconnect():
                self.next_attempt = time.monotonic() + RETRY_INTERVAL
                raise DbConnectionError("%s: connection lost: %s (%s)"
                                        % (self.module, cause, self.url))
            raw = self.connect(force=True)
            try:
                result = fn(raw)
                self.last_used = time.monotonic()
                return result
            except DbError:
                raise
            except Exception as exc:
                if not self._is_lost(exc, raw):
                    raise self._error(exc) from exc
                self.drop()
                self.failed = True
                self.cause = self._describe(exc)
                self.next_attempt = time.monotonic() + RETRY_INTERVAL
                raise DbConnectionError("%s: connection lost again: %s (%s)"
                                        % (self.module, self.cause, self.url)
                                        ) from exc

    def _error(self, exc):
        cause = self._describe(exc)
        db_log(L_ERR, self.module, "db_query", "driver error: %s", cause)
        return DbError("%s: %s" % (self.module, cause))

    def cursor_execute(self, raw, sql, params):
        """Execute one statement on *raw*; return a DbResult."""
        if is_printable(L_DBG):
            db_log(L_DBG, self.module, "db_query", "%s", sql)
        cur = raw.cursor()
        try:
            if params:
                cur.execute(sql, self._adapt(list(params)))
            else:
                cur.execute(sql)
            if cur.description is not None:
                names = [d[0] for d in cur.description]
                rows = [tuple([from_db_value(v) for v in row])
                        for row in cur.fetchall()]
                return DbResult(names, rows, cur.rowcount)
            lastrowid = getattr(cur, "lastrowid", None)
            if lastrowid and cur.rowcount and cur.rowcount > 0:
                self.last_id = lastrowid
            return DbResult((), (), cur.rowcount)
        finally:
            cur.close()

    def execute(self, sql, params=()):
        """Run one statement with reconnect; return a DbResult."""
        return self.run(lambda raw: self.cursor_execute(raw, sql, params))

    def transaction(self, statements):
        """Run ``[(sql, params), ...]`` in one transaction (autocommit
        connections: explicit BEGIN/COMMIT); return the last DbResult."""
        def fn(raw):
            self.cursor_execute(raw, "BEGIN", ())
            try:
                res = None
                for sql, params in statements:
                    res = self.cursor_execute(raw, sql, params)
                self.cursor_execute(raw, "COMMIT", ())
                return res
            except Exception:
                try:
                    self.cursor_execute(raw, "ROLLBACK", ())
                except Exception:
                    pass
                raise
        return self.run(fn)

    def unique_keys(self, table):
        """Cached unique keys (column tuples, primary key first)."""
        keys = self.key_cache.get(table)
        if keys is None:
            keys = self.run(lambda raw: self._unique_keys_of(raw, table))
            self.key_cache[table] = keys
        return keys

    def last_inserted_id(self):
        """The id generated by the last insert on this connection (0 if none)."""
        return self.last_id

    # -- replace / insert_update (drivers override) ------------------------
    def replace(self, table, keys, vals):
        raise DbError("%s: replace not supported" % self.module)

    def insert_update(self, table, keys, vals):
        raise DbError("%s: insert_update not supported" % self.module)


# -- the per-process pool ---------------------------------------------------
_POOL = {}          # (backend class, url text) -> Backend of this process
_LEFTOVERS = []     # inherited connections without a socket fd (sqlite)


def acquire(backend_cls, url):
    """The shared Backend for *url* in this process (refcount + 1)."""
    key = (backend_cls, url.text)
    b = _POOL.get(key)
    if b is None or b.pid != os.getpid():
        b = backend_cls(url)
        _POOL[key] = b
    b.refs += 1
    return b


def release(backend):
    """Drop one reference; close the connection with the last one."""
    backend.refs -= 1
    if backend.refs <= 0:
        for key, b in list(_POOL.items()):
            if b is backend:
                del _POOL[key]
        backend.close()


def _after_fork_in_child():
    for b in list(_POOL.values()):
        b.abandon()
    _POOL.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
