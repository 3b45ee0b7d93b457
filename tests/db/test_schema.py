"""The schema definition against reference section 8, and its DDL on the
three engines (SQLite always; MariaDB and PostgreSQL when reachable, which
CI requires)."""
import sqlite3
import uuid

import pytest

from openser_py.db import schema
from openser_py.db.schema import ddl
from openser_py.db.schema.model import DATETIME, FLOAT, STRING
from tests.conftest import require_service

# reference 8.1: the version rows of 1.3's creation scripts
REFERENCE_VERSIONS = {
    "acc": 4, "missed_calls": 3, "subscriber": 6, "location": 1004,
    "aliases": 1004, "dbaliases": 1, "domain": 1, "grp": 2, "re_grp": 1,
    "uri": 1, "trusted": 4, "address": 3, "dispatcher": 1,
    "usr_preferences": 2, "speed_dial": 2, "silo": 5, "dialog": 2, "gw": 5,
    "gw_grp": 1, "lcr": 2, "pdt": 1,
    "active_watchers": 9, "presentity": 2, "watchers": 3, "xcap": 3,
    "pua": 5, "rls_presentity": 0, "rls_watchers": 1, "imc_rooms": 1,
    "imc_members": 1, "cpl": 1, "sip_trace": 1, "domainpolicy": 2,
    "carrierroute": 1, "route_tree": 1,
}
# reference 10.2: STANDARD_TABLES and PRESENCE_TABLES of 1.3's openserdbctl
STANDARD_TABLES = ("version acc dbaliases lcr domain grp uri speed_dial gw pdt "
                   "subscriber location re_grp trusted address missed_calls "
                   "usr_preferences aliases gw_grp silo dialog dispatcher").split()
PRESENCE_TABLES = ("presentity active_watchers watchers xcap pua "
                   "rls_presentity rls_watchers").split()


def names(group):
    return [t.name for t in schema.tables(group)]


def test_groups_match_openserdbctl_lists():
    assert sorted(names("standard")) == sorted(STANDARD_TABLES)
    assert names("standard")[0] == "version"
    assert sorted(names("presence")) == sorted(PRESENCE_TABLES)
    assert sorted(names("extra")) == sorted(
        ["imc_rooms", "imc_members", "cpl", "sip_trace", "domainpolicy",
         "carrierroute", "route_tree"])
    assert len(names("all")) == len(set(names("all"))) == 36


@pytest.mark.parametrize("name,version", sorted(REFERENCE_VERSIONS.items()))
def test_version_rows_match_reference(name, version):
    assert schema.table(name).version == version
    assert schema.VERSIONS[name] == version


def test_every_table_has_a_version_row_except_version():
    assert set(schema.VERSIONS) == set(names("all")) - {"version"}
    assert set(schema.VERSIONS) == set(REFERENCE_VERSIONS)


def test_id_column_everywhere_but_version_and_gw_grp():
    for tab in schema.tables("all"):
        if tab.name in ("version", "gw_grp", "route_tree"):
            continue
        idc = tab.columns[0]
        assert (idc.name, idc.autoinc, idc.unsigned, idc.size) == \
            ("id", True, True, 10), tab.name
    assert schema.table("version").primary_key == []
    assert schema.table("gw_grp").autoinc_column.name == "grp_id"


def test_subscriber_layout():
    sub = schema.table("subscriber")
    assert sub.column_names == [
        "id", "username", "domain", "password", "first_name", "last_name",
        "email_address", "datetime_created", "ha1", "ha1b", "timezone", "rpid"]
    pw = sub.column("password")
    assert (pw.type, pw.size, pw.null, pw.default) == (STRING, 25, False, "")
    assert sub.column("datetime_created").default == "1900-01-01 00:00:01"
    assert sub.column("rpid").null and sub.column("rpid").default is None
    keys = {k.name: (k.columns, k.unique) for k in sub.keys}
    assert keys == {"account_idx": (("username", "domain"), True),
                    "username_idx": (("username",), False)}


def test_location_and_aliases_share_the_layout():
    loc, als = schema.table("location"), schema.table("aliases")
    assert loc.column_names == als.column_names
    assert loc.column("expires").type == DATETIME
    assert loc.column("expires").default == "2020-05-28 21:32:15"
    q = loc.column("q")
    assert (q.type, q.size, q.default) == (FLOAT, "10,2", 1.0)
    assert loc.column("callid").default == "Default-Call-ID"
    assert loc.column("cseq").default == 13
    assert loc.column("domain").null and loc.column("methods").null
    assert [k.name for k in loc.keys] == ["account_contact_idx"]
    assert [k.name for k in als.keys] == ["alias_idx"]
    assert loc.keys[0].columns == ("username", "domain", "contact")


def test_acc_and_missed_calls_identical_columns():
    acc, mc = schema.table("acc"), schema.table("missed_calls")
    assert acc.column_names == mc.column_names == [
        "id", "method", "from_tag", "to_tag", "callid", "sip_code",
        "sip_reason", "time"]
    assert acc.column("time").type == DATETIME and not acc.column("time").null


def test_mysql_ddl_is_the_13_layout():
    sql = ddl.create_table_statements("mysql", schema.table("location"))
    assert len(sql) == 1
    assert "id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL" in sql[0]
    assert "q FLOAT(10,2) NOT NULL DEFAULT 1.0" in sql[0]
    assert "KEY account_contact_idx (username, domain, contact)" in sql[0]
    assert "ENGINE=MyISAM" in sql[0]
    sub = ddl.create_table_statements("mysql", schema.table("subscriber"))[0]
    assert "UNIQUE KEY account_idx (username, domain)" in sub


def test_postgres_differences():
    loc = ddl.create_table_statements("postgres", schema.table("location"))
    assert "id SERIAL PRIMARY KEY NOT NULL" in loc[0]
    assert "expires TIMESTAMP WITHOUT TIME ZONE NOT NULL" in loc[0]
    assert "q REAL NOT NULL" in loc[0]
    assert "UNSIGNED" not in loc[0] and "INT(" not in loc[0]
    assert loc[1] == ("CREATE INDEX location_account_contact_idx ON location "
                      "(username, domain, contact)")
    acc = ddl.create_table_statements("postgres", schema.table("acc"))
    assert acc[1] == "CREATE INDEX acc_callid_idx ON acc (callid)"
    sub = ddl.create_table_statements("postgres", schema.table("subscriber"))
    assert "CONSTRAINT subscriber_account_idx UNIQUE (username, domain)" in sub[0]
    assert "BYTEA" in ddl.create_table_statements(
        "postgres", schema.table("silo"))[0]


def test_create_statements_insert_version_rows():
    stmts = schema.create_statements("sqlite", "standard")
    inserts = [s for s in stmts if s.startswith("INSERT INTO version")]
    assert len(inserts) == len(STANDARD_TABLES) - 1
    assert ("INSERT INTO version (table_name, table_version) VALUES "
            "('location', 1004)") in inserts
    assert schema.create_statements("sqlite", tables=["acc"],
                                    with_version=False)[0].startswith(
        "CREATE TABLE acc (")


def test_drop_statements():
    drops = schema.drop_statements("mysql", "presence")
    assert drops[0] == "DROP TABLE IF EXISTS rls_watchers"
    assert drops[-1].startswith("DELETE FROM version WHERE table_name IN (")
    assert "'presentity'" in drops[-1]
    std = schema.drop_statements("sqlite", "standard")
    assert std[-1] == "DROP TABLE IF EXISTS version"      # dropped last
    assert not any(d.startswith("DELETE") for d in std)   # nothing to clean


def test_bad_dialect_and_group():
    with pytest.raises(ValueError):
        schema.create_statements("oracle")
    with pytest.raises(ValueError):
        schema.tables("serweb")


def test_literal():
    assert schema.literal(None) == "NULL"
    assert schema.literal("it's") == "'it''s'"
    assert schema.literal(b"\x00\xff") == "X'00FF'"
    assert schema.literal(7) == "7"


def _check_created(rows, cur_tables):
    assert set(cur_tables) >= set(names("all"))
    assert dict(rows) == REFERENCE_VERSIONS


def test_all_ddl_executes_on_sqlite():
    con = sqlite3.connect(":memory:")
    for sql in schema.create_statements("sqlite", "all"):
        con.execute(sql)
    tabs = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type='table'")]
    _check_created(con.execute("SELECT * FROM version").fetchall(), tabs)
    # defaults work: a location row with only the username
    con.execute("INSERT INTO location (username) VALUES ('alice')")
    row = con.execute("SELECT q, cseq, callid, expires FROM location").fetchone()
    assert row == (1.0, 13, "Default-Call-ID", "2020-05-28 21:32:15")
    for sql in schema.drop_statements("sqlite", "all"):
        con.execute(sql)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE "
                       "type='table' AND name NOT LIKE 'sqlite_%'").fetchone() == (0,)


def test_all_ddl_executes_on_mariadb():
    require_service("127.0.0.1", 3306, "MariaDB")
    import pymysql
    name = "openser_t_%s" % uuid.uuid4().hex[:10]
    con = pymysql.connect(host="127.0.0.1", user="root", password="",
                          autocommit=True)
    cur = con.cursor()
    # utf8mb4 server default: the tables carry their own latin1 charset
    cur.execute("CREATE DATABASE %s CHARACTER SET utf8mb4" % name)
    try:
        cur.execute("USE %s" % name)
        for sql in schema.create_statements("mysql", "all"):
            cur.execute(sql)
        cur.execute("SHOW TABLES")
        tabs = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT table_name, table_version FROM version")
        _check_created(cur.fetchall(), tabs)
        cur.execute("SELECT ENGINE FROM information_schema.TABLES WHERE "
                    "TABLE_SCHEMA=%s AND TABLE_NAME='location'", (name,))
        assert cur.fetchone()[0] == "MyISAM"
        cur.execute("INSERT INTO subscriber (username, domain) VALUES "
                    "('a', 'd')")
        with pytest.raises(pymysql.err.IntegrityError):
            cur.execute("INSERT INTO subscriber (username, domain) VALUES "
                        "('a', 'd')")
    finally:
        cur.execute("DROP DATABASE %s" % name)
        con.close()


def test_all_ddl_executes_on_postgres():
    require_service("127.0.0.1", 5432, "PostgreSQL")
    import psycopg2
    name = "openser_t_%s" % uuid.uuid4().hex[:10]
    admin = psycopg2.connect(host="127.0.0.1", user="postgres",
                             dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute("CREATE DATABASE %s" % name)
    try:
        con = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=name)
        try:
            cur = con.cursor()
            for sql in schema.create_statements("postgres", "all"):
                cur.execute(sql)
            con.commit()
            cur.execute("SELECT tablename FROM pg_tables WHERE "
                        "schemaname='public'")
            tabs = [r[0] for r in cur.fetchall()]
            cur.execute("SELECT table_name, table_version FROM version")
            _check_created(cur.fetchall(), tabs)
            cur.execute("SELECT indexname FROM pg_indexes WHERE "
                        "tablename='location'")
            assert "location_account_contact_idx" in [r[0] for r in cur.fetchall()]
            cur.execute("SELECT pg_get_serial_sequence('location', 'id')")
            assert cur.fetchone()[0] == "public.location_id_seq"
        finally:
            con.close()
    finally:
        admin.cursor().execute("DROP DATABASE %s" % name)
        admin.close()
