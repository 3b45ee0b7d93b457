"""State in shm: round-robin shared by forked workers, ds_set_state and
ds_reload seen by every worker, a failed reload keeps the old list."""
import collections
import os
import time

from openser_py.mi.mi import run_mi_cmd
from openser_py.mi.tree import MiNode
from tests.forking import reap, run_forked, spawn
from tests.modules.dispatcher.dsutil import load, request, run, write_list

DESTS = ["sip:127.0.0.1:5071", "sip:127.0.0.1:5072", "sip:127.0.0.1:5073",
         "sip:127.0.0.1:5074", "sip:127.0.0.1:5075"]
SEL = 'if (ds_select_dst("1", "4")) $avp(s:rc) = 1;'


def _du(s):
    msg, rc = run(s, request())
    return msg.dst_uri if rc == 1 else None


def _wait_for(path, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(0.01)


def test_round_robin_spread_across_workers(env, tmp_path):
    s = load(env, write_list(tmp_path, ["1 %s" % d for d in DESTS]), SEL)
    out = str(tmp_path)

    def worker(i):
        s.registry.init_child(i + 1)
        got = [_du(s) for _ in range(50)]
        with open(os.path.join(out, "w%d" % i), "w") as f:
            f.write("\n".join(got))

    assert run_forked(4, worker, timeout=60) == [0, 0, 0, 0]
    got = []
    for i in range(4):
        got += open(os.path.join(out, "w%d" % i)).read().split("\n")
    assert collections.Counter(got) == {d: 40 for d in DESTS}
    assert _du(s) == DESTS[0]          # 200 selections: back at the start


def _args(*vals):
    return [MiNode("", v) for v in vals]


def test_set_state_and_reload_seen_by_all_workers(env, tmp_path):
    path = write_list(tmp_path, ["1 %s" % d for d in DESTS[:2]])
    s = load(env, path, SEL)
    d = str(tmp_path)

    def worker(i):
        s.registry.init_child(i + 1)
        before = sorted({_du(s) for _ in range(4)})
        open(os.path.join(d, "ready%d" % i), "w").close()
        _wait_for(os.path.join(d, "go1"))
        after_mark = sorted({_du(s) for _ in range(4)})
        open(os.path.join(d, "marked%d" % i), "w").close()
        _wait_for(os.path.join(d, "go2"))
        after_reload = sorted({_du(s) for _ in range(6)})
        with open(os.path.join(d, "rc%d" % i), "w") as f:
            f.write(repr((before, after_mark, after_reload)))

    pids = spawn(3, worker)
    try:
        for i in range(3):
            _wait_for(os.path.join(d, "ready%d" % i))
        assert run_mi_cmd("ds_set_state", _args("i", "1", DESTS[0])).code \
            == 200
        open(os.path.join(d, "go1"), "w").close()
        for i in range(3):
            _wait_for(os.path.join(d, "marked%d" % i))
        write_list(tmp_path, ["1 %s" % x for x in DESTS[2:]])
        assert run_mi_cmd("ds_reload", []).code == 200
        open(os.path.join(d, "go2"), "w").close()
    finally:
        codes = reap(pids, timeout=60)
    assert codes == [0, 0, 0]
    for i in range(3):
        before, marked, reloaded = eval(open(os.path.join(d, "rc%d" % i))
                                        .read())
        assert before == DESTS[:2]
        assert marked == [DESTS[1]]
        assert reloaded == DESTS[2:]

    # a reload from another process (MI) reaches the master too
    def mi_process(_i):
        s.registry.init_child(2)
        write_list(tmp_path, ["1 %s" % DESTS[4]])
        assert run_mi_cmd("ds_reload", []).code == 200

    assert run_forked(1, mi_process, timeout=60) == [0]
    assert {_du(s) for _ in range(3)} == {DESTS[4]}


def test_failed_reload_keeps_the_list(env, tmp_path):
    path = write_list(tmp_path, ["1 %s" % d for d in DESTS[:2]])
    s = load(env, path, SEL)
    run_mi_cmd("ds_set_state", _args("i", "1", DESTS[1]))
    write_list(tmp_path, ["1 sip:127.0.0.1", "oops"])
    r = run_mi_cmd("ds_reload", [])
    assert (r.code, r.reason) == (500, "ERROR Reloading data")
    assert {_du(s) for _ in range(3)} == {DESTS[0]}
    os.unlink(path)
    assert run_mi_cmd("ds_reload", []).code == 500
    write_list(tmp_path, ["1 %s" % d for d in DESTS[:2]])
    assert run_mi_cmd("ds_reload", []).code == 200
    # as in 1.3 a reload starts every destination active
    assert {_du(s) for _ in range(4)} == set(DESTS[:2])
