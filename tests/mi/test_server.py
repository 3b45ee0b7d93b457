"""mi_fifo and mi_datagram end to end: a real server, the raw wire format.

One server (module scope) serves a FIFO and a unix datagram socket with two
MI Datagram processes; tests that stop a server start their own.
"""
import os
import socket
import stat
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from openser_py import version
from openser_py.ctl.mi_client import MiClientError, MiUnreachable
from openser_py.ctl.mi_client.datagram import datagram_cmd, datagram_request
from openser_py.ctl.mi_client.fifo import fifo_cmd, fifo_request
from tests.conftest import ROOT, free_port
from tests.integration.conftest import OpenserProcess, options, udp_request

CORE = ["which", "ps", "uptime", "version", "pwd", "arg", "kill", "debug",
        "get_statistics", "reset_statistics", "reload_cfg"]


def mi_cfg(d, fifo=True, dgram=None, children=2, extra=""):
    out = []
    if fifo:
        out.append('loadmodule "mi_fifo.so"\n'
                   'modparam("mi_fifo", "fifo_name", "%s/fifo")\n'
                   'modparam("mi_fifo", "reply_dir", "%s/")' % (d, d))
    if dgram:
        out.append('loadmodule "mi_datagram.so"\n'
                   'modparam("mi_datagram", "socket_name", "%s")\n'
                   'modparam("mi_datagram", "children_count", %d)'
                   % (dgram, children))
    return "\n".join(out) + "\n" + extra


def start(tmp, dgram=None, children=2, extra=""):
    srv = OpenserProcess(tmp, 'sl_send_reply("200", "OK");', modules=("sl",),
                         extra=mi_cfg(tmp, True, dgram, children, extra))
    srv.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:          # the MI FIFO process is up
        try:
            fifo_request(str(tmp / "fifo"), ":version:\n\n", 2,
                         reply_dir=str(tmp) + "/")
            return srv
        except MiClientError:
            time.sleep(0.05)
    srv.close()
    raise AssertionError("MI FIFO not answering:\n" + srv.output())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mi")
    srv = start(tmp, dgram=str(tmp / "mi.sock"))
    srv.fifo = str(tmp / "fifo")
    srv.sock = str(tmp / "mi.sock")
    srv.dir = str(tmp)
    yield srv
    code = srv.stop()
    srv.close()
    assert code == 0


def fifo(srv, text, timeout=5.0):
    return fifo_request(srv.fifo, text, timeout, reply_dir=srv.dir + "/")


def raw_fifo(srv, text):
    """Write *text* to the server FIFO as it is (no reply fifo)."""
    fd = os.open(srv.fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


# -- FIFO ---------------------------------------------------------------------
def test_which_version_uptime(server):
    assert fifo(server, ":which:\n\n") == "200 OK\n%s\n\n" % "\n".join(CORE)
    rpl = fifo(server, ":version:\n\n")
    assert rpl.startswith("200 OK\nServer:: OpenSER (%s (" % version.RELEASE)
    rpl = fifo_cmd(server.fifo, "uptime", reply_dir=server.dir + "/")
    assert [k.name for k in rpl.kids] == ["Now", "Up since", "Up time"]
    assert rpl.kids[2].value.endswith(" [sec]")


def test_ps_matches_the_running_processes(server):
    text = fifo(server, ":ps:\n\n")
    lines = text.split("\n")
    assert lines[0] == "200 OK" and text.endswith("\n\n")
    rows = []
    for line in lines[1:-2]:
        assert line.startswith("Process::  ID=")
        attrs = dict(a.split("=", 1) for a in line[len("Process::  "):].split(
            " ", 2))
        rows.append((int(attrs["ID"]), int(attrs["PID"]), attrs["Type"]))
    assert [r[0] for r in rows] == list(range(len(rows)))
    assert {r[1] for r in rows} == server.all_pids()
    assert all(psutil.pid_exists(r[1]) for r in rows)
    types = [r[2] for r in rows]
    assert types[0] == "attendant" and rows[0][1] == server.proc.pid
    assert types.count("timer") == 1 and types.count("MI FIFO") == 1
    assert sorted(t for t in types if t.startswith("MI Datagram")) == [
        "MI Datagram 1", "MI Datagram 2"]


def test_debug_set_through_fifo_read_through_datagram(server):
    try:
        assert fifo(server, ":debug:\n4\n\n") == "200 OK\nDEBUG:: 4\n\n"
        assert datagram_request(server.sock, ":debug:\n") == \
            "200 OK\nDEBUG:: 4\n"
        assert fifo(server, ":debug:\nfour\n\n") == "400 Bad parameter\n\n"
    finally:
        fifo(server, ":debug:\n3\n\n")
    assert fifo(server, ":debug:\n\n") == "200 OK\nDEBUG:: 3\n\n"


def test_get_and_reset_statistics(server):
    assert udp_request(server.port, options(server.port))
    rpl = fifo(server, ":get_statistics:\nrcv_requests\n\n")
    head, line = rpl.split("\n")[:2]
    assert head == "200 OK" and line.startswith("core:rcv_requests = ")
    assert int(line.split(" = ")[1]) >= 1
    rpl = fifo(server, ":get_statistics:\ncore:\nsl:\n\n").split("\n")
    assert rpl[1:12] == ["core:%s = %s" % (n, rpl[1 + i].split(" = ")[1])
                         for i, n in enumerate(
                             ("rcv_requests", "rcv_replies", "fwd_requests",
                              "fwd_replies", "drop_requests", "drop_replies",
                              "err_requests", "err_replies", "bad_URIs_rcvd",
                              "unsupported_methods", "bad_msg_hdr"))]
    assert "sl:sent_replies = " in "\n".join(rpl)
    every = fifo(server, ":get_statistics:\nall\n\n").split("\n")

    def names(lines):             # values move: SIP traffic may still run
        return {line.split(" = ")[0] for line in lines if " = " in line}
    assert names(rpl) <= names(every) and len(names(rpl)) == len(rpl) - 3
    assert fifo(server, ":get_statistics:\nno_such_stat\n\n") == \
        "404 Statistics Not Found\n\n"
    assert fifo(server, ":get_statistics:\n\n") == \
        "400 Too few or too many arguments\n\n"
    assert fifo(server, ":reset_statistics:\nrcv_requests\n\n") == \
        "200 OK\n\n"
    assert fifo(server, ":get_statistics:\nrcv_requests\n\n") == \
        "200 OK\ncore:rcv_requests = 0\n\n"
    assert fifo(server, ":reset_statistics:\nno_such_stat\n\n") == \
        "404 Statistics Not Found\n\n"


def test_transport_errors_and_recovery(server):
    before = server.all_pids()
    assert fifo(server, ":no_such_cmd:\nx\n\n") == \
        "500 command 'no_such_cmd' not available\n"
    assert fifo(server, ':debug:\nab"c\nmore\n\n') == \
        "400 parse error in command 'debug'\n"
    assert fifo(server, ':debug:\n"never closed\n\n') == \
        "400 parse error in command 'debug'\n"
    assert fifo(server, ":debug:\n" + "x" * 2000 + "\n\n") == \
        "400 parse error in command 'debug'\n"
    # garbage without a usable command line: dropped, no reply possible
    raw_fifo(server, "not a command\nstill not\n\n")
    raw_fifo(server, ":" + "y" * 3000 + "\n\n")
    raw_fifo(server, ":ps:bad.name\n\n")
    assert fifo(server, ":debug:\n\n") == "200 OK\nDEBUG:: 3\n\n"
    assert server.all_pids() == before      # nothing died or restarted


def test_empty_reply_name_runs_without_reply(server):
    raw_fifo(server, ":reset_statistics:\nrcv_requests\n\n")
    assert udp_request(server.port, options(server.port))
    raw_fifo(server, ":reset_statistics:\nrcv_requests\n\n")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if fifo(server, ":get_statistics:\nrcv_requests\n\n").endswith(
                "= 0\n\n"):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the reply-less reset_statistics did not run")


def test_client_that_never_reads_its_reply(server):
    name = "lazy_%s" % uuid.uuid4().hex[:8]
    path = os.path.join(server.dir, name)
    os.mkfifo(path, 0o600)                   # created, never opened
    try:
        raw_fifo(server, ":which:%s\n\n" % name)
        t0 = time.monotonic()
        assert fifo(server, ":version:\n\n", timeout=5).startswith("200 OK")
        assert time.monotonic() - t0 < 3
    finally:
        os.unlink(path)


def test_client_that_opens_but_never_reads_a_big_reply(server):
    from openser_py.modules.mi_fifo.fifo_server import REPLY_TIMEOUT
    name = "stuck_%s" % uuid.uuid4().hex[:8]
    path = os.path.join(server.dir, name)
    os.mkfifo(path, 0o600)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)   # opened, never read
    try:
        # about 20 lines of 25 bytes per "all": well over a pipe's 64 KiB
        raw_fifo(server, ":get_statistics:%s\n%s\n" % (name, "all\n" * 300))
        t0 = time.monotonic()
        assert fifo(server, ":version:\n\n",
                    timeout=REPLY_TIMEOUT + 5).startswith("200 OK")
        assert time.monotonic() - t0 < REPLY_TIMEOUT + 3
    finally:
        os.close(fd)
        os.unlink(path)


def test_writer_stalling_mid_request(server):
    from openser_py.modules.mi_fifo.fifo_server import READ_TIMEOUT
    raw_fifo(server, ":debug:\n4\n")          # no empty line: stalls
    time.sleep(READ_TIMEOUT + 0.7)
    # the stalled request was dropped (debug not set to 4); the next one
    # is read on its own and answered at once
    t0 = time.monotonic()
    assert fifo(server, ":debug:\n\n", timeout=3) == "200 OK\nDEBUG:: 3\n\n"
    assert time.monotonic() - t0 < 2


def test_fifo_client_unreachable(tmp_path):
    with pytest.raises(MiUnreachable):
        fifo_request(str(tmp_path / "nothing"), ":ps:\n\n", 1,
                     reply_dir=str(tmp_path) + "/")
    os.mkfifo(tmp_path / "noreader")
    with pytest.raises(MiUnreachable):
        fifo_request(str(tmp_path / "noreader"), ":ps:\n\n", 1,
                     reply_dir=str(tmp_path) + "/")
    assert sorted(os.listdir(tmp_path)) == ["noreader"]  # reply fifo gone


# -- datagram -------------------------------------------------------------------------
def test_datagram_unix(server):
    assert datagram_request(server.sock, ":which:\n") == \
        "200 OK\n%s\n" % "\n".join(CORE)
    rpl = datagram_cmd(server.sock, "get_statistics", ["core:"])
    assert rpl.code == 200 and len(rpl.kids) == 11
    assert datagram_request(server.sock, ":nope:\n") == \
        "500 command not available\n"
    assert datagram_request(server.sock, ':debug:\na"b\n') == \
        "400 parse error in command\n"
    assert datagram_request(server.sock, "junk\n") == \
        "400 parse error in command\n"
    big = ":debug:\n" + "x" * 70000 + "\n"
    assert datagram_request(server.sock, big) == \
        "400 parse error in command\n"
    assert datagram_request(server.sock, ":get_statistics:\nnope\n") == \
        "404 Statistics Not Found\n"
    assert datagram_request(server.sock, ":version:\n").startswith(
        "200 OK\nServer:: OpenSER")


def test_openserunix(server):
    tool = os.path.join(ROOT, "sbin", "openserunix")
    env = dict(os.environ, PYTHONPATH=ROOT)

    def private():
        return {n for n in os.listdir("/tmp") if n.startswith("OpenSER.")}
    before = private()

    def run(*args, stdin=""):
        return subprocess.run([sys.executable, tool] + list(args),
                              input=stdin, capture_output=True, text=True,
                              env=env, timeout=30)
    res = run(server.sock, stdin=":which:\n")
    assert (res.returncode, res.stdout) == (0, "200 OK\n%s\n" % "\n".join(
        CORE))
    res = run(server.sock, "get_statistics", "core:", "sl:")
    assert res.returncode == 0 and "core:rcv_requests = " in res.stdout \
        and "sl:sent_replies = " in res.stdout
    res = run(server.sock, "get_statistics", "no_such_stat")
    assert (res.returncode, res.stdout) == (1, "404 Statistics Not Found\n")
    res = run(server.sock, "no_such_cmd")
    assert (res.returncode, res.stdout) == (1, "500 command not available\n")
    res = run(os.path.join(server.dir, "nothing.sock"), "which")
    assert res.returncode == 3 and res.stdout == ""
    assert "cannot reach" in res.stderr
    res = run()
    assert res.returncode == 1 and res.stderr.startswith(
        "Usage: openserunix <path_to_socket>")
    assert private() <= before              # private sockets removed


# -- servers of their own ---------------------------------------------------------------
def test_udp_datagram_fifo_mode_and_cleanup(tmp_path):
    port = free_port()
    srv = start(tmp_path, dgram="udp:127.0.0.1:%d" % port, children=1)
    try:
        fifo_path = tmp_path / "fifo"
        st = os.lstat(fifo_path)
        assert stat.S_ISFIFO(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600
        assert datagram_request("udp:127.0.0.1:%d" % port, ":debug:\n") == \
            "200 OK\nDEBUG:: 3\n"
        # a plain UDP socket, not connected: the reply comes back to it
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(b":version:\n", ("127.0.0.1", port))
            data, addr = s.recvfrom(65535)
        assert data.startswith(b"200 OK\nServer:: OpenSER")
        assert addr == ("127.0.0.1", port)
        types = fifo_cmd(str(fifo_path), "ps", reply_dir=str(tmp_path) + "/")
        assert sum("MI Datagram" in k.value for k in types.kids) == 1
    finally:
        code = srv.stop()
        srv.close()
    assert code == 0
    assert not fifo_path.exists()
    assert srv.leftovers() == set()


def test_mi_kill_stops_the_server_and_removes_its_files(tmp_path):
    sock = tmp_path / "k.sock"
    gid = next((g for g in os.getgroups() if g != os.getegid()),
               4242 if os.geteuid() == 0 else None)
    extra = 'modparam("mi_fifo", "fifo_mode", 0640)\n'
    if gid is not None:
        extra += 'modparam("mi_fifo", "fifo_group", "%d")\n' % gid
    srv = start(tmp_path, dgram=str(sock), children=1, extra=extra)
    try:
        st = os.lstat(tmp_path / "fifo")
        assert stat.S_IMODE(st.st_mode) == 0o640
        assert gid is None or st.st_gid == gid
        assert stat.S_ISSOCK(os.lstat(sock).st_mode)
        assert stat.S_IMODE(os.lstat(sock).st_mode) == 0o600
        pids = srv.all_pids()
        # the reply leaves before the attendant is told to stop
        assert datagram_request(str(sock), ":kill:\n", timeout=5) == \
            "500 command failed\n"
        assert srv.proc.wait(20) == 0
        srv.pids = pids
        assert srv.leftovers() == set()
    finally:
        srv.close()
    assert not (tmp_path / "fifo").exists()
    assert not sock.exists()


def test_existing_file_at_fifo_name_is_replaced(tmp_path):
    (tmp_path / "fifo").write_text("stale")
    srv = start(tmp_path)
    try:
        assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode)
        assert fifo_request(str(tmp_path / "fifo"), ":pwd:\n\n", 5,
                            reply_dir=str(tmp_path) + "/") == \
            "200 OK\nWD:: %s\n\n" % ROOT
    finally:
        assert srv.stop() == 0
        srv.close()
