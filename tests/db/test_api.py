"""The DB API contract on every backend: sqlite, MariaDB, PostgreSQL.

Each test gets its own uniquely named table (conftest ``table``):
id (auto increment), username, domain (nullable), q, cseq, expires
(DATETIME), body (BLOB), unique key (username, domain).
"""
import datetime

import pytest

from openser_py.db import api

pytestmark = pytest.mark.db

COLS = ["username", "domain", "q", "cseq", "expires", "body"]
T0 = datetime.datetime(2024, 2, 29, 23, 59, 58)


def row(user, domain="example.com", q=0.5, cseq=1, expires=T0, body=None):
    return [user, domain, q, cseq, expires, body]


def fill(con, n=3):
    for i in range(n):
        assert con.insert(COLS, row("u%d" % i, cseq=i + 1)) == 1


def test_insert_and_query(con, table):
    fill(con)
    res = con.query()
    assert len(res) == 3
    assert res.col_names == ["id"] + COLS
    res = con.query(["username"], None, ["u1"], ["username", "cseq"])
    assert res.col_names == ["username", "cseq"]
    assert res.rows == [("u1", 2)]
    assert con.query(["username"], ["="], ["nobody"]).rows == []


def test_update_and_delete(con, table):
    fill(con)
    n = con.update(["cseq"], [">="], [2], ["domain", "q"], ["b.org", 1.0])
    assert n == 2
    res = con.query(["domain"], None, ["b.org"], ["username"],
                    order="username")
    assert [r[0] for r in res] == ["u1", "u2"]
    # matched rows count even when the values do not change
    assert con.update(["username"], None, ["u1"], ["q"], [1.0]) == 1
    assert con.delete(["username"], None, ["u0"]) == 1
    assert len(con.query()) == 2
    assert con.delete() == 2            # no keys: every row
    assert len(con.query()) == 0


@pytest.mark.parametrize("op,value,expect", [
    (api.OP_EQ, 2, [2]), (api.OP_LT, 2, [1]), (api.OP_GT, 2, [3, 4]),
    (api.OP_LEQ, 2, [1, 2]), (api.OP_GEQ, 3, [3, 4]),
    (api.OP_NEQ, 2, [1, 3, 4]),
])
def test_operators(con, table, op, value, expect):
    fill(con, 4)
    res = con.query(["cseq"], [op], [value], ["cseq"], order="cseq")
    assert [r[0] for r in res] == expect


def test_several_keys_are_anded(con, table):
    fill(con, 4)
    res = con.query(["cseq", "cseq"], [">", "<"], [1, 4], ["cseq"],
                    order="cseq")
    assert [r[0] for r in res] == [2, 3]


def test_order(con, table):
    for user, cseq in (("b", 2), ("c", 1), ("a", 3)):
        con.insert(["username", "cseq"], [user, cseq])
    assert [r[0] for r in con.query(cols=["username"], order="username")] \
        == ["a", "b", "c"]
    assert [r[0] for r in con.query(cols=["username"],
                                    order="cseq DESC")] == ["a", "b", "c"]
    assert [r[0] for r in con.query(cols=["username"], order="cseq")] \
        == ["c", "b", "a"]
    con.insert(["username", "cseq"], ["d", 1])
    assert [r[0] for r in con.query(cols=["username"],
                                    order=["cseq", "username DESC"])] \
        == ["d", "c", "b", "a"]


def test_nulls(con, table):
    con.insert(["username", "domain", "q"], ["n", None, None])
    con.insert(["username", "domain", "q"], ["d", "x.org", 1.5])
    assert con.query(["username"], None, ["n"], ["domain", "q", "expires",
                                                 "body"]).rows \
        == [(None, None, None, None)]
    assert con.query(["domain"], None, [None], ["username"]).rows == [("n",)]
    assert con.query(["domain"], ["!="], [None], ["username"]).rows \
        == [("d",)]
    con.update(["username"], None, ["d"], ["domain"], [None])
    assert len(con.query(["domain"], None, [None])) == 2


def test_datetime_round_trip(con, table):
    later = datetime.datetime(2030, 12, 31, 0, 0, 1)
    con.insert(["username", "expires"], ["a", T0])
    con.insert(["username", "expires"], ["b", later])
    value = con.query(["username"], None, ["a"], ["expires"]).rows[0][0]
    assert isinstance(value, datetime.datetime) and value == T0
    res = con.query(["expires"], ["<"], [datetime.datetime(2025, 1, 1)],
                    ["username"])
    assert res.rows == [("a",)]
    res = con.query(["expires"], [">="], [later], ["username"])
    assert res.rows == [("b",)]
    # an aware datetime is stored as local time
    aware = later.astimezone(datetime.timezone.utc)
    assert con.query(["expires"], None, [aware], ["username"]).rows \
        == [("b",)]


def test_blob_round_trip(con, table):
    data = bytes(range(256)) + b"\x00' OR 1=1 --"
    con.insert(["username", "body"], ["blob", data])
    value = con.query(["username"], None, ["blob"], ["body"]).rows[0][0]
    assert isinstance(value, bytes) and value == data
    assert con.query(["body"], None, [data], ["username"]).rows \
        == [("blob",)]


def test_numbers_and_unicode(con, table):
    con.insert(["username", "q", "cseq"], ["Zoë ☎ 😀", 0.25, -2147483648])
    assert con.query(cols=["username", "q", "cseq"]).rows \
        == [("Zoë ☎ 😀", 0.25, -2147483648)]


EVIL = ["x' OR '1'='1", "x\" OR \"1\"=\"1", "a\\", "50% ?", "`; DROP "
        "TABLE version; --", "'); DELETE FROM t; --", "%s %(x)s ?"]


def test_injection_looking_values_are_stored_and_matched_literally(con,
                                                                   table):
    for i, v in enumerate(EVIL):
        con.insert(["username", "domain", "cseq"], [v, v, i])
    con.insert(["username", "cseq"], ["x", 99])
    assert len(con.query()) == len(EVIL) + 1
    for i, v in enumerate(EVIL):
        assert con.query(["username"], None, [v], ["domain", "cseq"]).rows \
            == [(v, i)]
        assert con.update(["domain"], None, [v], ["q"], [float(i)]) == 1
    assert con.query(["username"], None, ["x' OR '1'='1"],
                     ["cseq"]).rows == [(0,)]
    assert con.delete(["username"], None, [EVIL[0]]) == 1
    assert len(con.query()) == len(EVIL)


def test_raw_query_with_placeholders(con, table):
    n = con.raw_query("INSERT INTO %s (username, domain, cseq) VALUES "
                      "(?, ?, ?)" % table, ("r'1", "50%", 7))
    assert n.affected == 1
    res = con.raw_query("SELECT username, cseq, '?' FROM %s WHERE "
                        "domain = ? AND cseq > ?" % table, ["50%", 6])
    assert res.rows == [("r'1", 7, "?")]
    assert con.raw_query("SELECT cseq FROM %s WHERE username LIKE '%%'"
                         % table).rows == [(7,)]
    assert con.raw_query("UPDATE %s SET cseq = cseq + 1" % table).affected \
        == 1
    with pytest.raises(api.DbError):
        con.raw_query("SELECT no_such_column FROM %s" % table)
    # the connection is still usable after a statement error
    assert con.query(cols=["cseq"]).rows == [(8,)]


def test_replace(con, table):
    con.insert(COLS, row("alice", cseq=1, body=b"old"))
    con.replace(["username", "domain", "cseq"], ["alice", "example.com", 2])
    res = con.query(cols=["username", "domain", "cseq"])
    assert res.rows == [("alice", "example.com", 2)]
    con.replace(["username", "domain", "cseq"], ["bob", "example.com", 3])
    assert len(con.query()) == 2
    # REPLACE replaces the whole row: columns not given get their default
    assert con.query(["username"], None, ["alice"], ["body"]).rows \
        == [(None,)]


def test_replace_by_primary_key_and_unique_key(con, table):
    con.insert(["username", "domain", "cseq"], ["a", "d", 1])
    con.insert(["username", "domain", "cseq"], ["b", "d", 2])
    (ida,), = con.query(["username"], None, ["a"], ["id"]).rows
    # collides with row "a" by id and with row "b" by (username, domain)
    con.replace(["id", "username", "domain", "cseq"], [ida, "b", "d", 9])
    assert con.query(cols=["id", "username", "cseq"]).rows == [(ida, "b", 9)]


def test_insert_update(con, table):
    con.insert(COLS, row("alice", cseq=1, body=b"keep"))
    (id1,), = con.query(cols=["id"]).rows
    con.insert_update(["username", "domain", "cseq", "q"],
                      ["alice", "example.com", 5, 1.0])
    res = con.query(cols=["id", "cseq", "q", "body"])
    # same row, given columns updated, others kept
    assert res.rows == [(id1, 5, 1.0, b"keep")]
    con.insert_update(["username", "domain", "cseq"], ["bob", "b.org", 6])
    assert [r[0] for r in con.query(cols=["username"], order="id")] \
        == ["alice", "bob"]


def test_last_inserted_id(con, table):
    con.insert(["username"], ["a"])
    first = con.last_inserted_id()
    con.insert(["username"], ["b"])
    second = con.last_inserted_id()
    assert first > 0 and second > first
    ids = dict(con.query(cols=["username", "id"]).rows)
    assert ids == {"a": first, "b": second}
    con.query()                     # a SELECT does not reset it
    assert con.last_inserted_id() == second


def test_use_table_and_identifier_validation(con, table):
    with pytest.raises(api.DbError):
        con.use_table("location; DROP TABLE version")
    assert con.table == table
    with pytest.raises(api.DbError):
        con.query(cols=["username FROM x --"])
    with pytest.raises(api.DbError):
        con.insert(["user name"], ["a"])
    con2 = con.dbf.init(con.url)
    try:
        with pytest.raises(api.DbError, match="no table selected"):
            con2.query()
    finally:
        con2.close()
    with pytest.raises(api.DbError, match="closed"):
        con2.query()


def test_unique_violation_is_a_dberror_not_a_connection_error(con, table):
    con.insert(["username", "domain"], ["a", "d"])
    with pytest.raises(api.DbError) as ei:
        con.insert(["username", "domain"], ["a", "d"])
    assert not isinstance(ei.value, api.DbConnectionError)
    assert len(con.query()) == 1


def test_c_style_wrappers(dbf, con, table):
    dbf.use_table(con, table)
    dbf.insert(con, ["username", "cseq"], ["w", 1])
    dbf.update(con, ["username"], None, ["w"], ["cseq"], [2])
    assert dbf.query(con, ["username"], None, ["w"], ["cseq"]).rows \
        == [(2,)]
    assert dbf.has_cap(api.DB_CAP_REPLACE)
    assert dbf.delete(con, ["username"], None, ["w"]) == 1


def test_table_version(backend, fresh_db_url):
    dbf = api.bind_dbmod(fresh_db_url)
    con = dbf.init(fresh_db_url)
    try:
        con.raw_query("CREATE TABLE version (table_name VARCHAR(32) NOT "
                      "NULL, table_version INTEGER DEFAULT 0 NOT NULL)")
        con.use_table("version")
        con.insert(["table_name", "table_version"], ["location", 1004])
        con.insert(["table_name", "table_version"], ["subscriber", 6])
        con.use_table("subscriber")
        assert api.table_version(dbf, con, "location") == 1004
        assert api.table_version(dbf, con, "subscriber") == 6
        assert api.table_version(dbf, con, "missing") == 0
        assert con.table == "subscriber"          # kept
        assert api.check_table_version(dbf, con, "location", 1004)
        assert not api.check_table_version(dbf, con, "location", 1003)
        with pytest.raises(api.DbError):
            api.table_version(dbf, con, "bad name")
    finally:
        con.close()
