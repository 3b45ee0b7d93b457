"""Validated reload: ``openserctl reload`` (MI reload_cfg) and SIGHUP
against a running server; the "needs a restart" comparison in-process."""
import json
import re
import signal

import pytest

from openser_py.cfg.parser import parse_string
from openser_py.core import reload_check
from tests.ctl.test_openserctl_util import run, write_rc
from tests.integration.conftest import options, udp_request
from tests.ops.conftest import mi_extra, wait_for

ROUTE = 'sl_send_reply("200", "one");'


def reason(port):
    """The reason phrase of the reply to one OPTIONS."""
    data = udp_request(port, options(port), timeout=2.0)
    assert data, "no reply"
    return data.split(b"\r\n", 1)[0].decode().split(" ", 2)[2]


def reasons(port, n=8):
    return {reason(port) for _ in range(n)}


def edit(srv, old, new):
    text = srv.cfg.read_text()
    assert old in text
    srv.cfg.write_text(text.replace(old, new))


def line_of(srv, needle):
    lines = srv.cfg.read_text().split("\n")
    return next(i for i, ln in enumerate(lines, 1) if needle in ln)


@pytest.fixture
def server(openser, tmp_path, monkeypatch):
    srv = openser(ROUTE, extra=mi_extra(tmp_path), tcp=True)
    assert wait_for(lambda: (tmp_path / "fifo").exists())
    write_rc(tmp_path, monkeypatch, OSER_FIFO="%s/fifo" % tmp_path,
             OSER_REPLY_DIR="%s/" % tmp_path, PID_FILE=str(srv.pid_file),
             MI_TIMEOUT="5")
    assert reasons(srv.port) == {"one"}
    yield srv
    srv.stop()


def test_errors_are_reported_and_the_old_script_stays(server):
    edit(server, ROUTE, 'sl_send_reply("200", "two");\nno_such_fn(1);\n'
         'xlog("L_XX", "x");')
    r = run("reload")
    assert r.status == 1
    path = str(server.cfg)
    want = [(line_of(server, "no_such_fn"), "unknown command no_such_fn()"),
            (line_of(server, "L_XX"), "unknown log level 'L_XX'")]
    for line, text in want:
        assert re.search(r"^%s:%d:\d+: .*%s" % (re.escape(path), line,
                                                re.escape(text)),
                         r.err, re.M), r.err
    assert "keeps running the old one" in r.err
    assert reasons(server.port) == {"one"}
    data = json.loads(run("--json", "reload").out)
    assert data["ok"] is False and data["code"] == 400
    assert len(data["errors"]) == 2 and not data["processes"]


def test_valid_script_switches_every_worker(server):
    edit(server, '"one"', '"two"')
    r = run("--json", "reload")
    assert r.status == 0, r.err
    data = json.loads(r.out)
    assert data["ok"] and data["generation"] == 1
    types = sorted(p["type"].split(" child=")[0] for p in data["processes"])
    # 2 UDP receivers, the timer, 2 TCP receivers (tcp_children = children)
    assert types == ["tcp receiver"] * 2 + ["timer"] + ["udp receiver"] * 2
    assert all(p["status"] == "ok" and not p["error"]
               for p in data["processes"])
    assert {p["pid"] for p in data["processes"]} <= server.all_pids()
    assert reasons(server.port) == {"two"}
    edit(server, '"two"', '"three"')
    r = run("reload")
    assert r.status == 0 and "generation 2" in r.out
    assert r.out.count(" ok ") == 5
    assert reasons(server.port) == {"three"}


def test_changes_needing_a_restart_are_refused(server):
    edit(server, "children=2", "children=3")
    edit(server, '"one"', '"two"')
    text = server.cfg.read_text()
    server.cfg.write_text(text.replace(
        'loadmodule "mi_fifo.so"',
        'loadmodule "mi_fifo.so"\nloadmodule "maxfwd.so"'))
    r = run("reload")
    assert r.status == 1
    assert "core parameter children changed (needs a restart)" in r.err
    assert 'loadmodule "maxfwd.so" added' in r.err
    assert "%s:%d:1: core parameter children" % (
        server.cfg, line_of(server, "children=3")) in r.err
    assert "openserctl restart" in r.err
    assert reasons(server.port) == {"one"}


def test_sighup_reloads_and_logs_errors(server):
    edit(server, '"one"', '"hup"')
    server.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "is valid" in server.output(), 10)
    edit(server, '"hup"', '"later"')   # edited again before idle workers
    assert wait_for(lambda: server.output().count(   # (timer, TCP) switch
        "routing script generation 1 loaded") == 5, 10), server.output()
    assert "not loaded" not in server.output()
    assert reasons(server.port, 4) == {"hup"}
    edit(server, '"later"', '"hup"')
    edit(server, '"hup");', '"bad"); nope_fn();')
    server.proc.send_signal(signal.SIGHUP)
    pat = r"reload refused: %s:%d:\d+: unknown command nope_fn\(\)" % (
        re.escape(str(server.cfg)), line_of(server, "nope_fn"))
    assert wait_for(lambda: re.search(pat, server.output()), 10), \
        server.output()
    assert reasons(server.port) == {"hup"}


def test_fork_no_reloads_in_the_single_process(openser):
    srv = openser(ROUTE, args=("-D", "-E"))
    assert reasons(srv.port, 2) == {"one"}
    edit(srv, '"one"', '"single"')
    srv.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: reason(srv.port) == "single", 10), srv.output()
    assert srv.stop() == 0


def cfg(text):
    return parse_string(text, "x.cfg")


def test_restart_items_only_routes_may_change():
    old = cfg('listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\n'
              'modparam("sl", "enable_stats", 1)\nroute { exit; }\n')
    same = cfg('listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\n'
               'modparam("sl", "enable_stats", 1)\n'
               'route { sl_send_reply("200", "x"); }\nroute[2] { drop; }\n')
    assert reload_check.restart_items(old, same) == []
    new = cfg('listen=udp:127.0.0.1:5070\nloadmodule "tm.so"\n'
              'modparam("sl", "enable_stats", 0)\nroute { exit; }\n')
    items = reload_check.restart_items(old, new)
    assert any(i.startswith("x.cfg:2:") and '"tm.so" added' in i
               for i in items)
    assert any('"sl.so" removed' in i for i in items)
    assert any('modparam("sl", "enable_stats") changed: 1 -> 0' in i
               for i in items)
    assert any(i.startswith("x.cfg:1:") and "listen changed" in i
               for i in items)
    assert len(items) == 4


def test_fixups_creating_shared_state_need_a_restart(openser, tmp_path,
                                                     monkeypatch):
    route = ('if (method == "REGISTER") { save("location"); exit; }\n'
             'sl_send_reply("200", "one");')
    srv = openser(route, modules=("sl", "usrloc", "registrar"),
                  extra=mi_extra(tmp_path))
    assert wait_for(lambda: (tmp_path / "fifo").exists())
    write_rc(tmp_path, monkeypatch, OSER_FIFO="%s/fifo" % tmp_path,
             OSER_REPLY_DIR="%s/" % tmp_path, MI_TIMEOUT="5")
    edit(srv, '"one"', '"two"')         # save("location") again: fine
    r = run("reload")
    assert r.status == 0, r.err
    assert reasons(srv.port) == {"two"}
    edit(srv, 'save("location");', 'save("location"); save("other");')
    r = run("reload")
    assert r.status == 1
    assert re.search(r"^%s:%d:\d+: this call creates shared state .*needs a "
                     r"restart" % (re.escape(str(srv.cfg)),
                                   line_of(srv, 'save("other")')),
                     r.err, re.M), r.err
    srv.stop()


def test_shipped_config_reloads(tmp_path):
    from tests.integration.test_default_cfg import DefaultServer
    srv = DefaultServer(tmp_path).start()
    try:
        root = srv.mi("reload_cfg")
        assert root.code == 200, root
        procs = [k.value for k in root.kids if k.name == "Process"]
        assert len(procs) == 2 + 1 + 2 and all("Status=ok" in p
                                               for p in procs)
        assert reasons(srv.port, 2) == {"OK"}
        edit(srv, 'sl_send_reply("200","OK");',
             'sl_send_reply("200","OK, reloaded");')
        root = srv.mi("reload_cfg")
        assert root.code == 200 and root.kids[0].value == "2", root
        assert reasons(srv.port) == {"OK, reloaded"}
    finally:
        srv.stop()
        srv.kill_all()
