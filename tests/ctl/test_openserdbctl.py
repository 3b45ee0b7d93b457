"""openserdbctl end to end on SQLite, and its command-line contract
(dry-run, confirmations, exit codes, unreachable servers)."""
import os
import sqlite3
import subprocess
import sys

import pytest

from openser_py.db import schema
from tests.conftest import ROOT, free_port

STANDARD = [t.name for t in schema.tables("standard")]


def dbctl(home, *args, rc=None, env=None, launcher=None):
    """Run openserdbctl as a user would (no terminal on stdin)."""
    clean = {k: v for k, v in os.environ.items()
             if k != "OPENSERCTLRC" and not k.startswith("OPENSER_DB")
             and k not in ("DBRWPW", "DBROPW", "DBROOTPW")}
    clean["HOME"] = str(home)
    clean.update(env or {})
    cmd = launcher or [sys.executable, "-m", "openser_py.ctl.openserdbctl"]
    if rc:
        cmd = cmd + ["--rc", str(rc)]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True,
                          text=True, env=clean, stdin=subprocess.DEVNULL,
                          cwd=str(home), timeout=120)


def write_rc(path, **settings):
    path.write_text("".join("%s=%s\n" % kv for kv in settings.items()))
    return path


@pytest.fixture
def lite(tmp_path):
    """(home, rc, db path) for an SQLite database in a temp dir."""
    db = tmp_path / "data" / "openser.db"
    rc = write_rc(tmp_path / "rc", DBENGINE="SQLITE", DB_PATH=str(db))
    return tmp_path, rc, db


def rows(db, sql):
    con = sqlite3.connect(str(db))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def tables_of(db):
    return {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE "
                                   "type='table' AND name NOT LIKE 'sqlite_%'")}


TRICKY = [
    ("alice", "example.com", "it's; a \"test\"\n-- not a comment", None),
    ("bob", "example.com", "caf\u00e9 \u2603 back\\slash", "+1 555"),
    ("carol", "ex'ample.org", "", ""),
]


def seed(db):
    con = sqlite3.connect(str(db))
    con.executemany("INSERT INTO subscriber (username, domain, first_name, "
                    "rpid) VALUES (?, ?, ?, ?)", TRICKY)
    con.execute("INSERT INTO silo (src_addr, dst_addr, username, domain, "
                "body) VALUES ('a', 'b', 'alice', 'example.com', ?)",
                (b"\x00\x01bin\xff'",))
    con.execute("INSERT INTO location (username, contact, q, expires) VALUES "
                "('alice', 'sip:alice@10.0.0.1', 0.5, '2030-01-02 03:04:05')")
    con.commit()
    con.close()


def snapshot(db):
    return {t: rows(db, "SELECT * FROM %s ORDER BY 1, 2" % t)
            for t in ("subscriber", "silo", "location", "version")}


def test_create_standard_tables_and_version_rows(lite):
    home, rc, db = lite
    res = dbctl(home, "create", rc=rc)
    assert res.returncode == 0, res.stderr
    assert "22 tables created" in res.stdout
    assert tables_of(db) == set(STANDARD)
    versions = dict(rows(db, "SELECT table_name, table_version FROM version"))
    assert versions == {t.name: t.version for t in schema.tables("standard")
                        if t.name != "version"}
    assert versions["location"] == 1004 and versions["subscriber"] == 6


def test_create_is_idempotent(lite):
    home, rc, db = lite
    assert dbctl(home, "create", rc=rc).returncode == 0
    seed(db)
    before = snapshot(db)
    con = sqlite3.connect(str(db))
    con.execute("DROP TABLE acc")
    con.commit()
    con.close()
    res = dbctl(home, "create", rc=rc)
    assert res.returncode == 0, res.stderr
    assert "1 tables created, 21 already present" in res.stdout
    assert "acc" in tables_of(db)
    assert snapshot(db) == before           # data and version rows kept
    assert rows(db, "SELECT count(*) FROM version WHERE table_name='acc'") == [(1,)]


def test_create_reports_version_mismatch(lite):
    home, rc, db = lite
    assert dbctl(home, "create", rc=rc).returncode == 0
    con = sqlite3.connect(str(db))
    con.execute("UPDATE version SET table_version=1003 WHERE table_name='location'")
    con.execute("DELETE FROM version WHERE table_name='domain'")
    con.commit()
    con.close()
    res = dbctl(home, "create", rc=rc)
    assert res.returncode == 1
    errors = [l for l in res.stderr.splitlines() if l.startswith("ERROR:")]
    assert len(errors) == 2
    assert "location" in errors[1] and "1003" in errors[1] and "1004" in errors[1]
    assert "domain" in errors[0] and "missing" in errors[0]


def test_dry_run_prints_sql_and_changes_nothing(lite):
    home, rc, db = lite
    res = dbctl(home, "create", "--dry-run", rc=rc)
    assert res.returncode == 0, res.stderr
    assert not db.exists()
    for name in STANDARD:
        assert "CREATE TABLE %s (" % name in res.stdout
    assert ("INSERT INTO version (table_name, table_version) VALUES "
            "('subscriber', 6);") in res.stdout
    assert "INTEGER PRIMARY KEY AUTOINCREMENT" in res.stdout
    # on an existing database: file untouched, drop/reinit dry runs too
    assert dbctl(home, "create", rc=rc).returncode == 0
    seed(db)
    data = db.read_bytes()
    for cmd in (["create", "-n"], ["drop", "-n"], ["reinit", "--dry-run"],
                ["presence", "-n"], ["extra", "-n"]):
        res = dbctl(home, *cmd, rc=rc)
        assert res.returncode == 0, (cmd, res.stderr)
        assert db.read_bytes() == data, cmd
    assert "CREATE TABLE presentity (" in dbctl(home, "presence", "-n",
                                                 rc=rc).stdout


def test_drop_needs_confirmation_without_terminal(lite):
    home, rc, db = lite
    assert dbctl(home, "create", rc=rc).returncode == 0
    for cmd in ("drop", "reinit"):
        res = dbctl(home, cmd, rc=rc)
        assert res.returncode == 2
        assert "use -y" in res.stderr
        assert db.exists()
    res = dbctl(home, "drop", "-y", rc=rc)
    assert res.returncode == 0, res.stderr
    assert not db.exists()
    # dropping what does not exist is not an error
    res = dbctl(home, "drop", "--yes", rc=rc)
    assert res.returncode == 0 and "does not exist" in res.stdout


def test_reinit_empties_the_database(lite):
    home, rc, db = lite
    assert dbctl(home, "create", rc=rc).returncode == 0
    seed(db)
    res = dbctl(home, "reinit", "-y", rc=rc)
    assert res.returncode == 0, res.stderr
    assert rows(db, "SELECT count(*) FROM subscriber") == [(0,)]
    # -y answers the presence/extra questions too
    assert tables_of(db) == {t.name for t in schema.tables("all")}


def test_backup_restore_round_trip(lite):
    home, rc, db = lite
    assert dbctl(home, "create", rc=rc).returncode == 0
    seed(db)
    before = snapshot(db)
    dumpfile = home / "backup.sql"
    res = dbctl(home, "backup", dumpfile, rc=rc)
    assert res.returncode == 0, res.stderr
    text = dumpfile.read_text()
    assert "DELETE FROM subscriber;" in text
    assert "X'000162696EFF27'" in text                  # the blob, as hex
    assert "'it''s; a \"test\"" in text
    # damage the data, then restore
    con = sqlite3.connect(str(db))
    con.execute("DELETE FROM subscriber WHERE username='bob'")
    con.execute("UPDATE location SET q=0.9")
    con.execute("INSERT INTO subscriber (username, domain) VALUES ('eve', 'x')")
    con.commit()
    con.close()
    assert dbctl(home, "restore", dumpfile, rc=rc).returncode == 2  # no -y
    res = dbctl(home, "restore", dumpfile, "-y", rc=rc)
    assert res.returncode == 0, res.stderr
    assert snapshot(db) == before
    assert rows(db, "SELECT body FROM silo") == [(b"\x00\x01bin\xff'",)]
    # restore into a database that does not exist yet creates it
    os.remove(db)
    res = dbctl(home, "restore", dumpfile, "-y", rc=rc)
    assert res.returncode == 0, res.stderr
    assert snapshot(db) == before


def test_restore_rejects_a_foreign_file(lite):
    home, rc, db = lite
    assert dbctl(home, "create", rc=rc).returncode == 0
    bad = home / "bad.sql"
    bad.write_text("DROP TABLE subscriber;\n")
    res = dbctl(home, "restore", bad, "-y", rc=rc)
    assert res.returncode == 1
    assert "not an openserdbctl dump" in res.stderr
    assert "subscriber" in tables_of(db)
    res = dbctl(home, "restore", home / "missing.sql", "-y", rc=rc)
    assert res.returncode == 2 and "cannot read" in res.stderr


def test_copy(lite):
    home, rc, db = lite
    assert dbctl(home, "create", rc=rc).returncode == 0
    seed(db)
    new = home / "copy.db"
    res = dbctl(home, "copy", new, rc=rc)
    assert res.returncode == 0, res.stderr
    assert snapshot(new) == snapshot(db)
    res = dbctl(home, "copy", new, rc=rc)                 # target exists
    assert res.returncode == 1 and "already exists" in res.stderr


def test_presence_and_extra_groups(lite):
    home, rc, db = lite
    res = dbctl(home, "presence", rc=rc)
    assert res.returncode == 1 and "does not exist" in res.stderr
    assert dbctl(home, "create", rc=rc).returncode == 0
    assert dbctl(home, "presence", rc=rc).returncode == 0
    assert dbctl(home, "extra", rc=rc).returncode == 0
    assert tables_of(db) == {t.name for t in schema.tables("all")}
    versions = dict(rows(db, "SELECT table_name, table_version FROM version"))
    assert versions["active_watchers"] == 9 and versions["domainpolicy"] == 2
    res = dbctl(home, "presence", rc=rc)                 # again: no-op
    assert res.returncode == 0 and "0 tables created" in res.stdout


def test_positional_database_and_options_override_rc(tmp_path):
    rc = write_rc(tmp_path / "rc", DBENGINE="MYSQL", DB_PATH="/nonexistent/x")
    other = tmp_path / "other.db"
    res = dbctl(tmp_path, "-e", "sqlite", "create", other, rc=rc)
    assert res.returncode == 0, res.stderr
    assert "subscriber" in tables_of(other)
    # -d names the SQLite file even when an rc file sets DB_PATH
    rc2 = write_rc(tmp_path / "rc2", DBENGINE="SQLITE",
                   DB_PATH=str(tmp_path / "rcpath.db"))
    res = dbctl(tmp_path, "-d", tmp_path / "opt.db", "create", rc=rc2)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "opt.db").exists()
    assert not (tmp_path / "rcpath.db").exists()


def test_usage_errors_exit_2(tmp_path):
    rc = write_rc(tmp_path / "rc", DBENGINE="SQLITE",
                  DB_PATH=str(tmp_path / "x.db"))
    for args in (["bogus"], [], ["backup"], ["copy"], ["restore", "a", "b"],
                 ["create", "a", "b"], ["presence", "x"], ["--nope", "create"],
                 ["-e", "DBTEXT", "create"], ["-e", "MYSQL", "-P", "x", "create"]):
        res = dbctl(tmp_path, *args, rc=rc)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert res.stderr.startswith("ERROR: "), args
    res = dbctl(tmp_path, "create", rc=tmp_path / "no-such-rc")
    assert res.returncode == 2 and "no-such-rc" in res.stderr


def test_help_documents_commands_and_exit_codes(tmp_path):
    res = dbctl(tmp_path, "help")
    assert res.returncode == 0
    for word in ("create", "drop", "reinit", "backup", "restore", "copy",
                 "presence", "extra", "--dry-run", "--yes",
                 "0 success", "1 database error", "2 usage error",
                 "3 the database server"):
        assert word in res.stdout, word
    assert dbctl(tmp_path, "--help").stdout == res.stdout
    ver = dbctl(tmp_path, "version")
    assert ver.returncode == 0 and ver.stdout.startswith("openserdbctl for openser")


@pytest.mark.parametrize("engine", ["MYSQL", "PGSQL"])
def test_unreachable_server_exit_3(tmp_path, engine):
    port = free_port(proto=__import__("socket").SOCK_STREAM)
    rc = write_rc(tmp_path / "rc", DBENGINE=engine, DBHOST="127.0.0.1",
                  DBPORT=port, DBNAME="openser_t_unreach")
    for cmd in (["create"], ["backup", tmp_path / "b.sql"], ["drop", "-y"]):
        res = dbctl(tmp_path, *cmd, rc=rc)
        assert res.returncode == 3, (cmd, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("ERROR: cannot connect to the %s server"
                                   % engine)
        assert "127.0.0.1:%d" % port in lines[0]
        assert "refused" in lines[0].lower()
    assert not (tmp_path / "b.sql").exists()


def test_unreachable_sqlite_file_exit_3(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    rc = write_rc(tmp_path / "rc", DBENGINE="SQLITE",
                  DB_PATH=str(blocker / "sub" / "x.db"))
    res = dbctl(tmp_path, "create", rc=rc)
    assert res.returncode == 3
    assert res.stderr.startswith("ERROR: cannot open SQLite database")
    res = dbctl(tmp_path, "backup", tmp_path / "b.sql", rc=rc)
    assert res.returncode == 1 and "does not exist" in res.stderr


def test_passwords_never_printed(tmp_path):
    rc = write_rc(tmp_path / "rc", DBENGINE="MYSQL", DBRWUSER="openser",
                  DBROUSER="openserro", DBNAME="openser_t_dry")
    res = dbctl(tmp_path, "create", "--dry-run", rc=rc,
                env={"OPENSER_DBRWPW": "s3cr3t-rw", "OPENSER_DBROPW": "s3cr3t-ro"})
    assert res.returncode == 0, res.stderr
    assert "s3cr3t" not in res.stdout + res.stderr
    assert "CREATE DATABASE `openser_t_dry` CHARACTER SET latin1;" in res.stdout
    assert ("CREATE USER IF NOT EXISTS 'openser'@'localhost' IDENTIFIED BY "
            "'********';") in res.stdout
    assert "GRANT SELECT ON `openser_t_dry`.* TO 'openserro'@'%';" in res.stdout
    # no --password option exists
    assert dbctl(tmp_path, "--password", "x", "create", rc=rc).returncode == 2


def test_sbin_launcher_runs_from_checkout(lite):
    home, rc, db = lite
    res = dbctl(home, "create", rc=rc,
                launcher=[sys.executable, os.path.join(ROOT, "sbin",
                                                       "openserdbctl")])
    assert res.returncode == 0, res.stderr
    assert "subscriber" in tables_of(db)


def test_restore_partial_dump_into_new_database(tmp_path):
    """A hand-written dump without the version table: the tables it names
    are created with their version rows, then filled."""
    db = tmp_path / "new.db"
    rc = write_rc(tmp_path / "rc", DBENGINE="SQLITE", DB_PATH=str(db))
    dumpfile = tmp_path / "part.sql"
    dumpfile.write_text("-- by hand\nDELETE FROM domain;\n"
                        "INSERT INTO domain (domain) VALUES ('example.com');\n"
                        "INSERT INTO domain (domain, last_modified) VALUES "
                        "('b.org', '2001-02-03 04:05:06');\n")
    res = dbctl(tmp_path, "restore", dumpfile, "-y", rc=rc)
    assert res.returncode == 0, res.stderr
    assert "2 rows restored" in res.stdout
    assert tables_of(db) == {"version", "domain"}
    assert rows(db, "SELECT * FROM version") == [("domain", 1)]
    assert rows(db, "SELECT domain, last_modified FROM domain ORDER BY id") == [
        ("example.com", "1900-01-01 00:00:01"),
        ("b.org", "2001-02-03 04:05:06")]
    # --dry-run shows what would be replayed and does nothing
    db.unlink()
    res = dbctl(tmp_path, "restore", dumpfile, "--dry-run", rc=rc)
    assert res.returncode == 0
    assert "INSERT INTO domain (domain) VALUES ('example.com');" in res.stdout
    assert not db.exists()


def _on_terminal(home, rc, answer, *args):
    """Run openserdbctl with a pseudo-terminal on stdin, typing *answer*."""
    import pty
    import select
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "OPENSERCTLRC"}
    env["HOME"] = str(home)
    proc = subprocess.Popen(
        [sys.executable, "-m", "openser_py.ctl.openserdbctl", "--rc", str(rc)]
        + list(args), stdin=slave, stdout=slave, stderr=slave, env=env,
        cwd=str(home))
    os.close(slave)
    out = b""
    try:
        for _ in range(200):                         # at most ~20 s
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 1024)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
                if b"(y/n)" in out and answer is not None:
                    os.write(master, answer.encode() + b"\n")
                    answer = None
            elif proc.poll() is not None:
                break
        return proc.wait(timeout=20), out.decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_drop_asks_on_a_terminal(lite):
    home, rc, db = lite
    assert dbctl(home, "create", rc=rc).returncode == 0
    status, out = _on_terminal(home, rc, "n", "drop")
    assert status == 2 and "drop database %s? (y/n)" % db in out
    assert db.exists()
    status, out = _on_terminal(home, rc, "y", "drop")
    assert status == 0, out
    assert not db.exists()
