"""systemd notifications: the NOTIFY_SOCKET protocol (abstract and path
sockets) and a running server's READY/STATUS/WATCHDOG/RELOADING/STOPPING,
read from a datagram socket the test binds."""
import os
import signal
import socket
import time
import uuid

import pytest

from openser_py.core import sd_notify
from tests.integration.conftest import options, udp_request


def bind_notify(tmp_path, abstract=True):
    """An AF_UNIX datagram socket; returns (socket, NOTIFY_SOCKET value)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = "openser-test-%s" % uuid.uuid4().hex
        sock.bind("\0" + name)
        value = "@" + name
    else:
        value = str(tmp_path / "notify.sock")
        sock.bind(value)
    sock.settimeout(0.2)
    return sock, value


def messages(sock, until, timeout=15.0):
    """Datagrams (as dicts) until *until(list)* is true or the timeout."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until(got):
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        got.append(dict(line.split("=", 1)
                        for line in data.decode().split("\n") if line))
    return got


@pytest.mark.parametrize("abstract", [True, False])
def test_notify_sends_one_datagram(tmp_path, monkeypatch, abstract):
    sock, value = bind_notify(tmp_path, abstract)
    with sock:
        monkeypatch.setenv("NOTIFY_SOCKET", value)
        assert sd_notify.enabled()
        assert sd_notify.notify("READY=1", "STATUS=two\nlines")
        assert sock.recv(4096) == b"READY=1\nSTATUS=two lines"
        assert sd_notify.reloading()
        msg = sock.recv(4096).decode().split("\n")
        assert msg[0] == "RELOADING=1" and msg[1].startswith(
            "MONOTONIC_USEC=") and int(msg[1].split("=")[1]) > 0


def test_without_socket_nothing_is_sent(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not sd_notify.enabled()
    assert sd_notify.notify("READY=1") is False
    monkeypatch.setenv("NOTIFY_SOCKET", "relative/path")
    assert sd_notify.notify("READY=1") is False
    monkeypatch.setenv("NOTIFY_SOCKET", "@openser-nobody-%s" % uuid.uuid4())
    assert sd_notify.notify("READY=1") is False      # nobody bound it


def test_watchdog_interval():
    env = {"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "3000000"}
    assert sd_notify.watchdog_interval(env) == 1.5
    assert sd_notify.watchdog_interval(dict(env, WATCHDOG_PID=str(
        os.getpid()))) == 1.5
    assert sd_notify.watchdog_interval(dict(env, WATCHDOG_PID="1")) is None
    assert sd_notify.watchdog_interval({"WATCHDOG_USEC": "3000000"}) is None
    assert sd_notify.watchdog_interval(dict(env, WATCHDOG_USEC="0")) is None
    assert sd_notify.watchdog_interval(dict(env, WATCHDOG_USEC="x")) is None


def test_server_lifecycle(openser, tmp_path, monkeypatch):
    sock, value = bind_notify(tmp_path)
    with sock:
        monkeypatch.setenv("NOTIFY_SOCKET", value)
        monkeypatch.setenv("WATCHDOG_USEC", "400000")     # ping every 0.2 s
        srv = openser('sl_send_reply("200", "OK");', start=False)
        srv.start(wait=False)
        got = messages(sock, lambda g: any("READY" in m for m in g))
        ready = [m for m in got if m.get("READY") == "1"]
        assert ready, (got, srv.output())
        assert ready[0]["MAINPID"] == str(srv.proc.pid)
        assert ready[0]["STATUS"].startswith("serving")
        # ready means bound and children up: it answers at once
        assert udp_request(srv.port, options(srv.port), timeout=2.0)
        t0 = time.monotonic()
        got = messages(sock, lambda g: sum("WATCHDOG" in m for m in g) >= 5,
                       timeout=5.0)
        assert sum(m.get("WATCHDOG") == "1" for m in got) >= 5
        assert time.monotonic() - t0 < 3.0
        srv.proc.send_signal(signal.SIGHUP)
        got = messages(sock, lambda g: any("RELOADING" in m for m in g)
                       and any("READY" in m for m in g[1:]))
        names = [m for m in got if "RELOADING" in m or "READY" in m]
        assert names[0]["RELOADING"] == "1" and "MONOTONIC_USEC" in names[0]
        done = [m for m in names if m.get("READY") == "1"]
        assert done and "generation 1" in done[0]["STATUS"], got
        assert srv.stop() == 0
        got = messages(sock, lambda g: any("STOPPING" in m for m in g),
                       timeout=3.0)
        assert any(m.get("STOPPING") == "1" for m in got)
