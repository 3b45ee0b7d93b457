"""domain: is_from_local / is_uri_host_local / is_domain_local, db_mode 0
and 1, MI domain_reload / domain_dump (shared by forked workers), on
SQLite, MariaDB and PostgreSQL."""
import os
import time

import pytest

from openser_py.mi.mi import run_mi_cmd
from tests.forking import reap, run_forked, spawn
from tests.modules.auth.authutil import request, run
from tests.modules.auth_db import dbenv

DOMAINS = ["example.com", "Mixed.Example.ORG"]


@pytest.fixture(params=dbenv.BACKENDS)
def db_url(request, tmp_path):
    with dbenv.make_db(request.param, tmp_path, ["domain"]) as url:
        dbenv.insert_rows(url, "domain", ("domain",),
                          [(d,) for d in DOMAINS])
        yield url


@pytest.fixture
def env():
    with dbenv.module_env() as scripts:
        yield scripts


ROUTE = "%s; $avp(s:rc) = $rc;"


def load(env, url, call, db_mode=0):
    mp = [("domain", "db_url", '"%s"' % url), ("domain", "db_mode", db_mode)]
    return dbenv.load_db_script(["domain"], mp, ROUTE % call, env)


def check(script, ruri="sip:bob@example.com", frm="example.com"):
    return run(script, request("INVITE", ruri, domain=frm))[2]


@pytest.mark.parametrize("db_mode", [0, 1])
def test_checks(env, db_url, db_mode):
    s = load(env, db_url, "is_from_local()", db_mode)
    assert check(s, frm="example.com") == 1
    assert check(s, frm="EXAMPLE.com") == 1
    assert check(s, frm="mixed.example.org") == 1
    assert check(s, frm="MIXED.EXAMPLE.ORG") == 1
    assert check(s, frm="elsewhere.net") == -1
    s = load(env, db_url, "is_uri_host_local()", db_mode)
    assert check(s, "sip:bob@example.com:5070", frm="x.net") == 1
    assert check(s, "sip:bob@Example.Com", frm="x.net") == 1
    assert check(s, "sip:bob@example.co", frm="example.com") == -1
    s = load(env, db_url, 'is_domain_local("$avp(s:d)")', db_mode)
    s2 = load(env, db_url, '$avp(s:d) = "example.com"; '
              'is_domain_local("$avp(s:d)")', db_mode)
    assert check(s) == -1                        # unset PV
    assert check(s2) == 1


def test_cache_mode_mixed_case_and_rewritten_ruri(env, db_url):
    s = load(env, db_url, "is_from_local()", 1)
    assert check(s, frm="MIXED.example.org") == 1
    s = load(env, db_url, 'rewritehost("example.com"); is_uri_host_local()',
             1)
    assert check(s, "sip:bob@nowhere.net") == 1


def test_mi_reload_and_dump(env, db_url):
    s = load(env, db_url, "is_from_local()", 1)
    dump = run_mi_cmd("domain_dump", [])
    assert dump.code == 200
    assert sorted((n.name, n.value) for n in dump.kids) == sorted(
        ("Domain", d) for d in DOMAINS)
    dbenv.insert_rows(db_url, "domain", ("domain",), [("new.net",)])
    assert check(s, frm="new.net") == -1         # cached
    rpl = run_mi_cmd("domain_reload", [])
    assert (rpl.code, rpl.reason) == (200, "OK")
    assert check(s, frm="new.net") == 1
    dbenv.run_sql(db_url, "DELETE FROM domain WHERE domain = ?",
                  ("example.com",))
    assert run_mi_cmd("domain_reload", []).code == 200
    assert check(s, frm="example.com") == -1
    assert [n.value for n in run_mi_cmd("domain_dump", []).kids].count(
        "example.com") == 0


def test_mi_not_activated_in_db_mode_0(env, db_url):
    load(env, db_url, "is_from_local()", 0)
    for cmd in ("domain_reload", "domain_dump"):
        rpl = run_mi_cmd(cmd, [])
        assert (rpl.code, rpl.reason) == (500, "command not activated")


def test_table_version_checked(env, db_url):
    dbenv.run_sql(db_url, "UPDATE version SET table_version = 9 WHERE "
                  "table_name = ?", ("domain",))
    with pytest.raises(ValueError, match="mod_init of module domain"):
        load(env, db_url, "is_from_local()", 1)


def _wait_for(path, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(0.01)


def test_reload_is_seen_by_all_workers(env, db_url, tmp_path):
    s = load(env, db_url, "is_from_local()", 1)
    d = str(tmp_path)

    def worker(i):
        s.registry.init_child(i + 1)
        before = check(s, frm="late.org")
        open(os.path.join(d, "ready%d" % i), "w").close()
        _wait_for(os.path.join(d, "go"))
        after = check(s, frm="late.org")
        with open(os.path.join(d, "rc%d" % i), "w") as f:
            f.write("%d %d" % (before, after))

    pids = spawn(3, worker)
    try:
        for i in range(3):
            _wait_for(os.path.join(d, "ready%d" % i))
        dbenv.insert_rows(db_url, "domain", ("domain",), [("late.org",)])
        assert run_mi_cmd("domain_reload", []).code == 200
        open(os.path.join(d, "go"), "w").close()
    finally:
        codes = reap(pids, timeout=60)
    assert codes == [0, 0, 0]
    for i in range(3):
        assert open(os.path.join(d, "rc%d" % i)).read() == "-1 1"

    # a reload run by another process (the MI process) reaches the master
    def mi_process(_i):
        s.registry.init_child(2)
        dbenv.insert_rows(db_url, "domain", ("domain",), [("later.org",)])
        assert run_mi_cmd("domain_reload", []).code == 200

    assert check(s, frm="later.org") == -1
    assert run_forked(1, mi_process, timeout=60) == [0]
    assert check(s, frm="later.org") == 1
