"""openserctl database commands end to end on SQLite, MariaDB and
PostgreSQL.

Each backend gets a fresh database (SQLite: a temp file; MariaDB and
PostgreSQL: a uniquely named database, dropped afterwards) with the 1.3
tables created from :mod:`openser_py.db.schema`; the tool is run through
``main()`` with an openserctlrc whose DB_URL points there, and what it
stored is read back with plain SQL.  Unreachable servers skip, or fail
under CI=true.
"""
import hashlib
import json
import uuid

import pytest

from openser_py.db import api as db_api
from openser_py.db import schema
from tests.conftest import require_service
from tests.ctl.test_openserctl_util import run, write_rc

TABLES = ["version", "subscriber", "location", "dbaliases", "grp", "domain",
          "usr_preferences", "trusted", "address", "dispatcher"]


def _server_db(engine, tmp_path):
    name = "octl_%s" % uuid.uuid4().hex[:10]
    if engine == "mysql":
        require_service("127.0.0.1", 3306, "MariaDB")
        admin = "mysql://root@127.0.0.1:3306/test"
        create, drop = ("CREATE DATABASE %s" % name,
                        "DROP DATABASE IF EXISTS %s" % name)
        url = "mysql://root@127.0.0.1:3306/%s" % name
    else:
        require_service("127.0.0.1", 5432, "PostgreSQL")
        admin = "postgres://postgres@127.0.0.1:5432/test"
        create, drop = ("CREATE DATABASE %s" % name,
                        "DROP DATABASE IF EXISTS %s" % name)
        url = "postgres://postgres@127.0.0.1:5432/%s" % name
    con = db_api.bind_dbmod(admin).init(admin)
    con.raw_query(create)
    return url, lambda: (con.raw_query(drop), con.close())


@pytest.fixture(params=["sqlite", "mysql", "postgres"])
def db(request, tmp_path, monkeypatch):
    """``(url, con)``: an empty 1.3 database and a verification handle."""
    engine = request.param
    cleanup = None
    if engine == "sqlite":
        path = tmp_path / "openser.db"
        path.touch()
        url = "sqlite://%s" % path
    else:
        url, cleanup = _server_db(engine, tmp_path)
    con = db_api.bind_dbmod(url).init(url)
    for sql in schema.create_statements(engine, tables=TABLES):
        con.raw_query(sql)
    write_rc(tmp_path, monkeypatch, DB_URL=url, SIP_DOMAIN="example.org",
             OSER_FIFO=str(tmp_path / "no_fifo"),
             PID_FILE=str(tmp_path / "no.pid"), MI_TIMEOUT="1")
    yield url, con
    con.close()
    if cleanup:
        cleanup()


def rows(con, table, cols, where=None, params=()):
    sql = "SELECT %s FROM %s" % (", ".join(cols), table)
    if where:
        sql += " WHERE " + where
    return [tuple(r) for r in con.raw_query(sql + " ORDER BY 1", params).rows]


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def test_add_computes_rfc2617_ha1(db):
    url, con = db
    r = run("add", "alice@example.com", "s3cret", "alice@mail.test")
    assert r.status == 0, r.err
    (row,) = rows(con, "subscriber", ["username", "domain", "password",
                                      "email_address", "ha1", "ha1b"])
    # RFC 2617 3.2.2.2: A1 = user ":" realm ":" password, realm = domain
    assert row == ("alice", "example.com", "s3cret", "alice@mail.test",
                   md5("alice:example.com:s3cret"),
                   md5("alice@example.com:example.com:s3cret"))
    # the same user again: the database already has it -> status 1
    again = run("add", "alice@example.com", "x")
    assert again.status == 1 and "already exists" in again.err


def test_add_default_domain_and_json(db):
    url, con = db
    r = run("--json", "add", "bob", "pw")
    assert r.status == 0, r.err
    data = json.loads(r.out)
    assert data["domain"] == "example.org"
    assert data["ha1"] == md5("bob:example.org:pw")
    assert rows(con, "subscriber", ["username", "domain"]) == [
        ("bob", "example.org")]


def test_sql_metacharacters_stored_literally(db):
    url, con = db
    name = "o'neil\"; DROP TABLE subscriber; --%_\\"
    r = run("add", name + "@example.com", "p'w\"")
    assert r.status == 0, r.err
    got = rows(con, "subscriber", ["username", "password", "ha1"])
    assert got == [(name, "p'w\"", md5("%s:example.com:p'w\"" % name))]
    assert run("passwd", name + "@example.com", "new'").status == 0
    assert rows(con, "subscriber", ["ha1"]) == [
        (md5("%s:example.com:new'" % name),)]
    # a LIKE wildcard in the name must not match other users
    assert run("add", "o_neil@example.com", "x").status == 0
    assert run("rm", name + "@example.com").status == 0
    assert rows(con, "subscriber", ["username"]) == [("o_neil",)]


def test_passwd_rm_and_unknown_user(db):
    url, con = db
    assert run("add", "carol@example.com", "one").status == 0
    assert run("passwd", "carol@example.com", "two").status == 0
    assert rows(con, "subscriber", ["ha1", "ha1b", "password"]) == [(
        md5("carol:example.com:two"),
        md5("carol@example.com:example.com:two"), "two")]
    r = run("passwd", "nobody@example.com", "x")
    assert r.status == 1 and "non-existent" in r.err
    assert run("acl", "grant", "carol@example.com", "local").status == 0
    assert run("alias_db", "add", "c@example.com", "carol@example.com") \
        .status == 0
    r = run("rm", "carol@example.com")      # no server: usrloc part warns
    assert r.status == 0, r.err
    assert "WARNING" in r.err
    assert rows(con, "subscriber", ["username"]) == []
    assert rows(con, "grp", ["username"]) == []
    assert rows(con, "dbaliases", ["username"]) == []


def test_rpid(db):
    url, con = db
    assert run("add", "dave@example.com", "pw").status == 0
    assert run("rpid", "add", "dave@example.com",
               "<sip:+4930123@example.com>").status == 0
    r = run("--json", "rpid", "show", "dave@example.com")
    assert json.loads(r.out)["rpid"] == "<sip:+4930123@example.com>"
    assert run("rpid", "rm", "dave@example.com").status == 0
    assert rows(con, "subscriber", ["rpid"]) == [(None,)]
    assert run("rpid", "add", "ghost@example.com", "x").status == 1


def test_alias_db(db):
    url, con = db
    assert run("alias_db", "add", "sales@example.com",
               "erin@example.com").status == 0
    assert run("alias_db", "add", "sales@example.com",
               "frank@example.com").status == 1
    r = run("--json", "alias_db", "show", "sales@example.com")
    assert json.loads(r.out)["username"] == "erin"
    r = run("--json", "alias_db", "list", "erin@example.com")
    assert [a["alias_username"] for a in json.loads(r.out)] == ["sales"]
    assert run("alias_db", "rm", "sales@example.com").status == 0
    assert rows(con, "dbaliases", ["alias_username"]) == []
    assert run("alias_db", "show", "sales@example.com").status == 1


def test_acl(db):
    url, con = db
    assert run("add", "gina@example.com", "pw").status == 0
    assert run("acl", "grant", "gina@example.com", "ld").status == 0
    assert run("acl", "grant", "gina@example.com", "int").status == 0
    r = run("acl", "grant", "gina@example.com", "bogus")   # VERIFY_ACL
    assert r.status == 2 and "ACL_GROUPS" in r.err
    assert run("-o", "VERIFY_ACL=0", "acl", "grant", "gina@example.com",
               "bogus").status == 0
    r = run("--json", "acl", "show", "gina@example.com")
    assert sorted(g["grp"] for g in json.loads(r.out)) == ["bogus", "int",
                                                           "ld"]
    assert run("acl", "revoke", "gina@example.com", "ld").status == 0
    assert sorted(rows(con, "grp", ["grp"])) == [("bogus",), ("int",)]
    assert run("acl", "revoke", "gina@example.com").status == 0
    assert rows(con, "grp", ["grp"]) == []


def test_domain_db(db):
    url, con = db
    assert run("domain", "add", "Example.NET").status == 0
    assert run("domain", "add", "example.net").status == 1
    r = run("--json", "domain", "showdb")
    assert [d["domain"] for d in json.loads(r.out)] == ["example.net"]
    assert run("domain", "rm", "example.net").status == 0
    assert rows(con, "domain", ["domain"]) == []
    assert run("domain", "rm", "example.net").status == 1


def test_dispatcher_trusted_address(db):
    url, con = db
    assert run("dispatcher", "addgw", "1", "sip:10.0.0.1:5060",
               "gw one").status == 0
    assert run("dispatcher", "addgw", "x", "sip:h").status == 2
    r = run("--json", "dispatcher", "show")
    (gw,) = json.loads(r.out)
    assert (gw["setid"], gw["destination"], gw["description"]) == (
        1, "sip:10.0.0.1:5060", "gw one")
    assert run("dispatcher", "rmgw", str(gw["id"])).status == 0
    assert rows(con, "dispatcher", ["id"]) == []
    assert run("trusted", "add", "192.0.2.7", "udp", "^sip:.*$", "t1") \
        .status == 0
    assert run("trusted", "add", "192.0.2.8", "carrier-pigeon").status == 2
    assert rows(con, "trusted", ["src_ip", "proto", "from_pattern", "tag"]) \
        == [("192.0.2.7", "udp", "^sip:.*$", "t1")]
    assert run("trusted", "rm", "192.0.2.7").status == 0
    assert run("address", "add", "3", "198.51.100.1", "24", "5060") \
        .status == 0
    assert run("address", "add", "3", "not-an-ip").status == 2
    r = run("--json", "address", "list")
    assert json.loads(r.out) == [{"grp": 3, "ip_addr": "198.51.100.1",
                                  "mask": 24, "port": 5060}]
    assert run("address", "rm", "3", "198.51.100.1").status == 0
    assert rows(con, "address", ["grp"]) == []


def test_avp(db):
    url, con = db
    assert run("avp", "add", "henry@example.com", "lang", "0", "de") \
        .status == 0
    assert run("avp", "add", "uuid-17", "max", "1", "5").status == 0
    assert run("avp", "add", "uuid-17", "max", "1", "five").status == 2
    r = run("--json", "avp", "list", "-u", "henry@example.com")
    (a,) = json.loads(r.out)
    assert (a["username"], a["domain"], a["attribute"], a["value"],
            a["type"]) == ("henry", "example.com", "lang", "de", 0)
    r = run("--json", "avp", "list", "-a", "max")
    assert [x["uuid"] for x in json.loads(r.out)] == ["uuid-17"]
    assert run("avp", "rm").status == 2            # refuses to delete all
    assert run("avp", "rm", "-u", "uuid-17", "-a", "max").status == 0
    assert rows(con, "usr_preferences", ["attribute"]) == [("lang",)]


def test_showdb(db):
    url, con = db
    con.use_table("location")
    con.insert(["username", "domain", "contact", "user_agent"],
               ["ivan", "example.org", "sip:ivan@192.0.2.1", "ua/1"])
    r = run("--json", "showdb", "ivan")
    (loc,) = json.loads(r.out)
    assert loc["contact"] == "sip:ivan@192.0.2.1"
    r = run("showdb")
    assert "sip:ivan@192.0.2.1" in r.out and r.status == 0


def test_missing_table_is_status_1_with_hint(tmp_path, monkeypatch):
    path = tmp_path / "empty.db"
    path.touch()
    write_rc(tmp_path, monkeypatch, DB_URL="sqlite://%s" % path,
             SIP_DOMAIN="example.org")
    r = run("add", "x", "y")
    assert r.status == 1
    assert "openserdbctl create" in r.err


def test_unreachable_database_is_status_3(tmp_path, monkeypatch):
    from tests.conftest import free_port
    port = free_port(__import__("socket").SOCK_STREAM)
    write_rc(tmp_path, monkeypatch, DBENGINE="MYSQL", DBHOST="127.0.0.1",
             DBPORT=str(port), SIP_DOMAIN="example.org")
    r = run("--json", "add", "x", "y")
    assert r.status == 3
    err = json.loads(r.out.strip().splitlines()[-1])
    assert err["status"] == 3 and "DBHOST" in err["hint"]
    write_rc(tmp_path, monkeypatch, DBENGINE="SQLITE",
             DB_PATH=str(tmp_path / "missing.db"))
    r = run("showdb")
    assert r.status == 3 and "does not exist" in r.err
    assert not (tmp_path / "missing.db").exists()


def test_no_database_configured_is_usage(tmp_path, monkeypatch):
    write_rc(tmp_path, monkeypatch, DBENGINE="")
    r = run("acl", "show")
    assert r.status == 2 and "DBENGINE" in r.err


def test_add_refuses_existing_dbalias(db):
    url, con = db
    assert run("alias_db", "add", "info@example.com", "joe@example.com") \
        .status == 0
    r = run("-o", "ALIASES_TYPE=DB", "add", "info@example.com", "pw")
    assert r.status == 1 and "alias" in r.err
    assert rows(con, "subscriber", ["username"]) == []
    # without ALIASES_TYPE the alias is not looked at (1.3 behaviour)
    assert run("add", "info@example.com", "pw").status == 0
