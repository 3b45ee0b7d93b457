"""acc DB accounting into OpenSER 1.3's acc / missed_calls tables (created
from the project's 1.3 schema, plus an extra column) on SQLite, MariaDB
and PostgreSQL: answered, failed, cancelled calls, acc_db_request."""
import copy
import datetime

import pytest

from openser_py.db import api as db_api
from openser_py.db import schema
from tests.db.conftest import require_backend, unique_name, url_for
from tests.modules.acc.conftest import ACC_MODS
from tests.modules.tm.proxy_util import reply_to, request

ROUTE = 'route { setflag(1); setflag(2); t_relay(); }\n'
COLS = ["method", "from_tag", "to_tag", "callid", "sip_code", "sip_reason",
        "time", "ua"]


@pytest.fixture(params=["sqlite", "mysql", "postgres"])
def acc_db(request, tmp_path):
    """(db_url, acc table, missed_calls table, connection), dropped after."""
    backend = request.param
    require_backend(backend)
    url = url_for(backend, tmp_path)
    con = db_api.bind_dbmod(url).init(url)
    names = (unique_name("acc"), unique_name("mc"))
    for base, name in zip(("acc", "missed_calls"), names):
        t = copy.copy(schema.table(base))
        t.name = name
        for sql in schema.create_table_statements(backend, t):
            con.raw_query(sql)
        con.raw_query("ALTER TABLE %s ADD COLUMN ua VARCHAR(64) DEFAULT NULL"
                      % name)
    yield url, names[0], names[1], con
    for name in names:
        con.raw_query("DROP TABLE %s" % name)
    con.close()


def config(url, acc, mc, extra=""):
    return (ACC_MODS + 'modparam("acc", "db_url", "%s")\n'
            'modparam("acc", "db_flag", 1)\nmodparam("acc", "db_missed_flag", 2)\n'
            'modparam("acc", "db_table_acc", "%s")\n'
            'modparam("acc", "db_table_missed_calls", "%s")\n'
            'modparam("acc", "db_extra", "ua=$hdr(User-Agent)")\n%s'
            % (url, acc, mc, extra))


def rows(con, table):
    con.use_table(table)
    res = con.query(cols=COLS, order="time")
    out = []
    for r in res.rows:
        r = list(r)
        t = r[6]
        if isinstance(t, str):
            t = datetime.datetime.fromisoformat(t)
        assert abs((t - datetime.datetime.now()).total_seconds()) < 10
        out.append(tuple(r[:6] + r[7:]))
    return out


def test_answered_and_failed_calls(proxy_factory, acc_db):
    url, acc, mc, con = acc_db
    p = proxy_factory(ROUTE, config(url, acc, mc))
    ua = "User-Agent: Phone/2\r\n"
    fwd = p.uac(request(extra=ua))[1][3]
    p.uas(reply_to(fwd, 200, "OK"))
    fwd = p.uac(request(callid="c2@x", branch="z9hG4bKc2", extra=ua))[1][3]
    p.uas(reply_to(fwd, 486, "Busy Here"))
    assert rows(con, acc) == [
        ("INVITE", "a1", "b2", "c1@example.com", "200", "OK", "Phone/2")]
    assert rows(con, mc) == [
        ("INVITE", "a1", "b2", "c2@x", "486", "Busy Here", "Phone/2")]


def test_cancelled_call_is_a_missed_call(proxy_factory, acc_db):
    url, acc, mc, con = acc_db
    p = proxy_factory(ROUTE, config(url, acc, mc))
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    p.uac(request("CANCEL"))
    p.uas(reply_to(fwd, 487, "Request Terminated"))
    assert rows(con, acc) == []
    assert rows(con, mc) == [("INVITE", "a1", "b2", "c1@example.com", "487",
                              "Request Terminated", "")]


def test_acc_db_request(proxy_factory, acc_db):
    url, acc, mc, con = acc_db
    p = proxy_factory('route { acc_db_request("404 Gone away", "%s"); }\n'
                      % mc, config(url, acc, mc))
    p.uac(request("MESSAGE"))
    assert rows(con, mc) == [("MESSAGE", "a1", "", "c1@example.com", "404",
                              "Gone away", "")]


def test_db_request_without_db_url_fails(proxy_factory):
    from tests.modules.tm.proxy_util import first_line
    p = proxy_factory('route { if (!acc_db_request("200 OK", "acc")) '
                      'sl_send_reply("500", "no db"); }\n', ACC_MODS)
    out = p.uac(request("MESSAGE"))
    assert [first_line(s[3]) for s in out] == ["SIP/2.0 500 no db"]
