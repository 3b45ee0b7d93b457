"""The process model end to end: real master and workers on loopback."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

import psutil

from tests.conftest import ROOT, free_port
from tests.integration.conftest import OpenserProcess, options, udp_request

OPTIONS_ROUTE = 'append_to_reply("X-Pid: $pp\\r\\n"); sl_send_reply("200", "OK");'


def reply_pid(reply):
    m = re.search(rb"X-Pid: (\d+)", reply or b"")
    return int(m.group(1)) if m else None


def test_children_all_serve_and_titles_match(openser):
    srv = openser(OPTIONS_ROUTE, children=4)
    seen = set()
    for _ in range(200):
        pid = reply_pid(udp_request(srv.port, options(srv.port)))
        assert pid is not None
        seen.add(pid)
        if len(seen) == 4:
            break
    assert len(seen) == 4, seen
    titles = srv.titles()
    receivers = [t for t in titles.values() if "udp receiver" in t]
    assert sorted(receivers) == [
        "openser: udp receiver child=%d sock=127.0.0.1:%d" % (i, srv.port)
        for i in range(1, 5)]
    assert any(t == "openser: timer" for t in titles.values())
    assert titles[srv.proc.pid] == "openser: attendant"
    assert seen <= set(titles)
    assert int(srv.pid_file.read_text()) == srv.proc.pid


def _dev_shm():
    try:
        return set(os.listdir("/dev/shm"))
    except OSError:
        return set()


def test_sigterm_stops_everything_and_cleans_up(openser):
    before = _dev_shm()
    srv = openser(OPTIONS_ROUTE, children=3)
    assert len(srv.pids) == 1 + 3 + 1
    assert srv.stop() == 0
    assert srv.leftovers() == set()
    assert not srv.pid_file.exists()
    assert "Thank you for flying openser" in srv.output()
    # shm is an anonymous mapping and the semaphores are unlinked at
    # creation: nothing may be left in /dev/shm
    assert _dev_shm() - before == set()


def test_dead_worker_stops_the_server(openser):
    srv = openser(OPTIONS_ROUTE, children=2)
    victim = next(pid for pid, t in srv.titles().items()
                  if "udp receiver child=2" in t)
    os.kill(victim, signal.SIGKILL)
    assert srv.proc.wait(15) == 1
    out = srv.output()
    assert "child process %d (udp receiver child=2" % victim in out
    assert "terminating the server" in out
    assert srv.leftovers() == set()


def test_fork_no_single_process_serves(openser):
    srv = openser(OPTIONS_ROUTE, children=4, args=("-D", "-E"))
    titles = srv.titles()
    assert not any("udp receiver" in t for t in titles.values())
    assert titles[srv.proc.pid].startswith("openser: stand-alone receiver")
    pid = reply_pid(udp_request(srv.port, options(srv.port)))
    assert pid == srv.proc.pid
    assert srv.stop() == 0 and srv.leftovers() == set()


def test_config_error_exits_nonzero_with_position(tmp_path):
    srv = OpenserProcess(tmp_path, "nosuch();")
    srv.start(wait=False)
    assert srv.proc.wait(30) == 1
    assert "openser.cfg:" in srv.output() and "unknown command nosuch()" \
        in srv.output()
    srv.close()


def test_port_in_use_is_a_clear_startup_error(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        srv = OpenserProcess(tmp_path, OPTIONS_ROUTE, port=port)
        srv.start(wait=False)
        assert srv.proc.wait(30) == 1
        assert "cannot bind udp:127.0.0.1:%d" % port in srv.output()
        srv.close()


def test_daemon_mode_reports_start_and_failure(tmp_path):
    srv = OpenserProcess(tmp_path, OPTIONS_ROUTE, args=("-E",))
    env = dict(os.environ, PYTHONPATH=ROOT)

    def run_daemon(pid_file, log):
        # output to a file: with -E the daemon keeps stderr, so a pipe
        # would stay open as long as it runs
        with open(log, "wb") as fh:
            rc = subprocess.run([sys.executable, "-m", "openser_py.main",
                                 "-f", str(srv.cfg), "-P", str(pid_file),
                                 "-E"], env=env, cwd=ROOT, stdout=fh,
                                stderr=fh, timeout=60).returncode
        return rc, open(log, "rb").read()

    rc, out = run_daemon(srv.pid_file, tmp_path / "d1.log")
    assert rc == 0, out
    pid = int(srv.pid_file.read_text())
    try:
        assert reply_pid(udp_request(srv.port, options(srv.port))) is not None
        daemon = psutil.Process(pid)
        pids = {pid} | {c.pid for c in daemon.children(recursive=True)}
        # a second instance on the same port fails, and says so to its caller
        rc2, out2 = run_daemon(tmp_path / "b.pid", tmp_path / "d2.log")
        assert rc2 == 1
        assert b"start-up failed: cannot bind" in out2
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.05)
    assert not any(psutil.pid_exists(p) for p in pids)
    assert not srv.pid_file.exists()


def test_malformed_request_gets_400_and_worker_lives(openser):
    srv = openser(OPTIONS_ROUTE, children=1)
    bad = options(srv.port).replace(b"CSeq: 1 OPTIONS", b"CSeq: x OPTIONS")
    reply = udp_request(srv.port, bad)
    assert reply is not None and reply.startswith(b"SIP/2.0 400 ")
    assert udp_request(srv.port, b"\x00garbage\r\n\r\n", timeout=0.5) is None
    assert reply_pid(udp_request(srv.port, options(srv.port))) is not None


def test_sigusr1_dumps_memory_status(openser):
    srv = openser(OPTIONS_ROUTE, children=1)
    os.kill(srv.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "total_size" not in srv.output():
        time.sleep(0.05)
    assert "total_size" in srv.output()
    assert srv.stop() == 0
