"""SQL building: quoting, validation, placeholders (no server)."""
import datetime

import pytest

from openser_py.db.sql import Dialect, pick_unique_key, qmark_to_format
from openser_py.db.types import (DB_BLOB, DB_DATETIME, DB_DOUBLE, DB_INT,
                                 DB_STR, DbError, DbResult, from_db_value,
                                 type_of)

MY = Dialect("mysql", "`", "%s")
PG = Dialect("postgres", '"', "%s")
LITE = Dialect("sqlite", '"', "?")


def test_identifiers_are_quoted_per_dialect():
    assert MY.select("location", ["contact"], ["username"], None, ["a"])[0] \
        == "SELECT `contact` FROM `location` WHERE `username` = %s"
    assert PG.delete("location", ["q"], [">"], [0.5])[0] \
        == 'DELETE FROM "location" WHERE "q" > %s'
    assert LITE.insert("t", ["a", "b"], [1, 2])[0] \
        == 'INSERT INTO "t" ("a", "b") VALUES (?, ?)'


@pytest.mark.parametrize("bad", ["a b", "t;drop", "x'", "1abc", "", "a.b",
                                 "`x`", 'x"', None, 7])
def test_bad_identifiers_are_refused(bad):
    with pytest.raises(DbError):
        MY.select("t", [bad], None, None, None)
    with pytest.raises(DbError):
        PG.insert(bad, ["a"], [1])


def test_values_never_enter_the_sql_text():
    evil = "x' OR '1'='1"
    sql, params = MY.update("t", ["a"], None, [evil], ["b"], [evil])
    assert evil not in sql and params == [evil, evil]


def test_null_comparisons_use_is_null():
    sql, params = LITE.select("t", None, ["a", "b", "c"], ["=", "!=", "<"],
                              [None, None, 3])
    assert sql.endswith('WHERE "a" IS NULL AND "b" IS NOT NULL AND "c" < ?')
    assert params == [3]


def test_bad_operator_and_length_mismatch():
    with pytest.raises(DbError, match="operator"):
        MY.where(["a"], ["LIKE"], ["x"])
    with pytest.raises(DbError, match="2 keys but 1 values"):
        MY.where(["a", "b"], None, ["x"])
    with pytest.raises(DbError, match="operators"):
        MY.where(["a", "b"], ["="], ["x", "y"])


def test_order_by_forms():
    assert MY.order_by("q") == " ORDER BY `q`"
    assert MY.order_by("q desc") == " ORDER BY `q` DESC"
    assert MY.order_by(["a", "b ASC"]) == " ORDER BY `a`, `b` ASC"
    with pytest.raises(DbError):
        MY.order_by("q; DROP TABLE x")


def test_upsert_sets_every_non_key_column():
    sql, _ = PG.upsert("t", ["u", "d", "c"], [1, 2, 3], ("u", "d"))
    assert sql.endswith('ON CONFLICT ("u", "d") DO UPDATE SET "c" = '
                        'EXCLUDED."c"')
    sql, _ = PG.upsert("t", ["u"], [1], ("u",))
    assert sql.endswith("DO NOTHING")


def test_pick_unique_key():
    keys = [("id",), ("username", "domain")]
    assert pick_unique_key(keys, ["username", "domain", "x"]) == \
        ("username", "domain")
    assert pick_unique_key(keys, ["id", "username"]) == ("id",)
    assert pick_unique_key(keys, ["username"]) is None


@pytest.mark.parametrize("sql,out", [
    ("SELECT a FROM t WHERE a = ? AND b = ?",
     "SELECT a FROM t WHERE a = %s AND b = %s"),
    ("SELECT '?', \"?\", `?` FROM t WHERE x = ?",
     "SELECT '?', \"?\", `?` FROM t WHERE x = %s"),
    ("SELECT 'it''s ?' || ? -- ? comment\n", "SELECT 'it''s ?' || %s -- ? comment\n"),
    ("SELECT 5 % 2, '50%' /* ?% */ WHERE a LIKE ?",
     "SELECT 5 %% 2, '50%%' /* ?%% */ WHERE a LIKE %s"),
])
def test_qmark_to_format(sql, out):
    assert qmark_to_format(sql) == out


def test_qmark_backslash_escapes_only_for_mysql():
    assert qmark_to_format(r"SELECT 'a\'?' , ?", True) == \
        r"SELECT 'a\'?' , %s"
    assert qmark_to_format("SELECT 'a\\', ?") == "SELECT 'a\\', %s"


def test_types_and_conversions():
    import decimal
    assert [type_of(v) for v in (1, 1.5, "s", b"b",
                                 datetime.datetime(2020, 1, 1))] == \
        [DB_INT, DB_DOUBLE, DB_STR, DB_BLOB, DB_DATETIME]
    assert type_of(None) is None
    with pytest.raises(DbError):
        type_of(object())
    assert from_db_value(memoryview(b"ab")) == b"ab"
    assert from_db_value(decimal.Decimal("3")) == 3
    assert from_db_value(decimal.Decimal("0.5")) == 0.5


def test_dbresult():
    res = DbResult(["a", "b"], [(1, 2), (3, 4)])
    assert len(res) == 2 and list(res) == [(1, 2), (3, 4)]
    assert res[1] == (3, 4) and res.as_dicts()[0] == {"a": 1, "b": 2}
    assert not DbResult([], [])
