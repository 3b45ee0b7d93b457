"""Server connections (MariaDB, PostgreSQL): reconnect after a killed
session, unreachable servers, fork safety of inherited sockets."""
import os
import socket
import time

import pytest

from openser_py.db import api
from openser_py.db import backend as pool
from openser_py.modules.db_mysql import dbase as mysql_dbase
from tests.conftest import free_port
from tests.db.conftest import SERVERS, admin_connection, require_backend

pytestmark = pytest.mark.db


@pytest.fixture(params=SERVERS)
def backend(request):
    """Server backends only: sessions can be killed, sockets inherited."""
    require_backend(request.param)
    return request.param

SESSION_ID = {
    "mysql": "SELECT CONNECTION_ID()",
    "postgres": "SELECT pg_backend_pid()",
}


def session_id(con):
    return con.raw_query(SESSION_ID[con.dialect.name]).rows[0][0]


def kill_session(backend, sid):
    admin = admin_connection(backend)
    try:
        cur = admin.cursor()
        if backend == "mysql":
            cur.execute("KILL %d" % sid)
        else:
            cur.execute("SELECT pg_terminate_backend(%s)", (sid,))
            assert cur.fetchone()[0] is True
    finally:
        admin.close()


def wait_gone(backend, sid):
    """Wait (bounded) until the killed session has left the server."""
    admin = admin_connection(backend)
    try:
        cur = admin.cursor()
        for _ in range(100):
            if backend == "mysql":
                cur.execute("SELECT COUNT(*) FROM information_schema."
                            "PROCESSLIST WHERE ID = %s", (sid,))
            else:
                cur.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE "
                            "pid = %s", (sid,))
            if cur.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    finally:
        admin.close()


def test_killed_session_is_reconnected_and_the_statement_retried(
        backend, con, table, capfd):
    con.insert(["username", "cseq"], ["before", 1])
    sid = session_id(con)
    kill_session(backend, sid)
    wait_gone(backend, sid)
    # the next statement still works, on a new session
    assert con.query(["username"], None, ["before"], ["cseq"]).rows == [(1,)]
    assert session_id(con) != sid
    err = capfd.readouterr().err
    assert "NOTICE:db_%s:" % backend in err and "reconnected to" in err
    # writes work as well after a second kill
    sid = session_id(con)
    kill_session(backend, sid)
    wait_gone(backend, sid)
    assert con.insert(["username", "cseq"], ["after", 2]) == 1
    assert len(con.query()) == 2


@pytest.mark.parametrize("backend", ["mysql"], indirect=True)
def test_mysql_auto_reconnect_0_fails_the_statement_once(con, table,
                                                         monkeypatch):
    monkeypatch.setattr(mysql_dbase.cfg, "auto_reconnect", 0)
    sid = session_id(con)
    kill_session("mysql", sid)
    wait_gone("mysql", sid)
    with pytest.raises(api.DbConnectionError, match="connection lost"):
        con.query()
    time.sleep(pool.RETRY_INTERVAL + 0.1)
    assert con.query().rows == []          # the next call reconnects


@pytest.mark.parametrize("backend", ["mysql"], indirect=True)
def test_mysql_ping_after_idle_detects_a_dead_connection(con, table,
                                                         monkeypatch):
    import pymysql
    pings = []
    real_ping = pymysql.connections.Connection.ping

    def spy(self, reconnect=True):
        pings.append(reconnect)
        return real_ping(self, reconnect)
    monkeypatch.setattr(pymysql.connections.Connection, "ping", spy)
    monkeypatch.setattr(mysql_dbase.cfg, "ping_interval", 60)
    con.query()
    assert pings == []                   # used recently: no ping
    sid = session_id(con)
    kill_session("mysql", sid)
    wait_gone("mysql", sid)
    con._b().last_used -= 120            # idle for longer than ping_interval
    assert con.insert(["username"], ["x"]) == 1
    assert pings == [False]              # pinged (without pymysql's own
    assert session_id(con) != sid        # reconnect), then re-opened
    assert con.query(cols=["username"]).rows == [("x",)]


def closed_port_url(backend):
    port = free_port(socket.SOCK_STREAM)     # nothing listens there
    if backend == "mysql":
        return "mysql://root:topsecretpw@127.0.0.1:%d/test" % port
    return "postgres://postgres:topsecretpw@127.0.0.1:%d/test" % port


@pytest.mark.parametrize("backend_name", ["mysql", "postgres"])
def test_unreachable_server_raises_quickly_with_the_cause(backend_name,
                                                          capfd):
    url = closed_port_url(backend_name)
    dbf = api.bind_dbmod(url)
    t0 = time.monotonic()
    with pytest.raises(api.DbConnectionError) as ei:
        dbf.init(url)
    assert time.monotonic() - t0 < 3
    msg = str(ei.value)
    assert "database unreachable" in msg
    assert "refused" in msg.lower()
    assert "topsecretpw" not in msg and ":***@" in msg
    err = capfd.readouterr().err
    lines = [l for l in err.splitlines() if "database unreachable" in l]
    assert len(lines) == 1
    assert "ERROR:db_%s:" % backend_name in lines[0]
    assert "topsecretpw" not in err


@pytest.mark.parametrize("backend_name", ["mysql", "postgres"])
def test_reconnect_attempts_are_rate_limited(backend_name, capfd):
    url = closed_port_url(backend_name)
    con = api.bind_dbmod(url).init(url, lazy=True)
    con.use_table("t")
    try:
        b = con._b()
        calls = []
        real = b._connect

        def counting():
            calls.append(time.monotonic())
            return real()
        b._connect = counting
        for _ in range(5):
            with pytest.raises(api.DbConnectionError):
                con.query()
        assert len(calls) == 1             # one attempt, then refused fast
        time.sleep(pool.RETRY_INTERVAL + 0.1)
        with pytest.raises(api.DbConnectionError):
            con.query()
        assert len(calls) == 2
        err = capfd.readouterr().err
        # one ERROR line for the outage, not one per call
        assert err.count("database unreachable") == 1
    finally:
        con.close()


def _run_in_child(fn):
    """Fork; run fn() in the child; return what it wrote (bounded wait)."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:                                  # child
        code = 1
        try:
            os.close(rfd)
            os.write(wfd, repr(fn()).encode())
            code = 0
        except BaseException as exc:              # report, never return
            try:
                os.write(wfd, ("ERR %r" % exc).encode())
            except OSError:
                pass
        finally:
            os._exit(code)
    os.close(wfd)
    data = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    for _ in range(300):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("child did not exit")
    assert status == 0, data
    return data.decode()


def test_connection_used_after_fork_gets_its_own_session(backend,
                                                         con, table):
    parent_sid = session_id(con)
    con.insert(["username"], ["parent"])

    def child():
        sid = session_id(con)
        con.insert(["username"], ["child"])
        con.close()
        return sid
    child_sid = int(_run_in_child(child))
    assert child_sid != parent_sid
    wait_gone(backend, child_sid)
    # the parent's session was not disturbed (same session, still usable)
    assert session_id(con) == parent_sid
    assert sorted(r[0] for r in con.query(cols=["username"])) \
        == ["child", "parent"]


def test_child_that_never_uses_the_connection_does_not_disturb_it(
        backend, con, table):
    parent_sid = session_id(con)

    def child():
        import gc
        gc.collect()
        return 0
    _run_in_child(child)
    assert session_id(con) == parent_sid
    assert con.query().rows == []
