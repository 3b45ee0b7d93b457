"""The core MI commands, run in-process (openser_py.mi.mi_core)."""
import os
import signal
import subprocess
import sys
import time

import pytest

from openser_py import version
from openser_py.core import dprint, pt, statistics, timer
from openser_py.core.exports import STAT_NO_RESET
from openser_py.mi import mi_core
from openser_py.mi.mi import run_mi_cmd
from tests.forking import run_forked


def values(rpl):
    return [k.value for k in rpl.kids]


@pytest.fixture
def stats():
    """Statistics in groups of their own (names unique to this file)."""
    grp = "mitest%d" % os.getpid()
    a = statistics.register_stat(grp, "mi_counter_a")
    b = statistics.register_stat(grp, "mi_counter_b", STAT_NO_RESET)
    f = statistics.register_stat(grp, "mi_func_c", func=lambda: 42)
    a.reset()
    return grp, a, b, f


def test_version_pwd_arg():
    assert [(k.name, k.value) for k in run_mi_cmd("version").kids] == [
        ("Server", version.SERVER_HDR)]
    assert version.SERVER_HDR.startswith("OpenSER (1.3.1-%s (" % version.TLS_FLAG)
    assert [(k.name, k.value) for k in run_mi_cmd("pwd").kids] == [
        ("WD", os.getcwd())]
    assert values(run_mi_cmd("arg")) == sys.argv


def test_uptime_counts_from_the_start_tick():
    timer.reset_start()
    rpl = run_mi_cmd("uptime")
    names = [k.name for k in rpl.kids]
    assert names == ["Now", "Up since", "Up time"]
    assert rpl.kids[2].value == "0 [sec]"
    now = time.time()
    assert rpl.kids[0].value in (time.ctime(now), time.ctime(now - 1))


def test_get_statistics_forms(stats):
    grp, a, b, f = stats
    a.inc(5)
    b.inc(2 - b.get())
    rpl = run_mi_cmd("get_statistics", ["mi_counter_a"])
    assert values(rpl) == ["%s:mi_counter_a = 5" % grp]
    # a group (case-insensitive), and names case-insensitive too
    rpl = run_mi_cmd("get_statistics", [grp.upper() + ":", "MI_FUNC_C"])
    assert values(rpl) == ["%s:mi_counter_a = 5" % grp,
                           "%s:mi_counter_b = 2" % grp,
                           "%s:mi_func_c = 42" % grp,
                           "%s:mi_func_c = 42" % grp]
    rpl = run_mi_cmd("get_statistics", ["all"])
    lines = values(rpl)
    assert len(lines) == len(statistics.all_stats())
    assert "%s:mi_counter_b = 2" % grp in lines
    # unknown names are skipped; nothing at all -> 404
    rpl = run_mi_cmd("get_statistics", ["nope_stat", "mi_counter_a"])
    assert values(rpl) == ["%s:mi_counter_a = 5" % grp]
    rpl = run_mi_cmd("get_statistics", ["nope_stat", "nogroup:", ""])
    assert (rpl.code, rpl.reason, rpl.kids) == (404, "Statistics Not Found",
                                                [])
    rpl = run_mi_cmd("get_statistics")
    assert (rpl.code, rpl.reason) == (400, "Too few or too many arguments")


def test_reset_statistics(stats):
    grp, a, b, f = stats
    a.inc(3)
    b0 = b.get()
    b.inc(3)
    rpl = run_mi_cmd("reset_statistics", ["mi_counter_a", "mi_counter_b",
                                          "nope_stat"])
    assert (rpl.code, rpl.reason) == (200, "OK")
    assert (a.get(), b.get(), f.get()) == (0, b0 + 3, 42)   # no_reset kept
    rpl = run_mi_cmd("reset_statistics", ["nope_stat"])
    assert (rpl.code, rpl.reason) == (404, "Statistics Not Found")
    assert run_mi_cmd("reset_statistics").code == 400


def test_debug_get_set_and_bad_parameter(debug_level):
    dprint.set_debug(2)
    rpl = run_mi_cmd("debug")
    assert [(k.name, k.value) for k in rpl.kids] == [("DEBUG", "2")]
    rpl = run_mi_cmd("debug", ["4"])
    assert [(k.name, k.value) for k in rpl.kids] == [("DEBUG", "4")]
    assert dprint.get_debug() == 4
    assert run_mi_cmd("debug", ["-1"]).kids[0].value == "-1"
    for bad in ("four", "1_0", "", "3.5"):
        rpl = run_mi_cmd("debug", [bad])
        assert (rpl.code, rpl.reason) == (400, "Bad parameter"), bad
    assert dprint.get_debug() == -1


def test_debug_level_is_shared_between_processes(global_shm, debug_level):
    dprint.set_debug(3)
    assert mi_core.init_mi_core() == 0

    def child(i):
        assert run_mi_cmd("debug", ["1"]).kids[0].value == "1"
    assert run_forked(1, child, timeout=20) == [0]
    assert dprint.get_debug() == 3          # not yet looked at
    mi_core.sync_debug()
    assert dprint.get_debug() == 1
    # a setdebug() override stays; the new global level waits behind it
    dprint.set_proc_debug(4)

    def child2(i):
        run_mi_cmd("debug", ["2"])
    assert run_forked(1, child2, timeout=20) == [0]
    mi_core.sync_debug()
    assert dprint.get_debug() == 4
    dprint.reset_proc_debug()
    assert dprint.get_debug() == 2
    # the MI "debug" read also syncs first
    assert run_mi_cmd("debug").kids[0].value == "2"


def test_ps_lists_the_process_table(global_shm):
    pt.init(3)
    try:
        pt.set_self(0, 0, "attendant")
        pt.set_row(2, 4242, -1, "timer")
        rpl = run_mi_cmd("ps")
        assert [(k.name, k.value, k.attrs) for k in rpl.kids] == [
            ("Process", None, [("ID", "0"), ("PID", str(os.getpid())),
                               ("Type", "attendant")]),
            ("Process", None, [("ID", "2"), ("PID", "4242"),
                               ("Type", "timer")])]
    finally:
        pt.destroy()


def test_kill_signals_the_attendant_and_replies_nothing(global_shm):
    victim = subprocess.Popen([sys.executable, "-c",
                               "import time; time.sleep(30)"])
    pt.init(2)
    try:
        pt.set_row(0, victim.pid, 0, "attendant")
        rpl = run_mi_cmd("kill")
        assert (rpl.code, rpl.reason) == (500, "command 'kill' failed")
        assert victim.wait(10) == -signal.SIGTERM
    finally:
        pt.destroy()
        if victim.poll() is None:
            victim.kill()
            victim.wait()
