"""openserctl as a program: exit codes, usage errors, settings precedence,
--json, colour (TTY, NO_COLOR), the sbin launcher, start/stop/restart."""
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from openser_py import version
from tests.conftest import ROOT, free_port
from tests.ctl.test_openserctl_util import run, write_rc

SBIN = os.path.join(ROOT, "sbin", "openserctl")


@pytest.fixture
def rc(tmp_path, monkeypatch):
    return write_rc(tmp_path, monkeypatch,
                    OSER_FIFO=str(tmp_path / "absent_fifo"),
                    PID_FILE=str(tmp_path / "openser.pid"),
                    SIP_DOMAIN="example.org", MI_TIMEOUT="1")


def test_version_and_help(rc):
    r = run("version")
    assert r.status == 0 and r.out.startswith("openserctl for openser 1.3.1")
    assert json.loads(run("--json", "version").out)["release"] == \
        version.RELEASE
    r = run("help")
    assert r.status == 0 and "ul show" in r.out and "exit status" in r.out
    r = run()
    assert r.status == 2 and "usage:" in r.err


@pytest.mark.parametrize("argv", [
    ["nosuchcommand"], ["add", "onlyuser"], ["ul", "frobnicate"],
    ["acl", "grant"], ["-o", "NOEQUALS", "version2"], ["--color", "pink",
                                                       "ps"],
    ["ul", "add", "a"], ["dispatcher", "addgw", "one", "sip:x"]])
def test_usage_errors_are_status_2(rc, argv):
    r = run(*argv)
    assert r.status == 2, r
    assert r.err.startswith("ERROR:") or "ERROR:" in r.err
    assert "Traceback" not in r.err


def test_usage_error_json(rc):
    r = run("--json", "add", "x")
    assert r.status == 2
    err = json.loads(r.out)
    assert err == {"ok": False, "error": err["error"], "hint": err["hint"],
                   "status": 2}
    assert "password" in err["error"]


def test_unreachable_server_is_status_3_with_json(rc, tmp_path):
    r = run("--json", "ps")
    assert r.status == 3
    err = json.loads(r.out)
    assert err["status"] == 3
    assert "mi_fifo" in err["hint"] and "OSER_FIFO" in err["hint"]
    assert "no readable PID file" in err["hint"]


def test_permission_denied_hint(rc, tmp_path):
    if os.geteuid() == 0:
        # root bypasses the mode bits: run the client as nobody instead,
        # on a FIFO (mode 0600, owner root) in a directory nobody can enter
        py = "/usr/bin/python3"        # the venv's interpreter is under /root
        if not os.access(py, os.X_OK):
            pytest.skip("running as root and no system python3 to run "
                        "the unprivileged client")
        import tempfile
        d = tempfile.mkdtemp(prefix="octl_perm_")
        try:
            os.chmod(d, 0o755)
            fifo = os.path.join(d, "fifo")
            os.mkfifo(fifo, 0o600)
            code = ("import sys; sys.path.insert(0, %r);"
                    "from openser_py.ctl.openserctl import main;"
                    "sys.exit(main(['-o', 'OSER_FIFO=%s', '-o', "
                    "'OSER_REPLY_DIR=/tmp/', 'ps']))" % (ROOT, fifo))
            env = {k: v for k, v in os.environ.items()
                   if k != "OPENSERCTLRC"}
            env.update(HOME=d, PYTHONPATH=ROOT)
            p = subprocess.run([py, "-c", code], capture_output=True,
                               text=True, timeout=30, preexec_fn=_drop_root,
                               cwd="/", env=env)
        finally:
            import shutil
            shutil.rmtree(d, ignore_errors=True)
        assert p.returncode == 3, p.stderr
        assert "permission denied writing" in p.stderr
        return
    fifo = tmp_path / "ro_fifo"
    os.mkfifo(fifo, 0o400)
    r = run("-o", "OSER_FIFO=%s" % fifo, "ps")
    assert r.status == 3 and "permission denied writing" in r.err


def test_reply_dir_not_writable(rc, tmp_path):
    r = run("-o", "OSER_REPLY_DIR=%s/missing/" % tmp_path, "ps")
    assert r.status == 3
    assert "reply FIFO" in r.err and "reply_dir" in r.err


def _drop_root():
    os.setgid(65534)
    os.setuid(65534)


def test_settings_precedence(rc, tmp_path, monkeypatch):
    """defaults < openserctlrc < OPENSER_<NAME> < -o."""
    r = json.loads(run("--json", "config").out)["settings"]
    assert r["SIP_DOMAIN"] == {"value": "example.org",
                               "source": "openserctlrc"}
    assert r["OSER_UNIXSOCK"]["source"] == "default"
    monkeypatch.setenv("OPENSER_SIP_DOMAIN", "env.example")
    monkeypatch.setenv("OPENSER_DBRWPW", "sekrit")
    r = json.loads(run("--json", "config").out)["settings"]
    assert r["SIP_DOMAIN"]["value"] == "env.example"
    assert r["DBRWPW"]["value"] == "********"          # never printed
    r = json.loads(run("--json", "-o", "SIP_DOMAIN=opt.example",
                       "config").out)["settings"]
    assert r["SIP_DOMAIN"] == {"value": "opt.example", "source": "-o"}
    # options after the command work too
    r = json.loads(run("config", "-o", "SIP_DOMAIN=late", "--json").out)
    assert r["settings"]["SIP_DOMAIN"]["value"] == "late"


def test_rc_shell_code_is_not_run(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    path = write_rc(tmp_path, monkeypatch, SIP_DOMAIN="a.example")
    path.write_text(path.read_text() + "touch %s\nX=$(touch %s)\n"
                    % (marker, marker))
    r = run("--json", "config")
    assert r.status == 0
    assert not marker.exists()
    assert "not a NAME=value line" in r.err


def _pty_run(argv, env):
    """Run sbin/openserctl with stdout/stderr on a pseudo-terminal."""
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, SBIN] + argv, stdout=slave,
                         stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif p.poll() is not None:
            break
    os.close(master)
    p.wait(10)
    return p.returncode, b"".join(chunks).decode()


def test_colour_only_on_tty_and_never_with_no_color(rc, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(HOME=str(tmp_path), OPENSERCTLRC=str(rc), TERM="xterm")
    code, text = _pty_run(["ps"], env)
    assert code == 3
    assert "\033[31;1mERROR:\033[0m" in text
    code, text = _pty_run(["ps"], dict(env, NO_COLOR="1"))
    assert code == 3 and "ERROR:" in text and "\033[" not in text
    code, text = _pty_run(["--color", "always", "ps"],
                          dict(env, NO_COLOR="1"))
    assert "\033[" not in text
    # not a terminal: no colour unless asked for
    p = subprocess.run([sys.executable, SBIN, "ps"], capture_output=True,
                       text=True, env=env, timeout=30)
    assert p.returncode == 3 and "\033[" not in p.stderr
    p = subprocess.run([sys.executable, SBIN, "--color=always", "ps"],
                       capture_output=True, text=True, env=env, timeout=30)
    assert "\033[31;1mERROR:" in p.stderr


def test_console_script_entry(rc, tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "openserctl")
    if not os.path.exists(exe):
        pytest.skip("console script not installed in this interpreter")
    p = subprocess.run([exe, "version"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0 and "openserctl for openser 1.3.1" in p.stdout


def _sip_responder(code, reason):
    """A UDP socket answering every request once with *code* (a peer that
    is not openser: exercises the client's reply handling); returns
    ``(port, thread, sock)``."""
    import threading
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)

    def serve():
        try:
            data, peer = sock.recvfrom(65535)
        except (socket.timeout, OSError):
            return
        lines = data.decode().split("\r\n")
        keep = [ln for ln in lines[1:] if ln.split(":")[0].lower() in
                ("via", "from", "to", "call-id", "cseq")]
        sock.sendto(("SIP/2.0 100 Trying\r\n%s\r\n\r\n"
                     % "\r\n".join(keep)).encode(), peer)
        sock.sendto(("SIP/2.0 %d %s\r\n%s\r\nContent-Length: 0\r\n\r\n"
                     % (code, reason, "\r\n".join(keep))).encode(), peer)
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return sock.getsockname()[1], t, sock


def test_ping_error_reply_is_status_1(rc):
    port, t, sock = _sip_responder(503, "Service Unavailable")
    try:
        r = run("--json", "ping", "sip:x@127.0.0.1:%d" % port)
    finally:
        t.join(5)
        sock.close()
    assert r.status == 1
    data = json.loads(r.out)
    assert (data["code"], data["reason"], data["ok"]) == (
        503, "Service Unavailable", False)


def test_ping_bad_uri_is_usage(rc):
    assert run("ping", "sips:secure@127.0.0.1").status == 2
    assert run("ping", "sip:x@127.0.0.1:99999").status == 2


# -- start / stop / restart ------------------------------------------------------
@pytest.fixture
def startable(tmp_path, monkeypatch):
    port = free_port()
    cfg = tmp_path / "openser.cfg"
    cfg.write_text("debug=3\nchildren=1\nlisten=udp:127.0.0.1:%d\n"
                   "disable_tcp=yes\nloadmodule \"sl.so\"\n"
                   "route { sl_send_reply(\"200\", \"OK\"); }\n" % port)
    pid_file = tmp_path / "openser.pid"
    write_rc(tmp_path, monkeypatch, PID_FILE=str(pid_file),
             STARTOPTIONS="-f %s" % cfg, SIP_DOMAIN="example.org")
    started = []
    yield cfg, pid_file, port, started
    for pid in started:                    # only what this test started
        try:
            proc = psutil.Process(pid)
            kids = proc.children(recursive=True)
            proc.send_signal(signal.SIGKILL)
            for k in kids:
                k.send_signal(signal.SIGKILL)
        except psutil.Error:
            pass


def test_start_stop_restart(startable):
    cfg, pid_file, port, started = startable
    r = run("--json", "start")
    assert r.status == 0, r.err
    pid = json.loads(r.out)["pid"]
    started.append(pid)
    assert psutil.pid_exists(pid)
    assert int(pid_file.read_text().split()[0]) == pid
    assert run("ping", "127.0.0.1:%d" % port).status == 0
    again = run("start")
    assert again.status == 1 and "already running" in again.err
    r = run("--json", "restart")
    assert r.status == 0, r.err
    data = json.loads(r.out)
    started.append(data["pid"])
    assert data["old_pid"] == pid and data["pid"] != pid
    assert not psutil.pid_exists(pid) or \
        psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    r = run("stop")
    assert r.status == 0, r.err
    assert run("ping", "--timeout", "0.6", "127.0.0.1:%d" % port) \
        .status == 3
    r = run("stop")                        # pid file gone or stale
    assert r.status == 1
    assert "not running" in r.err or "no readable PID file" in r.err


def test_start_failure_shows_the_cause(startable):
    cfg, pid_file, port, started = startable
    cfg.write_text("route { no_such_function(); }\n")
    r = run("start")
    assert r.status == 1
    assert "failed to start" in r.err
    assert "no_such_function" in r.err       # the server's own message


def test_stop_stale_pid_file(startable, tmp_path):
    cfg, pid_file, port, started = startable
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    pid_file.write_text("%d\n" % p.pid)
    r = run("stop")
    assert r.status == 1 and "is not running" in r.err
    assert "stale PID file" in r.err
