"""openserctl's server commands against a real openser: mi_fifo and
mi_datagram, usrloc/registrar (location and aliases), tm, domain on SQLite.

One server per module; each test points openserctl at it through an
openserctlrc (FIFO, reply dir, socket, PID file).
"""
import json
import os
import socket
import time

import psutil
import pytest

from openser_py.db import api as db_api
from openser_py.db import schema
from tests.conftest import free_port
from tests.ctl.test_openserctl_util import run, write_rc
from tests.integration.conftest import OpenserProcess

ROUTE = """
if (method == "REGISTER") { save("location"); exit; }
if (method == "PUBLISH") { save("aliases"); exit; }
sl_send_reply("200", "OK");
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("octl_mi")
    dbfile = tmp / "openser.db"
    dbfile.touch()
    url = "sqlite://%s" % dbfile
    con = db_api.bind_dbmod(url).init(url)
    for sql in schema.create_statements("sqlite", tables=[
            "version", "domain", "subscriber", "location", "grp",
            "dbaliases"]):
        con.raw_query(sql)
    con.close()
    extra = "\n".join([
        'loadmodule "mi_fifo.so"', 'loadmodule "mi_datagram.so"',
        'loadmodule "tm.so"', 'loadmodule "usrloc.so"',
        'loadmodule "registrar.so"', 'loadmodule "domain.so"',
        'modparam("mi_fifo", "fifo_name", "%s/fifo")' % tmp,
        'modparam("mi_fifo", "reply_dir", "%s/")' % tmp,
        'modparam("mi_datagram", "socket_name", "%s/mi.sock")' % tmp,
        'modparam("usrloc", "use_domain", 1)',
        'modparam("domain", "db_url", "%s")' % url,
        'modparam("domain", "db_mode", 1)'])
    srv = OpenserProcess(tmp, ROUTE, modules=("sl",), extra=extra)
    srv.start()
    deadline = time.monotonic() + 10
    while not (tmp / "fifo").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    srv.tmp_dir, srv.db_url = tmp, url
    yield srv
    srv.stop()
    srv.close()


@pytest.fixture
def rc(server, tmp_path, monkeypatch):
    """openserctlrc for the module's server; returns the settings."""
    settings = dict(OSER_FIFO="%s/fifo" % server.tmp_dir,
                    OSER_REPLY_DIR="%s/" % server.tmp_dir,
                    OSER_UNIXSOCK="%s/mi.sock" % server.tmp_dir,
                    PID_FILE=str(server.pid_file), DB_URL=server.db_url,
                    SIP_DOMAIN="example.org", MI_TIMEOUT="5")
    write_rc(tmp_path, monkeypatch, **settings)
    return settings


def j(result):
    assert result.status == 0, result.err
    return json.loads(result.out)


@pytest.mark.parametrize("engine", ["FIFO", "UNIXSOCK"])
def test_ul_add_show_rm(rc, engine):
    ctl = ("-o", "CTLENGINE=" + engine)
    aor = "u%s@example.org" % engine.lower()
    assert run(*ctl, "ul", "add", aor, "sip:%s@192.0.2.9:5070" % engine,
               "600").status == 0
    data = j(run(*ctl, "--json", "ul", "show", aor))
    (c,) = data["contacts"]
    assert c["uri"] == "sip:%s@192.0.2.9:5070" % engine
    assert 590 <= int(c["expires"]) <= 600
    text = run(*ctl, "ul", "show", aor)
    assert text.status == 0 and "Contact:: <sip:%s@" % engine in text.out
    dump = j(run(*ctl, "--json", "ul", "show"))
    assert aor in dump["location"]
    assert aor in j(run(*ctl, "--json", "online"))
    brief = run(*ctl, "ul", "show", "--brief")
    assert "AOR:: %s" % aor in brief.out and "Contact::" not in brief.out
    assert run(*ctl, "ul", "rm", aor).status == 0
    gone = run(*ctl, "ul", "show", aor)      # 404 AOR not found
    assert gone.status == 1 and "404" in gone.err


def test_ul_permanent_and_bad_expires(rc):
    assert run("ul", "add", "perm", "sip:perm@192.0.2.1").status == 0
    data = j(run("--json", "ul", "show", "perm"))   # SIP_DOMAIN appended
    assert data["aor"] == "perm@example.org"
    assert data["contacts"][0]["uri"] == "sip:perm@192.0.2.1"
    assert run("ul", "add", "perm", "sip:x@h", "-5").status == 2
    assert run("ul", "rm", "perm", "sip:perm@192.0.2.1").status == 0


def test_alias_usrloc(rc):
    assert run("alias", "add", "sales", "sip:desk@192.0.2.5").status == 0
    data = j(run("--json", "alias", "show", "sales"))
    assert data["contacts"][0]["uri"] == "sip:desk@192.0.2.5"
    # ul_dump of the aliases table: the alias is permanent (expires 0)
    (dom,) = j(run("--json", "alias", "show"))
    (aor,) = [a for a in dom["children"] if a["value"] == "sales@example.org"]
    expires = [k["value"] for k in aor["children"][0]["children"]
               if k["name"] == "Expires"]
    assert expires == ["permanent"]
    assert run("alias", "rm", "sales").status == 0
    assert run("alias", "show", "sales").status == 1


def test_rm_also_removes_the_registration(rc):
    assert run("add", "kim@example.org", "pw").status == 0
    assert run("ul", "add", "kim@example.org", "sip:kim@192.0.2.3").status \
        == 0
    r = run("--json", "rm", "kim@example.org")
    assert json.loads(r.out)["ul_rm"] == "200 OK", r.err
    assert run("ul", "show", "kim@example.org").status == 1     # 404


def test_add_refuses_usrloc_alias(rc):
    assert run("alias", "add", "support", "sip:desk@192.0.2.6").status == 0
    try:
        r = run("-o", "ALIASES_TYPE=UL", "add", "support", "pw")
        assert r.status == 1 and "alias" in r.err
        # and alias add refuses an existing subscriber
        assert run("add", "lee@example.org", "pw").status == 0
        r = run("alias", "add", "lee", "sip:x@192.0.2.7")
        assert r.status == 1 and "already a subscriber" in r.err
    finally:
        run("alias", "rm", "support")
        run("rm", "lee@example.org")


def test_ps_has_cpu_and_rss(rc, server):
    procs = j(run("--json", "ps"))
    pids = {p["pid"] for p in procs}
    assert pids <= server.all_pids() and len(pids) >= 3
    assert procs[0]["id"] == 0
    assert any("MI FIFO" in p["type"] for p in procs)
    for p in procs:
        # a Python worker is several MB; within 2x of what psutil sees now
        now_kb = psutil.Process(p["pid"]).memory_info().rss // 1024
        assert 1000 < p["rss_kb"] and now_kb / 2 < p["rss_kb"] < now_kb * 2
        assert p["cpu_percent"] >= 0
    text = run("ps")
    assert "RSS(KB)" in text.out and str(server.proc.pid) in text.out


def test_monitor_once_and_bounded(rc):
    snap = j(run("--json", "monitor", "--once"))
    assert snap["version"].startswith("OpenSER (1.3.1")
    assert int(snap["up_time"].split()[0]) >= 0
    tm = snap["stats"]["Transaction Statistics"]
    assert "tm:UAS_transactions" in tm
    assert "usrloc:registered_users" in snap["stats"]["UsrLoc Stats"] or \
        snap["stats"]["UsrLoc Stats"]
    r = run("--json", "monitor", "-n", "2", "-i", "0")
    cycles = [json.loads(line) for line in r.out.splitlines()]
    assert [c["cycle"] for c in cycles] == [1, 2]
    start = time.monotonic()
    r = run("monitor", "--count", "2", "--interval", "0.2")
    assert r.status == 0
    assert "[cycle #: 2;" in r.out and "\033[2J" not in r.out
    assert time.monotonic() - start < 5


def test_fifo_and_unixsock_raw(rc):
    r = run("fifo", "which")
    assert r.status == 0 and "ul_dump" in r.out.split("\n")
    assert "200 OK" not in r.out and "\n\n" not in r.out
    r = run("unixsock", "version")
    assert r.status == 0 and r.out.startswith("Server:: OpenSER (1.3.1")
    data = j(run("--json", "fifo", "debug"))
    assert data["code"] == 200 and data["nodes"][0]["name"] == "DEBUG"


def test_server_error_is_status_1(rc):
    r = run("fifo", "no_such_command")
    assert r.status == 1
    assert "500" in r.err and "not available" in r.err
    r = run("--json", "unixsock", "ul_rm", "location")   # too few args
    assert r.status == 1
    assert json.loads(r.out)["status"] == 1
    assert run("dispatcher", "reload").status == 1       # module not loaded


def test_domain_db_and_reload(rc):
    assert run("domain", "add", "voip.example.net").status == 0
    assert run("domain", "reload").status == 0
    data = j(run("--json", "domain", "show"))
    values = json.dumps(data)
    assert "voip.example.net" in values
    assert run("domain", "rm", "voip.example.net").status == 0
    assert run("domain", "reload").status == 0
    assert "voip.example.net" not in json.dumps(j(run("--json", "domain",
                                                      "show")))


def test_ping(rc, server):
    r = run("ping", "sip:127.0.0.1:%d" % server.port)
    assert r.status == 0, r.err
    assert r.out.startswith("200 OK")
    data = j(run("--json", "ping", "sip:ping@127.0.0.1:%d;transport=udp"
                 % server.port))
    assert data["code"] == 200 and data["rtt_ms"] > 0


def test_ping_nobody_listening_is_status_3(rc):
    port = free_port()
    start = time.monotonic()
    r = run("--timeout", "1", "ping", "sip:127.0.0.1:%d" % port)
    assert r.status == 3
    assert time.monotonic() - start < 3


def test_ping_silent_peer_times_out(rc):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        start = time.monotonic()
        r = run("--timeout", "1.2", "ping", "127.0.0.1:%d"
                % s.getsockname()[1])
        assert r.status == 3 and "no final reply" in r.err
        assert 1.0 < time.monotonic() - start < 4
        # timer E: 0 s, 0.5 s, 1.5 s -> two sends within 1.2 s
        s.settimeout(0.1)
        got = 0
        for _ in range(5):
            try:
                got += s.recv(65535).startswith(b"OPTIONS ")
            except socket.timeout:
                break
        assert got == 2


def test_doctor_ok_and_cfg_mismatch(rc, server, tmp_path):
    data = j(run("--json", "doctor", "-f", str(server.cfg)))
    status = {(i["check"], i["status"]) for i in data["checks"]}
    assert data["ok"] is True, data
    assert ("mi", "OK") in status and ("pidfile", "OK") in status
    assert ("db", "OK") in status
    # openserctlrc names another FIFO than openser.cfg
    r = run("--json", "-o", "OSER_FIFO=%s/other_fifo" % tmp_path,
            "-o", "DB_URL=sqlite://%s/x.db" % tmp_path,
            "doctor", "-f", str(server.cfg))
    assert r.status == 1
    data = json.loads(r.out)
    fails = [i for i in data["checks"] if i["status"] == "FAIL"]
    assert any(i["check"] == "cfg" and "fifo_name" in i["detail"]
               for i in fails)
    assert any(i["check"] == "cfg" and "db_url" in i["detail"]
               for i in fails)
    assert any(i["check"] == "mi" for i in fails)


def test_doctor_schema_versions(rc, server, tmp_path):
    con = db_api.bind_dbmod(server.db_url).init(server.db_url)
    try:
        con.raw_query("UPDATE version SET table_version = 5 WHERE "
                      "table_name = 'subscriber'")
        data = json.loads(run("--json", "doctor").out)
    finally:
        con.raw_query("UPDATE version SET table_version = 6 WHERE "
                      "table_name = 'subscriber'")
        con.close()
    (bad,) = [i for i in data["checks"] if i["check"] == "schema"
              and i["status"] == "FAIL"]
    assert "subscriber=5 (expected 6)" in bad["detail"]


def test_unreachable_hints(rc, server, tmp_path):
    # no such FIFO: says what to compare and that the server is not the PID
    r = run("-o", "OSER_FIFO=%s/nope" % tmp_path, "ps")
    assert r.status == 3
    assert "fifo_name" in r.err and "OSER_FIFO" in r.err
    # a FIFO nobody reads (stale)
    stale = tmp_path / "stale_fifo"
    os.mkfifo(stale)
    r = run("-o", "OSER_FIFO=%s" % stale, "-o",
            "PID_FILE=%s/none.pid" % tmp_path, "ps")
    assert r.status == 3 and "nobody serves" in r.err
    # pid file of a dead process
    dead = tmp_path / "dead.pid"
    dead.write_text("%d\n" % _dead_pid())
    r = run("-o", "OSER_UNIXSOCK=%s/nope.sock" % tmp_path,
            "-o", "CTLENGINE=UNIXSOCK", "-o", "PID_FILE=%s" % dead, "ps")
    assert r.status == 3 and "is not running" in r.err


def _dead_pid():
    import subprocess
    import sys
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid
