"""pike: per-source-IP flood detection in shm -- the counting logic with
the time passed in, the script function, MI pike_list, forked workers."""
import os

import pytest

from openser_py.core.scriptrun import SendRecorder, make_msg, run_route
from openser_py.core.usr_avp import get_avp_list
from openser_py.mi.mi import run_mi_cmd
from openser_py.modules.pike import pike_mod
from openser_py.modules.pike.pike_table import SLOTS, PikeTable
from tests.forking import run_forked
from tests.modules.auth_db import dbenv


@pytest.fixture
def shm():
    """An shm arena (a private one when none is set up yet)."""
    from openser_py import mem
    from openser_py.mem import shm as shm_mod
    own = shm_mod._allocator is None
    if own:
        mem.shm_init(8 << 20, debug=False)
    yield
    if own:
        mem.shm_destroy()
        shm_mod.set_allocator(None)


@pytest.fixture
def table(shm):
    t = PikeTable(unit=2, max_hits=10, latency=30, n_buckets=16, n_locks=4)
    yield t
    t.destroy()


def _flood(t, ip, n, now):
    return [t.check(ip, now) for _ in range(n)]


def test_flood_blocked_other_ip_passes(table):
    got = _flood(table, "10.0.0.1", 12, 100.0)
    assert got == [False] * 9 + [True] * 3       # the 10th hits the limit
    assert _flood(table, "10.0.0.2", 9, 100.5) == [False] * 9
    assert table.check("10.0.0.1", 101.9) is True
    hot = {ip for ip, _p, _c, h in table.entries(101.9) if h}
    assert hot == {"10.0.0.1"}


def test_unblocks_when_the_rate_drops(table, shm):
    _flood(table, "10.0.0.1", 10, 100.0)         # window 50: 10 hits
    # next window: prev = 10 still counts
    assert table.check("10.0.0.1", 102.0) is True
    # two windows later both counters are small again
    assert table.check("10.0.0.1", 106.1) is False
    # (prev + curr) / 2 >= max also blocks a steady rate
    t = PikeTable(unit=2, max_hits=10, latency=30, n_buckets=16, n_locks=4)
    try:
        assert _flood(t, "10.9.9.9", 9, 200.0) == [False] * 9
        assert _flood(t, "10.9.9.9", 9, 202.0) == [False] * 9
        t2 = _flood(t, "10.9.9.9", 12, 204.0)
        assert t2 == [False] * 9 + [True] * 3
    finally:
        t.destroy()


def test_entries_expire_after_remove_latency(table):
    _flood(table, "10.0.0.1", 10, 100.0)
    table.check("192.0.2.7", 110.0)
    assert sorted(e[0] for e in table.entries(125.0)) == ["10.0.0.1",
                                                          "192.0.2.7"]
    assert sorted(e[0] for e in table.entries(131.0)) == ["192.0.2.7"]
    assert table.clean(131.0) == 1
    assert table.clean(131.0) == 0
    assert table.check("10.0.0.1", 131.0) is False   # forgotten: fresh start


def test_bounded_table_evicts_the_least_recently_seen(table):
    capacity = 16 * SLOTS
    for i in range(capacity * 3):
        table.check("10.1.%d.%d" % (i // 256, i % 256), 100.0 + i * 0.001)
    live = table.entries(101.0)
    assert len(live) <= capacity
    assert len(live) > capacity // 2
    # the newest addresses are all still there
    newest = {"10.1.%d.%d" % (i // 256, i % 256)
              for i in range(capacity * 3 - 8, capacity * 3)}
    assert newest <= {e[0] for e in live}


def test_ipv6(table):
    assert _flood(table, "2001:db8::1", 10, 50.0)[-1] is True
    assert table.check("2001:db8::2", 50.0) is False
    assert {e[0] for e in table.entries(50.0) if e[3]} == {"2001:db8::1"}


# -- the module in a script ---------------------------------------------------

@pytest.fixture
def env():
    with dbenv.module_env() as scripts:
        yield scripts


def _load(env, density=5):
    from openser_py.core.scriptrun import load_script
    s = load_script('listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\n'
                    'loadmodule "pike.so"\n'
                    'modparam("pike", "sampling_time_unit", 10)\n'
                    'modparam("pike", "reqs_density_per_unit", %d)\n'
                    'modparam("pike", "remove_latency", 60)\n'
                    'route { $avp(s:rc) = 1; if (!pike_check_req()) '
                    '{ $avp(s:rc) = -1; exit; } }\n' % density)
    env.append(s)
    s.registry.init_child(1)
    return s


REQ = (b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;"
       b"branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>"
       b"\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")


def _rc(s, ip):
    msg = make_msg(REQ, src_ip=ip)
    with SendRecorder():
        run_route(s, msg)
    return get_avp_list().search("rc")


def test_script_and_mi(env, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(pike_mod.state, "clock", lambda: now[0])
    s = _load(env)
    assert [_rc(s, "192.0.2.1") for _ in range(6)] == [1] * 4 + [-1] * 2
    assert _rc(s, "192.0.2.2") == 1
    rpl = run_mi_cmd("pike_list", [])
    assert [(n.name, n.value) for n in rpl.kids] == [("", "192.0.2.1")]
    now[0] += 25                                   # two windows later
    assert _rc(s, "192.0.2.1") == 1
    assert run_mi_cmd("pike_list", []).kids == []


def test_counters_are_shared_by_workers(env, monkeypatch, tmp_path):
    monkeypatch.setattr(pike_mod.state, "clock", lambda: 5000.0)
    s = _load(env, density=40)
    out = str(tmp_path)

    def worker(i):
        s.registry.init_child(i + 1)
        got = [_rc(s, "198.51.100.9") for _ in range(15)]
        with open(os.path.join(out, "w%d" % i), "w") as f:
            f.write(" ".join(map(str, got)))

    assert run_forked(4, worker, timeout=60) == [0, 0, 0, 0]
    got = []
    for i in range(4):
        got += open(os.path.join(out, "w%d" % i)).read().split()
    # 60 requests in one window, limit 40: the 40th and later are refused
    assert got.count("-1") == 60 - 39 and got.count("1") == 39
