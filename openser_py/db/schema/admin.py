"""Server-level administration for ``openserdbctl``: one class per engine.

Each engine knows how to reach its server, test for / create / drop a
database, list tables and columns, read the ``version`` rows and (MySQL,
PostgreSQL) create the read/write and read-only users.  PyMySQL, psycopg2
and the stdlib ``sqlite3`` are used directly: the tool must work before
any module-level DB layer is configured.

Errors are raised as :class:`Unreachable` (the server or file cannot be
reached: exit status 3) or :class:`DbFailure` (a statement failed: 1), each
carrying one line naming the operation and the driver's cause.
"""
import os
import re

from .ddl import literal, postgres_functions

DBNAME_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")


class AdminError(Exception):
    """Base: ``str(exc)`` is the one-line message, ``exit_code`` the status."""

    exit_code = 1


class DbFailure(AdminError):
    """A statement or a database-level check failed (exit status 1)."""

    exit_code = 1


class Unreachable(AdminError):
    """The server (or SQLite file) cannot be reached (exit status 3)."""

    exit_code = 3


def cause(exc):
    """The readable part of a driver exception."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):      # PyMySQL (code, msg)
        return "%s (%d)" % (args[1], args[0])
    text = str(exc).strip() or exc.__class__.__name__
    return " ".join(text.split())


def check_dbname(name):
    """Return *name* if usable as a database name, else raise DbFailure."""
    if not name or not DBNAME_RE.match(name):
        raise DbFailure("invalid database name %r (letters, digits, _ and $)"
                        % (name,))
    return name


def render(sql, params=(), secret=()):
    """*sql* with its ``%s`` parameters inlined for printing; values in
    *secret* are shown as ``'********'``."""
    if not params:
        return sql
    vals = ["'********'" if i in secret else literal(p)
            for i, p in enumerate(params)]
    return sql.replace("%s", "{}").format(*vals)


class Engine:
    """Common part; subclasses set ``dialect``, ``name`` and the hooks."""

    dialect = name = driver = None
    paramstyle = "%s"
    has_users = True

    def __init__(self, host="localhost", port=None, user=None, password=None,
                 prompt=None):
        self.host, self.port, self.user = host, port, user
        self.password = password
        self.prompt = prompt          # callable returning a password, or None
        self.server = None

    def where(self):
        """``user@host:port`` used in messages."""
        return "%s@%s:%s" % (self.user, self.host, self.port)

    # -- connection --------------------------------------------------------
    def connect_server(self):
        """Connect to the server as the administrator (Unreachable)."""
        try:
            self.server = self._connect(None)
        except AdminError:
            raise
        except ImportError as exc:
            raise DbFailure("%s support needs the Python driver %s: %s"
                            % (self.name, self.driver, cause(exc)))
        except Exception as exc:  # noqa: BLE001 -- driver errors vary
            if self._auth_failed(exc) and self.password is None and self.prompt:
                self.password = self.prompt("%s password for %s: "
                                            % (self.name, self.where()))
                try:
                    self.server = self._connect(None)
                    return self.server
                except Exception as exc2:  # noqa: BLE001
                    exc = exc2
            raise Unreachable("cannot connect to the %s server %s: %s"
                              % (self.name, self.where(), cause(exc)))
        return self.server

    def connect_db(self, dbname):
        """A new autocommit connection to database *dbname*."""
        try:
            return self._connect(dbname)
        except Exception as exc:  # noqa: BLE001
            raise DbFailure("cannot open database %s on %s: %s"
                            % (dbname, self.where(), cause(exc)))

    def close(self):
        """Close the server connection."""
        if self.server is not None:
            try:
                self.server.close()
            finally:
                self.server = None

    # -- helpers used by the tool -------------------------------------------
    @staticmethod
    def query(con, sql, params=()):
        cur = con.cursor()
        try:
            cur.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []
        finally:
            cur.close()

    @staticmethod
    def execute(con, sql, params=()):
        cur = con.cursor()
        try:
            cur.execute(sql, params)
        finally:
            cur.close()

    def version_rows(self, con):
        """``{table_name: table_version}`` from the ``version`` table."""
        rows = self.query(con, "SELECT table_name, table_version FROM version")
        return {r[0]: int(r[1]) for r in rows}

    def user_statements(self, dbname, rw, ro):
        """Statements creating the users; ``[(sql, params, secret)]``."""
        return []

    def drop_user_statements(self, rw, ro):
        return []

    def grant_statements(self, dbname, rw, ro):
        return []

    def fix_sequences(self, con, table, column):
        """After a restore with explicit ids (PostgreSQL needs it)."""


class MySQL(Engine):
    """MariaDB / MySQL through PyMySQL."""

    dialect, name, driver = "mysql", "MYSQL", "PyMySQL"

    def _connect(self, dbname):
        import pymysql
        kw = dict(host=self.host, port=int(self.port or 3306), user=self.user,
                  password=self.password or "", connect_timeout=5,
                  autocommit=True, charset="utf8mb4")
        if dbname:
            kw["database"] = dbname
        return pymysql.connect(**kw)

    @staticmethod
    def _auth_failed(exc):
        return getattr(exc, "args", (None,))[0] == 1045

    @staticmethod
    def quote(name):
        return "`%s`" % check_dbname(name)

    def database_exists(self, dbname):
        return bool(self.query(self.server, "SELECT SCHEMA_NAME FROM "
                               "information_schema.SCHEMATA WHERE "
                               "SCHEMA_NAME = %s", (dbname,)))

    def create_database_statements(self, dbname, charset="latin1"):
        return [("CREATE DATABASE %s CHARACTER SET %s"
                 % (self.quote(dbname), check_dbname(charset)), (), ())]

    def drop_database_statements(self, dbname):
        return [("DROP DATABASE IF EXISTS %s" % self.quote(dbname), (), ())]

    def tables(self, con):
        return [r[0] for r in self.query(con, "SHOW TABLES")]

    def columns(self, con, table):
        return [r[0] for r in self.query(
            con, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
            "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY "
            "ORDINAL_POSITION", (table,))]

    def user_statements(self, dbname, rw, ro):
        out = []
        for host in ("localhost", "%"):
            out.append(("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s",
                        (rw[0], host, rw[1]), (2,)))
            out.append(("GRANT ALL PRIVILEGES ON %s.* TO %%s@%%s"
                        % self.quote(dbname), (rw[0], host), ()))
            if ro[0] and ro[0] != rw[0]:
                out.append(("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s",
                            (ro[0], host, ro[1]), (2,)))
                out.append(("GRANT SELECT ON %s.* TO %%s@%%s"
                            % self.quote(dbname), (ro[0], host), ()))
        return out


class Postgres(Engine):
    """PostgreSQL through psycopg2; the maintenance database is
    ``postgres`` (``template1`` when it does not exist)."""

    dialect, name, driver = "postgres", "PGSQL", "psycopg2"

    def _connect(self, dbname):
        import psycopg2
        kw = dict(host=self.host, port=int(self.port or 5432), user=self.user,
                  connect_timeout=5)
        if self.password is not None:
            kw["password"] = self.password
        if dbname:
            con = psycopg2.connect(dbname=dbname, **kw)
        else:
            try:
                con = psycopg2.connect(dbname="postgres", **kw)
            except psycopg2.OperationalError as exc:
                if "does not exist" not in str(exc):
                    raise
                con = psycopg2.connect(dbname="template1", **kw)
        con.autocommit = True
        return con

    @staticmethod
    def _auth_failed(exc):
        text = str(exc)
        return "password" in text and ("no password supplied" in text
                                       or "authentication failed" in text)

    @staticmethod
    def quote(name):
        return '"%s"' % check_dbname(name)

    def database_exists(self, dbname):
        return bool(self.query(self.server, "SELECT 1 FROM pg_database WHERE "
                               "datname = %s", (dbname,)))

    def create_database_statements(self, dbname, charset=None):
        return [("CREATE DATABASE %s TEMPLATE template1" % self.quote(dbname),
                 (), ())]

    def database_setup_statements(self):
        """Run inside the new database: 1.3's concat() and rand()."""
        return [(sql, (), ()) for sql in postgres_functions()]

    def drop_database_statements(self, dbname):
        return [("DROP DATABASE IF EXISTS %s" % self.quote(dbname), (), ())]

    def tables(self, con):
        return [r[0] for r in self.query(
            con, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]

    def columns(self, con, table):
        return [r[0] for r in self.query(
            con, "SELECT column_name FROM information_schema.columns WHERE "
            "table_schema = 'public' AND table_name = %s ORDER BY "
            "ordinal_position", (table,))]

    def role_exists(self, name):
        return bool(self.query(self.server, "SELECT 1 FROM pg_roles WHERE "
                               "rolname = %s", (name,)))

    def user_statements(self, dbname, rw, ro):
        out = []
        users = [rw] + ([ro] if ro[0] and ro[0] != rw[0] else [])
        for name, pw in users:
            if not name or name == self.user:
                continue
            if self.server is not None and self.role_exists(name):
                continue
            out.append(('CREATE USER "%s" WITH PASSWORD %%s'
                        % check_dbname(name), (pw,), (0,)))
        return out

    def grant_statements(self, dbname, rw, ro):
        """Run inside the database after the tables exist; users that do
        not exist (not created for want of a password) are skipped."""
        def present(name):
            return self.server is None or self.role_exists(name)
        out = []
        if present(rw[0]):
            out += [('GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public '
                     'TO "%s"' % check_dbname(rw[0]), (), ()),
                    ('GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public '
                     'TO "%s"' % rw[0], (), ())]
        if ro[0] and ro[0] != rw[0] and present(ro[0]):
            out.append(('GRANT SELECT ON ALL TABLES IN SCHEMA public TO "%s"'
                        % check_dbname(ro[0]), (), ()))
        return out

    def drop_user_statements(self, rw, ro):
        names = [n for n in (rw[0], ro[0]) if n and n != self.user]
        return [('DROP ROLE IF EXISTS "%s"' % check_dbname(n), (), ())
                for n in dict.fromkeys(names)]

    def fix_sequences(self, con, table, column):
        self.execute(con, "SELECT setval(pg_get_serial_sequence(%s, %s), "
                     "COALESCE(MAX({c}), 1), MAX({c}) IS NOT NULL) FROM {t}"
                     .format(c=column, t=table), (table, column))


class SQLite(Engine):
    """SQLite: the "server" is the file system, a database is a file."""

    dialect, name, driver = "sqlite", "SQLITE", "sqlite3"
    paramstyle = "?"
    has_users = False

    def where(self):
        return "sqlite"

    def connect_server(self):
        self.server = None
        return None

    def _connect(self, path):
        import sqlite3
        from urllib.parse import quote
        return sqlite3.connect("file:%s?mode=rw" % quote(path), uri=True,
                               isolation_level=None, timeout=10)

    def connect_db(self, path, create=False):
        import sqlite3
        try:
            if create:
                parent = os.path.dirname(os.path.abspath(path))
                os.makedirs(parent, mode=0o750, exist_ok=True)
                con = sqlite3.connect(path, isolation_level=None, timeout=10)
                con.execute("PRAGMA user_version")
                return con
            return self._connect(path)
        except (OSError, sqlite3.Error) as exc:
            if not create and not os.path.exists(path):
                raise DbFailure("SQLite database %s does not exist" % path)
            raise Unreachable("cannot open SQLite database %s: %s"
                              % (path, cause(exc)))

    @staticmethod
    def query(con, sql, params=()):
        return con.execute(sql.replace("%s", "?"), params).fetchall()

    @staticmethod
    def execute(con, sql, params=()):
        con.execute(sql.replace("%s", "?"), params)

    def database_exists(self, path):
        return os.path.isfile(path)

    def create_database_statements(self, path, charset=None):
        return []

    def drop_database_statements(self, path):
        return []

    def drop_file(self, path):
        """Remove the database file and its journals; True if it existed."""
        existed = os.path.exists(path)
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.remove(path + suffix)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise DbFailure("cannot remove %s: %s" % (path + suffix,
                                                         cause(exc)))
        return existed

    def tables(self, con):
        return [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND "
            "name NOT LIKE 'sqlite_%'")]

    def columns(self, con, table):
        return [r[1] for r in con.execute("PRAGMA table_info(%s)" % table)]


ENGINES = {"MYSQL": MySQL, "PGSQL": Postgres, "SQLITE": SQLite}
_ENGINE_ALIASES = {"MYSQL": "MYSQL", "MARIADB": "MYSQL", "PGSQL": "PGSQL",
                   "POSTGRES": "PGSQL", "POSTGRESQL": "PGSQL",
                   "SQLITE": "SQLITE", "SQLITE3": "SQLITE"}


def engine_name(value):
    """Canonical DBENGINE (MYSQL, PGSQL, SQLITE) or None when unknown."""
    return _ENGINE_ALIASES.get((value or "").strip().upper())
