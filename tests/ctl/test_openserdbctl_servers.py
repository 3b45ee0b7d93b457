"""openserdbctl end to end on MariaDB (root@127.0.0.1:3306) and PostgreSQL
(postgres@127.0.0.1:5432): create (with users), idempotent create,
backup/restore, copy, presence/extra, drop.  Unique database and user names;
everything is dropped at the end.  Unreachable servers skip, or fail under
CI=true."""
import datetime
import sqlite3
import uuid

import pytest

from openser_py.db import schema
from tests.conftest import require_service
from tests.ctl.test_openserdbctl import dbctl, write_rc

pytestmark = pytest.mark.db

SERVERS = {
    "MYSQL": ("127.0.0.1", 3306, "root", "MariaDB"),
    "PGSQL": ("127.0.0.1", 5432, "postgres", "PostgreSQL"),
}


class Server:
    """Direct DB-API access to check what the tool did, and cleanup."""

    def __init__(self, engine):
        self.engine = engine
        self.host, self.port, self.root, what = SERVERS[engine]
        require_service(self.host, self.port, what)
        self.ph = "%s"

    def connect(self, db=None, user=None, password=None):
        if self.engine == "MYSQL":
            import pymysql
            kw = dict(host=self.host, port=self.port, user=user or self.root,
                      password=password or "", autocommit=True)
            if db:
                kw["database"] = db
            return pymysql.connect(**kw)
        import psycopg2
        con = psycopg2.connect(host=self.host, port=self.port,
                               user=user or self.root,
                               password=password, dbname=db or "postgres")
        con.autocommit = True
        return con

    def query(self, db, sql, params=()):
        con = self.connect(db)
        try:
            cur = con.cursor()
            cur.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []
        finally:
            con.close()

    def exists(self, db):
        if self.engine == "MYSQL":
            return bool(self.query(None, "SELECT 1 FROM information_schema."
                                   "SCHEMATA WHERE SCHEMA_NAME=%s", (db,)))
        return bool(self.query(None, "SELECT 1 FROM pg_database WHERE "
                               "datname=%s", (db,)))

    def tables(self, db):
        if self.engine == "MYSQL":
            return {r[0] for r in self.query(db, "SHOW TABLES")}
        return {r[0] for r in self.query(
            db, "SELECT tablename FROM pg_tables WHERE schemaname='public'")}

    def cleanup(self, dbs, users):
        for db in dbs:
            q = "`%s`" if self.engine == "MYSQL" else '"%s"'
            self.query(None, "DROP DATABASE IF EXISTS " + q % db)
        for user in users:
            if self.engine == "MYSQL":
                for host in ("localhost", "%"):
                    self.query(None, "DROP USER IF EXISTS %s@%s", (user, host))
            else:
                self.query(None, 'DROP ROLE IF EXISTS "%s"' % user)


@pytest.fixture(params=sorted(SERVERS))
def server(request, tmp_path):
    srv = Server(request.param)
    tag = uuid.uuid4().hex[:10]
    srv.db = "openser_t_%s" % tag
    srv.copy = srv.db + "_copy"
    srv.rw, srv.ro = "ost_%s_rw" % tag, "ost_%s_ro" % tag
    srv.rc = write_rc(tmp_path / "rc", DBENGINE=request.param,
                      DBHOST=srv.host, DBPORT=srv.port, DBNAME=srv.db,
                      DBROOTUSER=srv.root, DBRWUSER=srv.root)
    srv.home = tmp_path
    yield srv
    srv.cleanup([srv.db, srv.copy], [srv.rw, srv.ro])


ROWS = [
    ("alice", "example.com", "it's; a \"test\"\n-- x", None,
     datetime.datetime(2024, 2, 29, 23, 59, 58)),
    ("bob", "example.com", "caf\u00e9 back\\slash %s ?", "+1",
     datetime.datetime(1900, 1, 1, 0, 0, 1)),
]


def seed(srv, db):
    con = srv.connect(db)
    try:
        cur = con.cursor()
        cur.executemany("INSERT INTO subscriber (username, domain, "
                        "first_name, rpid, datetime_created) VALUES "
                        "(%s, %s, %s, %s, %s)", ROWS)
        cur.execute("INSERT INTO silo (src_addr, dst_addr, username, domain, "
                    "body) VALUES ('a', 'b', 'alice', 'x', %s)",
                    (b"\x00\x01\xff'\\",))
        cur.execute("INSERT INTO location (username, contact, q) VALUES "
                    "('alice', 'sip:alice@10.0.0.1', 0.5)")
    finally:
        con.close()


def snapshot(srv, db):
    out = {}
    for tab in ("subscriber", "silo", "location", "version"):
        rows = srv.query(db, "SELECT * FROM %s ORDER BY 1, 2" % tab)
        out[tab] = [tuple(bytes(v) if isinstance(v, memoryview) else v
                          for v in r) for r in rows]
    return out


def test_full_cycle(server):
    srv, home, rc = server, server.home, server.rc
    res = dbctl(home, "create", "--dry-run", rc=rc)
    assert res.returncode == 0 and "CREATE TABLE subscriber (" in res.stdout
    assert not srv.exists(srv.db)                      # dry run: untouched

    res = dbctl(home, "create", rc=rc)
    assert res.returncode == 0, res.stderr
    assert "database %s created" % srv.db in res.stdout
    assert srv.tables(srv.db) == {t.name for t in schema.tables("standard")}
    versions = dict(srv.query(srv.db, "SELECT table_name, table_version "
                                      "FROM version"))
    assert versions["subscriber"] == 6 and versions["location"] == 1004
    assert versions["acc"] == 4 and versions["aliases"] == 1004

    seed(srv, srv.db)
    before = snapshot(srv, srv.db)
    res = dbctl(home, "create", rc=rc)                 # idempotent
    assert res.returncode == 0, res.stderr
    assert "0 tables created, 22 already present" in res.stdout
    assert snapshot(srv, srv.db) == before

    dump = home / "dump.sql"
    res = dbctl(home, "backup", dump, rc=rc)
    assert res.returncode == 0, res.stderr
    srv.query(srv.db, "DELETE FROM subscriber WHERE username='bob'")
    srv.query(srv.db, "UPDATE silo SET body=%s", (b"changed",))
    res = dbctl(home, "restore", dump, "-y", rc=rc)
    assert res.returncode == 0, res.stderr
    assert snapshot(srv, srv.db) == before
    # ids keep counting after a restore (PostgreSQL sequences re-set)
    srv.query(srv.db, "INSERT INTO subscriber (username, domain) VALUES "
                      "('carol', 'x')")
    ids = [r[0] for r in srv.query(srv.db, "SELECT id FROM subscriber "
                                           "ORDER BY id")]
    assert ids == [1, 2, 3]

    res = dbctl(home, "copy", srv.copy, rc=rc)
    assert res.returncode == 0, res.stderr
    assert snapshot(srv, srv.copy) == snapshot(srv, srv.db)

    assert dbctl(home, "presence", rc=rc).returncode == 0
    assert dbctl(home, "extra", rc=rc).returncode == 0
    assert srv.tables(srv.db) == {t.name for t in schema.tables("all")}

    assert dbctl(home, "drop", rc=rc).returncode == 2   # no terminal, no -y
    assert srv.exists(srv.db)
    for db in (srv.db, srv.copy):
        res = dbctl(home, "drop", db, "-y", rc=rc)
        assert res.returncode == 0, res.stderr
        assert not srv.exists(db)


def test_reinit_and_version_mismatch(server):
    srv, home, rc = server, server.home, server.rc
    assert dbctl(home, "create", rc=rc).returncode == 0
    srv.query(srv.db, "UPDATE version SET table_version=5 WHERE "
                      "table_name='subscriber'")
    res = dbctl(home, "create", rc=rc)
    assert res.returncode == 1
    assert "ERROR: table subscriber: version row 5, openser_py expects 6" \
        in res.stderr
    seed(srv, srv.db)
    res = dbctl(home, "reinit", "-y", rc=rc)
    assert res.returncode == 0, res.stderr
    assert srv.query(srv.db, "SELECT count(*) FROM subscriber") == [(0,)]
    assert srv.query(srv.db, "SELECT table_version FROM version WHERE "
                             "table_name='subscriber'") == [(6,)]


def test_create_with_users(server):
    srv, home = server, server.home
    rc = write_rc(home / "rc-users", DBENGINE=srv.engine, DBHOST=srv.host,
                  DBPORT=srv.port, DBNAME=srv.db, DBROOTUSER=srv.root,
                  DBRWUSER=srv.rw, DBROUSER=srv.ro)
    res = dbctl(home, "create", rc=rc, env={"OPENSER_DBRWPW": "rw-Pw.1",
                                            "OPENSER_DBROPW": "ro-Pw.1"})
    assert res.returncode == 0, res.stderr
    assert "rw-Pw" not in res.stdout + res.stderr
    rw = srv.connect(srv.db, srv.rw, "rw-Pw.1")
    try:
        cur = rw.cursor()
        cur.execute("INSERT INTO domain (domain) VALUES ('example.com')")
    finally:
        rw.close()
    ro = srv.connect(srv.db, srv.ro, "ro-Pw.1")
    try:
        cur = ro.cursor()
        cur.execute("SELECT domain FROM domain")
        assert list(cur.fetchall()) == [("example.com",)]
        with pytest.raises(Exception) as info:
            cur.execute("INSERT INTO domain (domain) VALUES ('x')")
        assert "denied" in str(info.value).lower()
    finally:
        ro.close()
    res = dbctl(home, "drop", "-y", rc=rc)
    assert res.returncode == 0, res.stderr
    if srv.engine == "PGSQL":          # 1.3: PostgreSQL drop removes the users
        assert srv.query(None, "SELECT 1 FROM pg_roles WHERE rolname IN "
                               "(%s, %s)", (srv.rw, srv.ro)) == []


def test_sqlite_dump_restores_on_server(server, tmp_path):
    srv, home, rc = server, server.home, server.rc
    lite = tmp_path / "src.db"
    lrc = write_rc(tmp_path / "lrc", DBENGINE="SQLITE", DB_PATH=str(lite))
    assert dbctl(home, "create", rc=lrc).returncode == 0
    con = sqlite3.connect(str(lite))
    con.execute("INSERT INTO location (username, contact, expires, q) VALUES "
                "('al''ice', 'sip:a@b', '2031-05-06 07:08:09', 0.25)")
    con.commit()
    con.close()
    dump = tmp_path / "lite.sql"
    assert dbctl(home, "backup", dump, rc=lrc).returncode == 0
    res = dbctl(home, "restore", dump, "-y", rc=rc)
    assert res.returncode == 0, res.stderr
    row = srv.query(srv.db, "SELECT username, expires, q FROM location")
    assert row == [("al'ice", datetime.datetime(2031, 5, 6, 7, 8, 9), 0.25)]
    assert srv.tables(srv.db) >= {"location", "version", "subscriber"}
