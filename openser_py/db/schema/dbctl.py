"""The commands of ``openserdbctl`` (create, drop, reinit, backup,
restore, copy, presence, extra) on top of :mod:`.admin` (server access),
:mod:`.ddl` (statements) and :mod:`.dump` (the portable dump).

The command-line front end is :mod:`openser_py.ctl.openserdbctl`; it builds
the settings object (``s``: engine, host, port, dbname, users, yes,
dry_run, tty, ``secret()``, ``prompt()``, ``ask()``) this module uses.
In dry-run mode nothing connects: queries see an empty server and every
statement is printed instead of executed.
"""
import datetime
import io
import os
import sys

from . import admin, ddl, dump
from .tables import table as schema_table
from .tables import tables as group_tables

EXIT_OK, EXIT_DB = 0, 1


class UsageError(Exception):
    """Bad command line or settings: exit status 2."""


def info(msg):
    print("INFO: %s" % msg)
    sys.stdout.flush()


def warn(msg):
    sys.stderr.write("WARNING: %s\n" % msg)


def error(msg):
    sys.stderr.write("ERROR: %s\n" % msg)


class Tool:
    """One run: the engine, the settings and the command implementations."""

    def __init__(self, settings):
        self.s = settings
        cls = admin.ENGINES[settings.engine]
        self.eng = cls(settings.host, settings.port, settings.root_user,
                       settings.secret("DBROOTPW"), settings.prompt)
        self.dry = settings.dry_run

    # -- plumbing ------------------------------------------------------------
    def target(self, arg=None):
        """Database name (or SQLite file) a command works on."""
        if self.s.engine == "SQLITE":
            path = arg or self.s.db_path or self.s.dbname
            return os.path.abspath(path)
        return admin.check_dbname(arg or self.s.dbname)

    def run(self, con, statements):
        """Execute ``(sql, params, secret)`` triples (print in dry-run)."""
        for sql, params, secret in statements:
            if self.dry:
                print(admin.render(sql, params, secret) + ";")
                continue
            try:
                self.eng.execute(con, sql, params)
            except Exception as exc:  # noqa: BLE001
                raise admin.DbFailure("%s failed: %s" % (
                    admin.render(sql, params, secret).split("\n")[0],
                    admin.cause(exc)))

    def confirm(self, what):
        """Destructive-command guard: -y, or a yes on a terminal."""
        if self.dry or self.s.yes:
            return
        if not self.s.tty:
            raise UsageError("refusing to %s without confirmation: no "
                             "terminal, use -y" % what)
        if input("%s? (y/n): " % what).strip().lower() not in ("y", "yes"):
            raise UsageError("%s: not confirmed" % what)

    def connect(self):
        if not self.dry:
            self.eng.connect_server()

    def open_db(self, name, create=False):
        if self.dry:
            return None
        if self.s.engine == "SQLITE":
            return self.eng.connect_db(name, create=create)
        return self.eng.connect_db(name)

    def db_exists(self, name):
        return False if self.dry else self.eng.database_exists(name)

    def open_or_create(self, name):
        """Connection to database *name*, creating the database first when
        it does not exist (PostgreSQL: with 1.3's SQL functions)."""
        if self.db_exists(name):
            return self.open_db(name)
        self.run(self.eng.server, self.eng.create_database_statements(
            name, self.s.charset))
        con = self.open_db(name, create=True)
        if self.s.engine == "PGSQL":
            self.run(con, self.eng.database_setup_statements())
        if not self.dry:
            info("database %s created" % name)
        return con

    def table_statements(self, tab):
        """CREATE statements of *tab* for this engine and settings."""
        return ddl.create_table_statements(
            self.eng.dialect, tab, self.s.rc.get("MYSQL_ENGINE"),
            self.s.charset if self.s.engine == "MYSQL" else None)

    # -- schema --------------------------------------------------------------
    def ensure_tables(self, con, tabs):
        """Idempotent creation of *tabs*; returns (created, mismatches)."""
        existing = set() if self.dry else set(self.eng.tables(con))
        versions = {}
        if not self.dry and "version" in existing:
            versions = self.eng.version_rows(con)
        created, bad = [], []
        for tab in tabs:
            if tab.name in existing:
                if tab.name != "version" and versions.get(tab.name) != tab.version:
                    bad.append((tab.name, versions.get(tab.name), tab.version))
                continue
            stmts = self.table_statements(tab)
            if tab.name != "version":
                have = versions.get(tab.name)
                if have is None:
                    stmts.append(ddl.version_insert(tab))
                elif have != tab.version:
                    bad.append((tab.name, have, tab.version))
            self.run(con, [(sql, (), ()) for sql in stmts])
            existing.add(tab.name)
            created.append(tab.name)
        return created, bad

    def create_groups(self, con, groups, dbname):
        """Create the tables of *groups*; report; return exit status."""
        tabs = [group_tables("standard")[0]]     # the version table
        for group in groups:
            tabs += [t for t in group_tables(group) if t.name != "version"]
        created, bad = self.ensure_tables(con, tabs)
        if not self.dry:
            kept = len(tabs) - len(created)
            info("%s: %d tables created, %d already present (%s)"
                 % (dbname, len(created), kept, ", ".join(groups)))
        for name, have, want in bad:
            error("table %s: version row %s, openser_py expects %d (run "
                  "reinit or migrate the table)"
                  % (name, "missing" if have is None else have, want))
        return EXIT_DB if bad else EXIT_OK

    def rw_password(self):
        pw = self.s.secret("DBRWPW")
        if pw is None:
            pw = self.s.prompt("password for the read/write user %s: "
                               % self.s.rw_user)
        return pw

    def users(self, con, dbname, phase):
        """Create the rw/ro users (phase "create", on the server) or grant
        them the tables (phase "grant", inside the database).  Skipped when
        DBRWUSER is the administrator or the engine has no users."""
        rw, ro = self.s.rw_user, self.s.ro_user
        if not self.eng.has_users or rw == self.s.root_user:
            return
        if phase == "grant":
            try:
                self.run(con, self.eng.grant_statements(dbname, (rw, None),
                                                        (ro, None)))
            except admin.DbFailure as exc:
                warn(str(exc))
            return
        rwpw = self.s.secret("DBRWPW") if self.dry else self.rw_password()
        if not rwpw:
            warn("DBRWPW not set: users %s and %s not created" % (rw, ro))
            return
        ropw = self.s.secret("DBROPW") or "openserro"
        self.run(self.eng.server, self.eng.user_statements(
            dbname, (rw, rwpw), (ro, ropw)))

    # -- commands --------------------------------------------------------------
    def cmd_create(self, args):
        name = self.target(args[0] if args else None)
        self.connect()
        groups = ["standard"]
        if self.s.ask("Install presence related tables?",
                      "INSTALL_PRESENCE_TABLES"):
            groups.append("presence")
        if self.s.ask("Install tables for imc cpl siptrace domainpolicy "
                      "carrierroute?", "INSTALL_EXTRA_TABLES"):
            groups.append("extra")
        con = self.open_or_create(name)
        try:
            self.users(con, name, "create")
            status = self.create_groups(con, groups, name)
            self.users(con, name, "grant")
        finally:
            if con is not None:
                con.close()
        return status

    def cmd_group(self, args, group):
        if args:
            raise UsageError("%s takes no arguments" % group)
        name = self.target()
        self.connect()
        if not self.dry and not self.db_exists(name):
            raise admin.DbFailure("database %s does not exist: run "
                                  "'openserdbctl create' first" % name)
        con = self.open_db(name)
        try:
            status = self.create_groups(con, [group], name)
            self.users(con, name, "grant")
        finally:
            if con is not None:
                con.close()
        return status

    def cmd_drop(self, args, confirm=True):
        name = self.target(args[0] if args else None)
        if confirm:
            self.confirm("drop database %s" % name)
        self.connect()
        if self.s.engine == "SQLITE":
            if self.dry:
                print("-- remove the SQLite file %s" % name)
            elif self.eng.drop_file(name):
                info("database %s dropped" % name)
            else:
                info("database %s does not exist" % name)
            return EXIT_OK
        existed = self.db_exists(name)
        self.run(self.eng.server, self.eng.drop_database_statements(name))
        if not self.dry:
            info("database %s %s" % (name, "dropped" if existed
                                     else "does not exist"))
        drops = self.eng.drop_user_statements((self.s.rw_user, None),
                                              (self.s.ro_user, None))
        for stmt in drops:
            try:
                self.run(self.eng.server, [stmt])
            except admin.DbFailure as exc:
                warn(str(exc))
        return EXIT_OK

    def cmd_reinit(self, args):
        name = self.target(args[0] if args else None)
        self.confirm("drop and re-create database %s" % name)
        self.cmd_drop(args, confirm=False)
        self.eng.close()
        return self.cmd_create(args)

    def write_dump(self, name, fh):
        """Dump database *name* into the text stream *fh*; (tables, rows)."""
        con = self.open_db(name)
        try:
            present = set(self.eng.tables(con))
            known = [t.name for t in group_tables("all")]
            order = [t for t in known if t in present]
            for other in sorted(present - set(known)):
                warn("table %s is not an OpenSER table: not in the backup"
                     % other)
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M:%S UTC")
            fh.write(dump.header(self.s.engine, name, order, stamp))
            total = 0
            for tab in order:
                cols = self.eng.columns(con, tab)
                rows = self.eng.query(con, "SELECT %s FROM %s ORDER BY %s"
                                      % (", ".join(cols), tab,
                                         ", ".join(cols[:1])))
                total += len(rows)
                for line in dump.table_block(tab, cols, rows):
                    fh.write(line)
            return order, total
        finally:
            con.close()

    def cmd_backup(self, args):
        if len(args) != 1:
            raise UsageError("backup takes one argument: the dump file")
        name = self.target()
        if self.dry:
            print("-- would write a dump of %s to %s" % (name, args[0]))
            return EXIT_OK
        self.connect()
        if not self.db_exists(name):
            raise admin.DbFailure("database %s does not exist" % name)
        if args[0] == "-":
            self.write_dump(name, sys.stdout)
            return EXIT_OK
        tmp = args[0] + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                tabs, rows = self.write_dump(name, fh)
            os.replace(tmp, args[0])
        except OSError as exc:
            raise UsageError("cannot write %s: %s" % (args[0], exc)) from None
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        info("%d tables, %d rows of %s written to %s"
             % (len(tabs), rows, name, args[0]))
        return EXIT_OK

    def restore_into(self, name, statements):
        """Replay parsed dump *statements* into database *name* (created
        when missing, as are the dumped OpenSER tables it lacks)."""
        con = self.open_or_create(name)
        try:
            names = dump.tables_in(statements)
            tabs = []
            for tname in names:
                try:
                    tabs.append(schema_table(tname))
                except KeyError:
                    pass           # not ours: it must exist already
            if "version" in names:
                # the dump brings its own version rows
                existing = set() if self.dry else set(self.eng.tables(con))
                for tab in tabs:
                    if tab.name not in existing:
                        self.run(con, [(sql, (), ())
                                       for sql in self.table_statements(tab)])
            else:
                self.ensure_tables(con, [schema_table("version")] + tabs)
            return self.replay(con, statements)
        finally:
            if con is not None:
                con.close()

    def replay(self, con, statements):
        if self.dry:
            for op, tab, cols, vals in statements:
                print("DELETE FROM %s;" % tab if op == "delete" else
                      "INSERT INTO %s (%s) VALUES (%s);"
                      % (tab, ", ".join(cols),
                         ", ".join(ddl.literal(v) for v in vals)))
            return 0
        ph = self.eng.paramstyle
        tx = self.s.engine in ("PGSQL", "SQLITE")
        if tx:
            if self.s.engine == "PGSQL":
                con.autocommit = False
            else:
                con.execute("BEGIN")
        rows, touched = 0, []
        cur = con.cursor()
        try:
            for op, tab, cols, vals in statements:
                if op == "delete":
                    sql, params = "DELETE FROM %s" % tab, ()
                    touched.append(tab)
                else:
                    sql = "INSERT INTO %s (%s) VALUES (%s)" % (
                        tab, ", ".join(cols), ", ".join([ph] * len(vals)))
                    params = vals
                    rows += 1
                try:
                    cur.execute(sql, params)
                except Exception as exc:  # noqa: BLE001
                    raise admin.DbFailure("restore: %s into %s failed: %s"
                                          % (op, tab, admin.cause(exc)))
            if tx:
                con.commit()
        except BaseException:
            if tx:
                con.rollback()
            raise
        finally:
            cur.close()
            if self.s.engine == "PGSQL":
                con.autocommit = True
        for tab in dict.fromkeys(touched):
            try:
                col = schema_table(tab).autoinc_column
            except KeyError:
                col = None
            if col is not None:
                self.eng.fix_sequences(con, tab, col.name)
        return rows

    def read_dump(self, path):
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
        except OSError as exc:
            raise UsageError("cannot read %s: %s" % (path, exc.strerror or exc))
        try:
            return dump.parse(text)
        except dump.DumpError as exc:
            raise admin.DbFailure("%s is not an openserdbctl dump: %s"
                                  % (path, exc)) from None

    def cmd_restore(self, args):
        if len(args) != 1:
            raise UsageError("restore takes one argument: the dump file")
        statements = self.read_dump(args[0])
        name = self.target()
        self.confirm("replace the contents of database %s with %s"
                     % (name, args[0]))
        self.connect()
        rows = self.restore_into(name, statements)
        if not self.dry:
            info("%d rows restored into %s" % (rows, name))
        return EXIT_OK

    def cmd_copy(self, args):
        if len(args) != 1:
            raise UsageError("copy takes one argument: the new database")
        src, dst = self.target(), self.target(args[0])
        if self.dry:
            print("-- would copy %s into the new database %s" % (src, dst))
            return EXIT_OK
        self.connect()
        if not self.db_exists(src):
            raise admin.DbFailure("database %s does not exist" % src)
        if self.db_exists(dst):
            raise admin.DbFailure("database %s already exists" % dst)
        buf = io.StringIO()
        self.write_dump(src, buf)
        rows = self.restore_into(dst, dump.parse(buf.getvalue()))
        info("%s copied into %s (%d rows)" % (src, dst, rows))
        return EXIT_OK
