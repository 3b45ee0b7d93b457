"""Connections on every backend: the per-process pool, fork, several
processes writing one sqlite file, sqlite open errors."""
import os
import time

import pytest

from openser_py.db import api

pytestmark = pytest.mark.db


def test_sqlite_unopenable_file_is_a_connection_error(tmp_path):
    url = "sqlite://%s/no/such/dir/x.db" % tmp_path
    with pytest.raises(api.DbConnectionError, match="unable to open"):
        api.bind_dbmod(url).init(url)


def test_pool_shares_one_connection_per_url_and_process(con, table, backend):
    con2 = con.dbf.init(con.url)
    try:
        assert con2._b() is con._b()
        con2.use_table(table)
        con.insert(["username"], ["a"])
        assert con2.query(cols=["username"]).rows == [("a",)]
        assert con.table == con2.table == table
    finally:
        con2.close()
    # closing one handle keeps the shared connection for the other
    assert con.query(cols=["username"]).rows == [("a",)]


def test_sqlite_after_fork_and_concurrent_writers(tmp_path):
    url = "sqlite://%s" % (tmp_path / "shared.db")
    dbf = api.bind_dbmod(url)
    con = dbf.init(url)
    try:
        con.raw_query("CREATE TABLE w (id INTEGER PRIMARY KEY, who INT, "
                      "n INT)")
        assert con.raw_query("PRAGMA journal_mode").rows == [("wal",)]
        con.use_table("w")
        parent_backend = con._b()
        pids = []
        for k in range(3):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    assert con._b() is not parent_backend
                    for i in range(40):
                        con.insert(["who", "n"], [k, i])
                    code = 0
                finally:
                    os._exit(code)
            pids.append(pid)
        for pid in pids:
            for _ in range(600):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.05)
            else:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                pytest.fail("writer did not finish")
            assert status == 0
        assert con._b() is parent_backend
        assert con.raw_query("SELECT who, COUNT(*) FROM w GROUP BY who "
                             "ORDER BY who").rows == [(0, 40), (1, 40),
                                                      (2, 40)]
    finally:
        con.close()


def test_sqlite_new_file_opened_by_many_processes_at_once(tmp_path):
    """Workers forked together all open a brand-new SQLite file: switching
    it to WAL takes an exclusive lock that SQLite does not wait for, so the
    driver retries; every process gets a working connection."""
    from openser_py.db import api as db_api
    url = "sqlite://" + str(tmp_path / "fresh.db")
    pids = []
    for _ in range(8):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                con = db_api.bind_dbmod(url).init(url)
                con.raw_query("SELECT 1")
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    codes = [os.waitpid(p, 0)[1] for p in pids]
    assert codes == [0] * 8
