"""``openserdbctl``: OpenSER 1.3's database administration tool.

Creates, drops, re-initialises, backs up, restores and copies the OpenSER
database on MySQL/MariaDB, PostgreSQL or SQLite, from the schema defined
once in :mod:`openser_py.db.schema` (reference section 10.2).  Settings come
from the openserctlrc files (:mod:`openser_py.ctl.rc`) and options; the
commands are implemented in :mod:`openser_py.db.schema.dbctl`.  See
doc/openserdbctl.md.
"""
import argparse
import getpass
import os
import sys

from openser_py import version
from openser_py.ctl import rc as rcmod
from openser_py.db.schema import admin
from openser_py.db.schema.dbctl import Tool, UsageError, error, warn

EXIT_OK, EXIT_DB, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
COMMANDS = ("create", "drop", "reinit", "backup", "restore", "copy",
            "presence", "extra", "version", "help")

USAGE = """usage: openserdbctl [options] <command> [args]

commands:
  create [db]        create the database and the standard tables (idempotent:
                     existing tables are kept, missing ones created, version
                     rows checked); asks for the presence/extra groups
                     (INSTALL_PRESENCE_TABLES / INSTALL_EXTRA_TABLES)
  drop [db]          drop the database (PGSQL: also its rw/ro users)
  reinit [db]        drop + create
  backup <file>      write a portable SQL dump of DBNAME to <file> (- = stdout)
  restore <file>     load a dump written by backup into DBNAME
  copy <new_db>      dump DBNAME and restore it into the new database <new_db>
  presence           add the presence tables (presentity, active_watchers, ...)
  extra              add the extra tables (imc, cpl, siptrace, domainpolicy,
                     carrierroute)
  version            print the version
  help               this text

options:
  -e, --engine ENGINE     DBENGINE: MYSQL, PGSQL or SQLITE
  -H, --host HOST         DBHOST (default localhost)
  -P, --port PORT         DBPORT (default 3306 / 5432)
  -d, --dbname NAME       DBNAME (default openser); SQLITE: the database file
  -u, --root-user USER    DBROOTUSER (default root, PGSQL postgres)
  --rw-user USER          DBRWUSER      --ro-user USER   DBROUSER
  --db-path FILE          DB_PATH: the SQLite database file
  --rc FILE               read this openserctlrc after the default ones
  -y, --yes               answer yes to every question (non-interactive)
  -n, --dry-run           print the SQL and touch nothing (no connection)

passwords are never taken from the command line: DBROOTPW, DBRWPW, DBROPW
come from the environment (OPENSER_DBROOTPW, OPENSER_DBRWPW, OPENSER_DBROPW),
then the openserctlrc files, else they are asked for on a terminal.

exit status: 0 success, 1 database error, 2 usage error (or a destructive
command refused without -y and without a terminal), 3 the database server
(or SQLite file) cannot be reached.
"""


class Settings:
    """The merged openserctlrc values and options of one run."""

    def __init__(self, rc, opts):
        self.rc = rc
        pick = lambda opt, key, default=None: (  # noqa: E731
            opt if opt not in (None, "") else (rc.get(key) or default))
        raw_engine = pick(opts.engine, "DBENGINE")
        if not raw_engine:
            raise UsageError("DBENGINE is not set (openserctlrc or -e MYSQL|"
                             "PGSQL|SQLITE)")
        self.engine = admin.engine_name(raw_engine)
        if not self.engine:
            raise UsageError("DBENGINE %s is not supported by openserdbctl "
                             "(MYSQL, PGSQL or SQLITE)" % raw_engine)
        pg = self.engine == "PGSQL"
        self.host = pick(opts.host, "DBHOST", "localhost")
        self.port = pick(opts.port, "DBPORT", "5432" if pg else "3306")
        try:
            int(self.port)
        except ValueError:
            raise UsageError("DBPORT %r is not a number" % self.port) from None
        self.dbname = pick(opts.dbname, "DBNAME", "openser")
        self.root_user = pick(opts.root_user, "DBROOTUSER",
                              "postgres" if pg else "root")
        self.rw_user = pick(opts.rw_user, "DBRWUSER", "openser")
        self.ro_user = pick(opts.ro_user, "DBROUSER", "openserro")
        self.db_path = pick(opts.db_path, "DB_PATH")
        if self.engine == "SQLITE" and opts.dbname and not opts.db_path:
            self.db_path = opts.dbname       # -d beats DB_PATH of an rc file
        self.charset = rc.get("CHARSET") or "latin1"
        self.yes = opts.yes
        self.dry_run = opts.dry_run
        self.tty = sys.stdin.isatty()

    def secret(self, name):
        """Password *name* (DBROOTPW...) from the environment or rc; None."""
        for key in ("OPENSER_" + name, name):
            if os.environ.get(key) is not None:
                return os.environ[key]
        return self.rc.get(name)

    def prompt(self, text):
        """Ask for a password on the terminal (None without a terminal)."""
        if not self.tty:
            return None
        return getpass.getpass(text)

    def ask(self, question, setting=None):
        """yes/no question; *setting* (yes/no/ask) may answer it."""
        value = (self.rc.get(setting) or "ask").lower() if setting else "ask"
        if value in ("yes", "y", "1"):
            return True
        if value in ("no", "n", "0"):
            return False
        if self.yes:
            return True
        if not self.tty:
            return False
        answer = input("%s (y/n): " % question).strip().lower()
        return answer in ("y", "yes")


def build_parser():
    ap = argparse.ArgumentParser(prog="openserdbctl", add_help=False,
                                 usage=argparse.SUPPRESS)
    ap.add_argument("-h", "--help", action="store_true")
    ap.add_argument("-V", "--version", action="store_true")
    ap.add_argument("-e", "--engine")
    ap.add_argument("-H", "--host")
    ap.add_argument("-P", "--port")
    ap.add_argument("-d", "--dbname")
    ap.add_argument("-u", "--root-user")
    ap.add_argument("--rw-user")
    ap.add_argument("--ro-user")
    ap.add_argument("--db-path")
    ap.add_argument("--rc")
    ap.add_argument("-y", "--yes", action="store_true")
    ap.add_argument("-n", "--dry-run", action="store_true")
    ap.add_argument("words", nargs="*")
    return ap


def parse_args(argv):
    """Options may appear anywhere; UsageError on a bad command line."""
    ap = build_parser()

    def fail(message):
        raise UsageError(message)
    ap.error = fail
    return ap.parse_intermixed_args(argv)


def dispatch(tool, command, args):
    if command == "create":
        if len(args) > 1:
            raise UsageError("create takes at most one argument")
        return tool.cmd_create(args)
    if command == "drop":
        return tool.cmd_drop(args)
    if command == "reinit":
        return tool.cmd_reinit(args)
    if command == "backup":
        return tool.cmd_backup(args)
    if command == "restore":
        return tool.cmd_restore(args)
    if command == "copy":
        return tool.cmd_copy(args)
    return tool.cmd_group(args, command)


def main(argv=None):
    """Entry point (console script and sbin/openserdbctl); returns the
    exit status."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        opts = parse_args(argv)
        words = opts.words
        if opts.version or (words and words[0] == "version"):
            print("openserdbctl for %s" % version.FULL_VERSION)
            return EXIT_OK
        if opts.help or (words and words[0] == "help"):
            print(USAGE, end="")
            return EXIT_OK
        if not words:
            raise UsageError("no command given")
        command, args = words[0], words[1:]
        if command not in COMMANDS:
            raise UsageError("unknown command %r" % command)
        try:
            rc = rcmod.load_rc(opts.rc)
        except OSError as exc:
            raise UsageError("cannot read rc file %s: %s"
                             % (exc.filename, exc.strerror)) from None
        for message in rc.warnings:
            warn(message)
        tool = Tool(Settings(rc, opts))
        try:
            return dispatch(tool, command, args)
        finally:
            tool.eng.close()
    except UsageError as exc:
        error(str(exc))
        sys.stderr.write("run 'openserdbctl help' for the usage\n")
        return EXIT_USAGE
    except admin.AdminError as exc:
        error(str(exc))
        return exc.exit_code
    except BrokenPipeError:           # e.g. backup - | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_DB
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
