"""acc in a real forked server (children=2): sipp calls through t_relay;
every answered call gives one syslog record and one DB row, every busy
call one missed-call record -- whichever worker handled the replies (tm
callbacks are found by index in every process)."""
import sqlite3

import pytest

from tests.conftest import require_tool
from tests.integration.conftest import openser  # noqa: F401 - fixture
from tests.sipp_support import SippServer, run_uac

CALLS = 10

CFG = """debug=3
children=2
listen=udp:127.0.0.1:%(port)d
disable_tcp=yes
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "acc.so"
modparam("acc", "log_flag", 1)
modparam("acc", "log_missed_flag", 2)
modparam("acc", "db_flag", 1)
modparam("acc", "db_url", "sqlite://%(db)s")

route {
    if (method == "OPTIONS") { sl_send_reply("200", "OK"); exit; }
    if (loose_route()) { t_relay(); exit; }
    if (method == "INVITE") { record_route(); setflag(1); setflag(2); }
    rewritehostport("127.0.0.1:%(uas)d");
    if (!t_relay()) { sl_reply_error(); }
}
"""


def start(openser, tmp_path, uas_port):  # noqa: F811
    db = tmp_path / "acc.db"
    con = sqlite3.connect(str(db))
    # WAL is persistent: set it once here, or the workers switching the
    # new file to WAL at the same time may see "database is locked"
    con.execute("PRAGMA journal_mode = WAL")
    from openser_py.db import schema
    for sql in schema.create_statements("sqlite", tables=["version", "acc"]):
        con.execute(sql)
    con.commit()
    con.close()
    srv = openser("", start=False)
    srv.cfg.write_text(CFG % dict(port=srv.port, db=db, uas=uas_port))
    return srv.start(), db


def acc_lines(srv, kind):
    return [ln for ln in srv.output().splitlines()
            if "ACC: %s:" % kind in ln]


@pytest.mark.parametrize("scenario,kind,code", [
    ("uas", "transaction answered", "200"),
    ("uas_486", "call missed", "486")])
def test_calls_are_accounted(openser, tmp_path, scenario, kind,  # noqa: F811
                             code):
    require_tool("sipp", "sip-tester")
    uas = SippServer(scenario, CALLS, max_seconds=60).start()
    try:
        srv, db = start(openser, tmp_path, uas.port)
        res = run_uac("uac" if code == "200" else "uac_busy", srv.port, CALLS,
                      rate=10, max_seconds=60)
        uas.wait(30)
    finally:
        uas.close()
    assert res.successful == CALLS, res.output[-2000:]
    lines = acc_lines(srv, kind)
    assert len(lines) == CALLS, srv.output()[-3000:]
    assert all(";method=INVITE;" in ln and ";code=%s;" % code in ln
               for ln in lines)
    callids = {ln.split("call_id=")[1].split(";")[0] for ln in lines}
    assert len(callids) == CALLS
    rows = sqlite3.connect(str(db)).execute(
        "SELECT method, sip_code, callid FROM acc").fetchall()
    if code == "200":
        assert sorted(r[2] for r in rows) == sorted(callids)
        assert {r[:2] for r in rows} == {("INVITE", "200")}
    else:
        assert rows == []
    assert srv.stop() == 0
