"""The openser command line: options, precedence, privileges, TCP, shm."""
import os
import pwd
import socket
import subprocess
import sys
import textwrap

import psutil
import pytest

from openser_py import version
from tests.conftest import ROOT, free_port
from tests.integration.conftest import OpenserProcess, options, udp_request

OK_ROUTE = 'sl_send_reply("200", "OK");'


def run(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "openser_py.main"] + list(args),
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env=dict(os.environ, PYTHONPATH=ROOT))


def test_version_and_help():
    res = run("-V")
    assert res.returncode == 0
    assert res.stdout.startswith("version: openser %s (" % version.RELEASE)
    assert "flags: " in res.stdout
    from openser_py.parser.index import IMPLEMENTATION
    assert "parser header index: %s\n" % IMPLEMENTATION in res.stdout
    res = run("-h")
    assert res.returncode == 0
    for opt in ("-f", "-c", "-D", "-E", "-d", "-l", "-n", "-m", "-M", "-P",
                "-u", "-g", "-w", "-T", "-N", "-b", "-V"):
        assert "\n  %s " % opt in res.stdout, opt


def test_check_mode_exit_codes(tmp_path):
    good = tmp_path / "good.cfg"
    good.write_text('loadmodule "sl"\nroute { sl_send_reply("200","OK"); }\n')
    res = run("-c", "-f", str(good))
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    bad = tmp_path / "bad.cfg"
    bad.write_text('route { sl_send_reply("200","OK"); }\n')
    res = run("-c", "-f", str(bad))
    assert res.returncode == 1
    assert "%s:1:9: unknown command sl_send_reply()" % bad in res.stderr


def test_cmdline_listen_and_children_apply_when_cfg_is_silent(tmp_path):
    port = free_port()
    cfg = tmp_path / "c.cfg"
    cfg.write_text('disable_tcp=yes\nloadmodule "sl"\nroute { %s }\n' % OK_ROUTE)
    srv = OpenserProcess(tmp_path, OK_ROUTE, port=port)
    srv.cfg = cfg
    srv.args = ["-DD", "-E", "-l", "udp:127.0.0.1:%d" % port, "-n", "3"]
    srv.start()
    try:
        titles = [t for t in srv.titles().values() if "udp receiver" in t]
        assert len(titles) == 3
        assert all("sock=127.0.0.1:%d" % port in t for t in titles)
    finally:
        assert srv.stop() == 0
        srv.close()


def test_cfg_children_beats_cmdline(tmp_path):
    srv = OpenserProcess(tmp_path, OK_ROUTE, children=2)
    srv.args = ["-DD", "-E", "-n", "5"]
    srv.start()
    try:
        assert len([t for t in srv.titles().values() if "udp receiver" in t]) == 2
    finally:
        srv.stop()
        srv.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
def test_user_drop_after_bind(tmp_path):
    nobody = pwd.getpwnam("nobody")
    os.chmod(tmp_path, 0o755)
    srv = OpenserProcess(tmp_path, OK_ROUTE, children=1)
    srv.args = ["-DD", "-E", "-u", "nobody"]
    srv.start()
    try:
        uids = {psutil.Process(p).uids().real for p in srv.all_pids()}
        assert uids == {nobody.pw_uid}
        assert int(srv.pid_file.read_text()) == srv.proc.pid
    finally:
        srv.stop()
        srv.close()


def test_tcp_pipelined_and_split_messages(openser):
    srv = openser(OK_ROUTE, children=1, tcp=True)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as c:
        one = options(srv.port).replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
        c.sendall(one + b"\r\n\r\n" + one)          # pipelined + keep-alive
        two = options(srv.port).replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
        c.sendall(two[:30])
        c.sendall(two[30:])                          # split
        buf = b""
        while buf.count(b"SIP/2.0 200 OK") < 3:
            chunk = c.recv(65535)
            assert chunk, buf
            buf += chunk
    assert buf.count(b"SIP/2.0 200 OK") == 3
    tcp_titles = [t for t in srv.titles().values() if "tcp" in t]
    assert "openser: tcp main" in tcp_titles
    assert srv.stop() == 0 and srv.leftovers() == set()


SHM_EATER = textwrap.dedent('''
    """Test module: allocates shm on every call and never frees it."""
    from openser_py.sr_module import ModuleExports, CmdExport, REQUEST_ROUTE
    from openser_py.mem.shm_mem import shm_malloc
    from openser_py.error import E_OUT_OF_MEM
    from openser_py.dprint import LM_ERR

    def w_eat(msg):
        if not shm_malloc(64 * 1024):
            LM_ERR("out of shared memory")
            return E_OUT_OF_MEM
        return 1

    exports = ModuleExports(name="shmeater", cmds=(
        CmdExport("shm_eat", w_eat, 0, None, None, REQUEST_ROUTE, doc="eat"),))
''')


def test_shm_exhaustion_answered_500_server_lives(tmp_path, openser):
    (tmp_path / "shmeater.py").write_text(SHM_EATER)
    srv = openser('if (!shm_eat()) { sl_reply_error(); exit; } '
                  'sl_send_reply("200", "OK");', children=1,
                  modules=("sl", "shmeater"), extra='mpath="%s"' % tmp_path,
                  args=("-DD", "-E", "-m", "2"))
    codes = []
    for _ in range(60):
        reply = udp_request(srv.port, options(srv.port))
        codes.append(reply.split(b" ", 2)[1] if reply else None)
    assert b"200" in codes and b"500" in codes, codes
    assert None not in codes
    assert codes[-1] == b"500"
    assert "out of shared memory" in srv.output()
    assert srv.stop() == 0
