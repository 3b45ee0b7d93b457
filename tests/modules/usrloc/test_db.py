"""usrloc's database modes on SQLite (temp file), MariaDB and PostgreSQL.

MariaDB/PostgreSQL tests use a table name unique to the test and skip
(fail under CI=true) when the server is unreachable.
"""
import time
import uuid

import pytest

from openser_py.modules.usrloc import dlist, ul_timer
from tests.modules.registrar.reg_util import (clean_env, create_location,
                                              db_available, db_rows,
                                              drop_location, fresh_env,
                                              invite, load, register,
                                              reply_of, run, sqlite_url)

BACKENDS = ["sqlite", "mysql", "postgres"]


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    """``(url, table)`` with a fresh location-layout table."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        table = "location"
    else:
        url = db_available(request.param)
        table = "loc_" + uuid.uuid4().hex[:10]
    create_location(url, table)
    yield url, table
    clean_env()             # close connections/arena before dropping
    fresh_env()
    if request.param != "sqlite":
        drop_location(url, table)


def route(table):
    return ('if (method == "REGISTER") { save("%s"); exit; }\n'
            'if (lookup("%s")) { sl_send_reply("302", "Moved"); exit; }\n'
            'sl_send_reply("404", "Not Found");' % (table, table))


def start(url, table, mode, **ul):
    params = {"db_mode": mode, "db_url": url}
    params.update(ul)
    return load(route(table), ul_params=params)


def restart(url, table, mode):
    clean_env()
    fresh_env()
    return start(url, table, mode)


def contacts(url, table):
    return [(r[0], r[1]) for r in db_rows(url, table)]


def test_write_through_persists_and_preloads(db):
    url, table = db
    s = start(url, table, 1)
    _, sent, _ = run(s, register(contacts=("<sip:alice@10.0.0.1>;q=0.7",
                                           "<sip:alice@10.0.0.2>")))
    assert reply_of(sent)[0] == 200
    assert contacts(url, table) == [("alice", "sip:alice@10.0.0.1"),
                                    ("alice", "sip:alice@10.0.0.2")]
    row = [r for r in db_rows(url, table) if r[1] == "sip:alice@10.0.0.1"][0]
    assert row[2:4] == ("reg-1@x", 1) and abs(row[5] - 0.7) < 0.001
    # refresh: the row is updated, not duplicated
    run(s, register(contacts=("<sip:alice@10.0.0.1>;q=0.7",), cseq=2))
    assert [r[3] for r in db_rows(url, table)] == [2, 1]
    # "restart": a new arena, the preload finds both contacts
    s = restart(url, table, 1)
    rec = dlist.find_domain(table).get_urecord("alice")
    assert [c.c for c in rec.contacts] == ["sip:alice@10.0.0.1",
                                           "sip:alice@10.0.0.2"]
    assert rec.contacts[0].q == 700 and rec.contacts[0].cseq == 2
    msg, sent, _ = run(s, invite())
    assert msg.new_uri == "sip:alice@10.0.0.1"
    # un-register one: its row goes
    run(s, register(contacts=("<sip:alice@10.0.0.2>;expires=0",), cseq=3))
    assert contacts(url, table) == [("alice", "sip:alice@10.0.0.1")]


def test_write_back_writes_on_timer_and_expires_rows(db):
    url, table = db
    s = start(url, table, 2)
    run(s, register(contacts=("<sip:bob@10.0.0.1>;expires=100",
                              "<sip:bob@10.0.0.2>;expires=1000"), user="bob"))
    assert contacts(url, table) == []
    now = int(time.time())
    ul_timer.synchronize_all(now)
    assert len(contacts(url, table)) == 2
    ul_timer.synchronize_all(now + 500)          # first one expired
    assert contacts(url, table) == [("bob", "sip:bob@10.0.0.2")]
    rec = dlist.find_domain(table).get_urecord("bob")
    assert [c.c for c in rec.contacts] == ["sip:bob@10.0.0.2"]
    # un-register: tombstone until the timer deletes the row
    run(s, register(contacts=("*",), expires=0, user="bob", cseq=2))
    assert len(contacts(url, table)) == 1
    ul_timer.synchronize_all(now + 501)
    assert contacts(url, table) == []
    assert dlist.find_domain(table).get_urecord("bob") is None


def test_db_only_mode(db):
    url, table = db
    s = start(url, table, 3)
    run(s, register(contacts=("<sip:carol@10.0.0.1>;expires=100",
                              "<sip:carol@10.0.0.2>;q=1"), user="carol"))
    assert len(contacts(url, table)) == 2
    assert dlist.find_domain(table).table is None        # no memory cache
    msg, _, _ = run(s, invite("sip:carol@example.com"))
    assert msg.new_uri == "sip:carol@10.0.0.2"
    # CSeq rules work against the DB copy too
    _, sent, _ = run(s, register(contacts=("<sip:carol@10.0.0.1>",),
                                 user="carol", cseq=0))
    assert reply_of(sent)[0] == 400
    ul_timer.synchronize_all(int(time.time()) + 500)
    assert contacts(url, table) == [("carol", "sip:carol@10.0.0.2")]


def test_wrong_table_version_fails_startup(db):
    url, table = db
    from openser_py.db import api as db_api
    dbf = db_api.bind_dbmod(url)
    con = dbf.init(url)
    con.use_table("version")
    con.update(["table_name"], ["="], [table], ["table_version"], [3])
    con.close()
    with pytest.raises(ValueError, match="invalid table version"):
        start(url, table, 1)


def _rename(url, a, b):
    from openser_py.db import api as db_api
    dbf = db_api.bind_dbmod(url)
    con = dbf.init(url)
    try:
        con.raw_query("ALTER TABLE %s RENAME TO %s" % (a, b))
    finally:
        con.close()


def test_outage_memory_mode_serves_and_retries(tmp_path):
    url = sqlite_url(tmp_path)
    create_location(url)
    s = start(url, "location", 1)
    _rename(url, "location", "location_away")       # the DB "goes away"
    _, sent, _ = run(s, register(contacts=("<sip:dave@10.0.0.9>",), user="dave"))
    assert reply_of(sent)[0] == 200
    msg, _, _ = run(s, invite("sip:dave@example.com"))
    assert msg.new_uri == "sip:dave@10.0.0.9"
    c = dlist.find_domain("location").get_urecord("dave").contacts[0]
    assert c.state == 0                               # still CS_NEW
    _rename(url, "location_away", "location")       # back again
    ul_timer.synchronize_all(int(time.time()))
    assert contacts(url, "location") == [("dave", "sip:dave@10.0.0.9")]
    assert dlist.find_domain("location").get_urecord("dave").contacts[0].state == 1


def test_outage_db_only_mode_answers_500(tmp_path):
    url = sqlite_url(tmp_path)
    create_location(url)
    s = start(url, "location", 3)
    _rename(url, "location", "location_away")
    _, sent, _ = run(s, register())
    code, hdrs, raw = reply_of(sent)
    assert raw.startswith("SIP/2.0 500 Server Internal Error\r\n")
    assert hdrs["p-registrar-error"] == ["usrloc_record_get failed"]
    s2 = load('lookup("location"); $var(x) = $retcode; '
              'sl_send_reply("499", "rc $var(x)");',
              ul_params={"db_mode": 3, "db_url": url})
    _, sent, _ = run(s2, invite())
    assert sent[0][3].startswith(b"SIP/2.0 499 rc -3")
