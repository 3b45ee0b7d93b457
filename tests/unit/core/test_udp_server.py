"""The UDP transport: a real socket on 127.0.0.1, a receiver thread, sl."""
import socket
import threading

import pytest

from openser_py.core import (core_stats, forward, script_cb, statistics,
                             udp_server)
from openser_py.core.errors import E_SEND
from openser_py.core.ip_addr import PROTO_TCP, PROTO_UDP, SocketInfo
from openser_py.core.script_state import state
from openser_py.core.scriptrun import load_script
from openser_py.modules.sl import sl_funcs
from tests.conftest import free_port

TIMEOUT = 5.0

OPTIONS = ("OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:{cport};branch=z9hG4bK{n}\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:alice@example.com>;tag=a1\r\n"
           "To: <sip:127.0.0.1>\r\n"
           "Call-ID: {n}@example.com\r\n"
           "CSeq: 1 OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n")


@pytest.fixture(autouse=True)
def clean():
    statistics.reset_registry()
    core_stats.init_core_stats()
    script_cb.reset_script_cbs()
    state.reset()
    old = forward.set_sender(forward.transport_send)
    yield
    forward.set_sender(old)
    sl_funcs.sl_shutdown()
    script_cb.reset_script_cbs()
    statistics.reset_registry()
    core_stats.init_core_stats()
    state.reset()


@pytest.fixture
def server():
    """A script with sl on a bound UDP socket, served by a receiver thread."""
    port = free_port()
    script = load_script('listen=udp:127.0.0.1:%d\nloadmodule "sl.so"\n'
                         'route { sl_send_reply("200", "Alive"); }\n' % port)
    si = script.sockets[0]
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", port))
    srv.settimeout(0.05)          # so that stop() is checked while idle
    si.sock = srv
    stop = threading.Event()
    th = threading.Thread(target=udp_server.udp_rcv_loop,
                          args=(si, stop.is_set), daemon=True)
    th.start()
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.bind(("127.0.0.1", 0))
    cli.settimeout(TIMEOUT)
    try:
        yield port, cli, th
    finally:
        stop.set()
        th.join(TIMEOUT)
        cli.close()
        srv.close()
    assert not th.is_alive()


def options(port, cli, n):
    return OPTIONS.format(port=port, cport=cli.getsockname()[1],
                          n=n).encode()


def test_options_answered_200_by_sl(server):
    port, cli, _ = server
    cli.sendto(options(port, cli, "a1"), ("127.0.0.1", port))
    data, addr = cli.recvfrom(65535)
    assert addr == ("127.0.0.1", port)
    assert data.startswith(b"SIP/2.0 200 Alive\r\n")
    assert b"Call-ID: a1@example.com\r\n" in data
    assert statistics.get_stat("rcv_requests", "core").get() == 1


def test_keepalives_ignored_and_garbage_does_not_stop_the_loop(server):
    port, cli, th = server
    for junk in (b"\r\n\r\n", b"", b"\x00" * 4, b"\r\n" * 20,
                 b"complete garbage that is long enough\r\n\r\n"):
        cli.sendto(junk, ("127.0.0.1", port))
    cli.sendto(options(port, cli, "b2"), ("127.0.0.1", port))
    data, _ = cli.recvfrom(65535)
    assert b"Call-ID: b2@example.com\r\n" in data     # the first reply
    assert th.is_alive()
    assert statistics.get_stat("bad_msg_hdr", "core").get() == 1


def test_malformed_request_answered_400_over_udp(server):
    port, cli, _ = server
    bad = options(port, cli, "c3").replace(b"Max-Forwards: 70\r\n",
                                           b"Max-Forwards: 70\r\nnonsense\r\n")
    cli.sendto(bad, ("127.0.0.1", port))
    data, _ = cli.recvfrom(65535)
    assert data.startswith(b"SIP/2.0 400 Bad Request\r\n")
    cli.sendto(options(port, cli, "c4"), ("127.0.0.1", port))
    data, _ = cli.recvfrom(65535)
    assert data.startswith(b"SIP/2.0 200 Alive\r\n")


def test_stop_ends_the_loop_without_traffic():
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    srv.settimeout(0.05)
    si = SocketInfo(PROTO_UDP, "127.0.0.1", srv.getsockname()[1])
    si.sock = srv
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3
    th = threading.Thread(target=udp_server.udp_rcv_loop, args=(si, stop),
                          daemon=True)
    th.start()
    th.join(TIMEOUT)
    srv.close()
    assert not th.is_alive() and len(calls) == 4


def test_udp_send_and_msg_send_default_transport():
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(TIMEOUT)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind(("127.0.0.1", 0))
    si = SocketInfo(PROTO_UDP, "127.0.0.1", tx.getsockname()[1])
    si.sock = tx
    try:
        port = rx.getsockname()[1]
        assert forward.msg_send(si, PROTO_UDP, "127.0.0.1", port,
                                b"hello") == 1
        data, addr = rx.recvfrom(100)
        assert data == b"hello" and addr == tx.getsockname()
        unbound = SocketInfo(PROTO_UDP, "127.0.0.1", 1)
        assert forward.msg_send(unbound, PROTO_UDP, "127.0.0.1", port,
                                b"x") == E_SEND
        assert forward.msg_send(None, PROTO_UDP, "127.0.0.1", port,
                                b"x") == E_SEND
    finally:
        rx.close()
        tx.close()


def test_tcp_goes_to_the_tcp_subsystem(monkeypatch):
    calls = []
    monkeypatch.setattr(forward, "_tcp_send",
                        lambda *a: calls.append(a) or 1)
    assert forward.msg_send(None, PROTO_TCP, "127.0.0.1", 5060, b"x") == 1
    assert calls == [(None, "127.0.0.1", 5060, b"x")]
    monkeypatch.setattr(forward, "_tcp_send", lambda *a: -1)
    assert forward.msg_send(None, PROTO_TCP, "127.0.0.1", 5060, b"x") \
        == E_SEND
    monkeypatch.setattr(forward, "_tcp_send", False)      # no tcp module
    assert forward.msg_send(None, PROTO_TCP, "127.0.0.1", 5060, b"x") \
        == E_SEND
