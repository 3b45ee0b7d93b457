"""TCP transport: TCP main + workers in forked processes, real sockets.

Everything runs on 127.0.0.1 with kernel-chosen ports; every wait is
bounded and the harness reaps exactly the processes it forked.
"""
import os
import signal
import socket
import time

import pytest

from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS, SocketInfo
from openser_py.core.tcp import (TCP_MAIN_DESC, TCP_WORKER_DESC, ipc,
                                 tcp_init, tcp_parent_close)
from openser_py.core.tcp.conn import ConnTable, TcpConn
from openser_py.core.tcp.harness import TcpHarness
from openser_py.core.tcp.worker import TcpReceiveInfo, deliver_frames
from openser_py.parser.errors import SipParseError

LO = "127.0.0.1"


def sip(callid, body=b"", extra="", cl=True, method="OPTIONS"):
    """A request with Content-Length (unless *cl* is False)."""
    head = ("%s sip:bob@example.com SIP/2.0\r\n"
            "Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK%s\r\n"
            "From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
            "Call-ID: %s\r\nCSeq: 1 %s\r\n%s"
            % (method, callid, callid, method, extra))
    if cl:
        head += "Content-Length: %d\r\n" % len(body)
    return head.encode() + b"\r\n" + body


def client(h):
    c = socket.create_connection(h.addr, timeout=5)
    c.settimeout(5)
    return c


def closed_by_server(c, timeout=5.0):
    """True if the server closes *c* within *timeout* (EOF or reset)."""
    c.settimeout(timeout)
    try:
        while True:
            if not c.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def frames(h, n, timeout=5.0):
    recs = h.records(n, timeout)
    assert len(recs) == n, recs
    return recs


@pytest.fixture(scope="module")
def srv():
    h = TcpHarness(n_workers=2, params={"tcp_connection_lifetime": 60,
                                        "tcp_send_timeout": 3,
                                        "tcp_connect_timeout": 3})
    h.start()
    yield h
    h.stop()


@pytest.fixture(scope="module")
def short():
    h = TcpHarness(n_workers=2, params={"tcp_connection_lifetime": 1,
                                        "tcp_max_connections": 3,
                                        "tcp_accept_aliases": 1,
                                        "tcp_send_timeout": 1,
                                        "tcp_connect_timeout": 2})
    h.start()
    yield h
    h.stop()


# -- pure pieces --------------------------------------------------------------

def test_descriptions():
    assert TCP_MAIN_DESC == "TCP main"
    assert TCP_WORKER_DESC == "TCP receiver"


def test_ipc_roundtrip_with_fd():
    a, b = ipc.channel_pair()
    r, w = socket.socketpair()
    try:
        ipc.send_msg(a, {"op": "x", "id": 7}, b"tail\r\n", r.fileno())
        hdr, raw, fd = ipc.recv_msg(b)
        assert hdr == {"op": "x", "id": 7} and raw == b"tail\r\n"
        with socket.socket(fileno=fd) as dup:
            w.send(b"ping")
            assert dup.recv(4) == b"ping"
        a.close()
        assert ipc.recv_msg(b) is None          # EOF
    finally:
        for s in (a, b, r, w):
            s.close()


def test_conn_table_aliases():
    t = ConnTable()
    c1 = TcpConn(t.new_id(), None, "10.0.0.1", 40000, LO, 5060, 0, 0.0)
    t.add(c1)
    assert t.find("10.0.0.1", 40000) is c1 and t.find("10.0.0.1", 5060) is None
    assert t.add_alias(c1, 5060)
    assert t.find("10.0.0.1", 5060) is c1 and t.get(c1.id) is c1
    for port in (1, 2, 3):
        assert t.add_alias(c1, port)
    assert not t.add_alias(c1, 4)               # MAX_ALIASES
    t.remove(c1)
    assert len(t) == 0 and t.find("10.0.0.1", 5060) is None


def test_deliver_frames_pure():
    got = []
    rcv = TcpReceiveInfo(LO, 1, LO, 2, None, 1)
    m1, m2 = sip("p1"), sip("p2", body=b"hello")
    buf = bytearray(b"\r\n" + m1 + b"\r\n\r\n" + m2 + m1[:10])
    assert deliver_frames(buf, rcv, lambda f, r: got.append(f), 65535) == 2
    assert got == [m1, m2] and bytes(buf) == m1[:10]
    buf = bytearray(b"\r\n\r\n")
    assert deliver_frames(buf, rcv, got.append, 65535) == 0 and buf == b""
    with pytest.raises(SipParseError):
        deliver_frames(bytearray(sip("x", cl=False)), rcv, got.append, 65535)


def test_init_uses_master_socket_and_derives_roles():
    pre = socket.socket()
    pre.bind((LO, 0))                        # bound by "the master"
    si = SocketInfo(PROTO_TCP, LO, pre.getsockname()[1])
    si.sock = pre
    tls = SocketInfo(PROTO_TLS, LO, 1)       # not served: skipped
    st = tcp_init([si, tls], 3, {"tcp_send_timeout": 4}, n_procs=9)
    try:
        assert st.sockets == [si] and si.sock is pre and tls.sock is None
        assert st.main_proc == 8 and st.worker_procs == [5, 6, 7]
        assert len(st.proc_chans) == 9 and st.cfg.send_timeout == 4.0
        assert st.cfg.lifetime == 120 and st.cfg.max_connections == 2048
        with socket.create_connection((LO, si.port), timeout=2):
            pass                             # it listens
    finally:
        tcp_parent_close(st)
    assert pre.fileno() == -1


# -- receiving ----------------------------------------------------------------

def test_one_message(srv):
    with client(srv) as c:
        m = sip("one")
        c.sendall(m)
        rec = frames(srv, 1)[0]
        assert rec["frame"].encode("latin-1") == m
        assert rec["src"] == [LO, c.getsockname()[1]]
        assert rec["dst"] == [LO, srv.si.port]
        assert rec["sock"] == "tcp:127.0.0.1:%d" % srv.si.port


def test_two_pipelined_messages(srv):
    with client(srv) as c:
        m1, m2 = sip("pipe1"), sip("pipe2", body=b"xyz")
        c.sendall(m1 + m2)
        recs = frames(srv, 2)
        assert [r["frame"].encode("latin-1") for r in recs] == [m1, m2]
        assert recs[0]["conn"] == recs[1]["conn"]


def test_message_split_in_three_sends(srv):
    with client(srv) as c:
        m = sip("split", body=b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n")
        cut1, cut2 = 20, len(m) - 7          # inside first line, inside body
        for part in (m[:cut1], m[cut1:cut2], m[cut2:]):
            c.sendall(part)
            time.sleep(0.2)
        rec = frames(srv, 1)[0]
        assert rec["frame"].encode("latin-1") == m
        assert srv.records(1, 0.3) == []     # nothing else was produced


def test_crlf_keepalives_between_messages(srv):
    with client(srv) as c:
        m1, m2 = sip("ka1"), sip("ka2")
        c.sendall(b"\r\n\r\n" + m1 + b"\r\n\r\n")
        time.sleep(0.1)
        c.sendall(b"\r\n" + m2 + b"\r\n")
        recs = frames(srv, 2)
        assert [r["frame"].encode("latin-1") for r in recs] == [m1, m2]


def test_body_and_content_length(srv):
    body = b"v=0\r\ns=-\r\n" + bytes(range(256)) * 40
    with client(srv) as c:
        m1, m2 = sip("body", body=body, method="INVITE"), sip("after")
        c.sendall(m1 + m2)
        recs = frames(srv, 2)
        assert recs[0]["frame"].encode("latin-1") == m1
        assert recs[0]["frame"].encode("latin-1").endswith(body)
        assert recs[1]["frame"].encode("latin-1") == m2


def test_missing_content_length_closes_connection(srv):
    with client(srv) as c:
        c.sendall(sip("nocl", cl=False))
        assert closed_by_server(c)
    assert srv.records(1, 0.3) == []
    with client(srv) as c2:                  # workers still serve
        c2.sendall(sip("after-nocl"))
        assert frames(srv, 1)[0]["frame"].endswith("\r\n\r\n")
    assert all(srv.alive(n) for n in srv.pids)


def test_oversize_message_closes_connection(srv):
    with client(srv) as c:                   # header block never ends
        c.sendall(b"OPTIONS sip:x SIP/2.0\r\n" +
                  b"X-Pad: " + b"a" * 70000)
        assert closed_by_server(c)
    with client(srv) as c:                   # announced body too large
        c.sendall(sip("big", extra="", cl=False)[:-2] +
                  b"Content-Length: 70000\r\n\r\n" + b"b" * 1000)
        assert closed_by_server(c)
    assert srv.records(1, 0.3) == []
    assert all(srv.alive(n) for n in srv.pids)


def test_stalled_clients_do_not_block_others(srv):
    silent = [client(srv) for _ in range(3)]
    half = [client(srv) for _ in range(3)]
    try:
        partial = sip("half")
        for i, c in enumerate(half):
            c.sendall(partial[:40 + i])
        time.sleep(0.2)
        t0 = time.monotonic()
        for i in range(4):
            with client(srv) as c:
                c.sendall(sip("prompt%d" % i))
                assert frames(srv, 1, 2.0)[0]["frame"].startswith("OPTIONS")
        assert time.monotonic() - t0 < 2.0
        for i, c in enumerate(half):         # the tails were kept
            c.sendall(partial[40 + i:])
        recs = frames(srv, 3)
        assert all(r["frame"].encode("latin-1") == partial for r in recs)
    finally:
        for c in silent + half:
            c.close()


# -- sending ------------------------------------------------------------------

def test_reply_goes_back_on_the_same_connection(srv):
    with client(srv) as c:
        c.sendall(sip("echo1", extra="X-Echo: yes\r\n"))
        rec = frames(srv, 1)[0]
        assert rec["echo"] is True           # worker: tcp_send by address
        reply = c.recv(65536)
        assert reply.startswith(b"SIP/2.0 200 OK") and b"echo1" in reply
        # another process (the sender) reaches the client by ip:port ...
        port = c.getsockname()[1]
        assert srv.send(LO, port, b"NOTIFY-1") is True
        assert c.recv(65536) == b"NOTIFY-1"
        # ... and by connection id
        assert srv.send(LO, port, b"NOTIFY-2", conn_id=rec["conn"]) is True
        assert c.recv(65536) == b"NOTIFY-2"


def test_request_to_new_peer_opens_and_reuses_connection(srv):
    with socket.create_server((LO, 0)) as peer:
        peer.settimeout(5)
        pport = peer.getsockname()[1]
        m1, m2 = sip("out1"), sip("out2")
        assert srv.send(LO, pport, m1) is True
        conn, addr = peer.accept()
        with conn:
            conn.settimeout(5)
            assert srv.send(LO, pport, m2) is True
            got = b""
            while len(got) < len(m1 + m2):
                got += conn.recv(65536)
            assert got == m1 + m2
            peer.settimeout(0.5)             # no second connection
            with pytest.raises(socket.timeout):
                peer.accept()
            # the peer answers on that connection: a worker reads it
            r = b"SIP/2.0 200 OK\r\nCall-ID: out1\r\nContent-Length: 0\r\n\r\n"
            conn.sendall(r)
            rec = frames(srv, 1)[0]
            assert rec["frame"].encode() == r
            assert rec["src"] == [LO, pport]


def test_dead_connection_is_retried_once(srv):
    with socket.create_server((LO, 0)) as peer:
        peer.settimeout(5)
        pport = peer.getsockname()[1]
        assert srv.send(LO, pport, b"first") is True
        conn, _ = peer.accept()
        assert conn.recv(100) == b"first"
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()                         # RST
        time.sleep(0.3)
        assert srv.send(LO, pport, b"second") is True
        conn2, _ = peer.accept()
        with conn2:
            conn2.settimeout(5)
            assert conn2.recv(100) == b"second"


def test_send_to_closed_port_fails(srv):
    with socket.socket() as s:
        s.bind((LO, 0))
        port = s.getsockname()[1]            # bound, not listening
        t0 = time.monotonic()
        assert srv.send(LO, port, b"nobody") is False
        assert srv.send("localhost", port, b"no DNS in TCP main") is False
        assert time.monotonic() - t0 < 3.0


def test_force_alias(srv):
    with client(srv) as c:
        c.sendall(sip("alias", extra="X-Alias: 5999\r\n"))
        frames(srv, 1)
        time.sleep(0.1)
        assert srv.send(LO, 5999, b"via-alias") is True
        assert c.recv(65536) == b"via-alias"


# -- lifetime, limits, accept_aliases -----------------------------------------

def test_idle_connection_closed_after_lifetime(short):
    with client(short) as c, client(short) as quiet:
        c.sendall(sip("idle"))
        frames(short, 1)
        t0 = time.monotonic()
        assert closed_by_server(c, 5.0)
        assert 0.5 <= time.monotonic() - t0 < 4.0
        assert closed_by_server(quiet, 3.0)


def test_lifetime_kept_on_request(short):
    """``tcp_set_lifetime`` (registrar's tcp_persistent_flag): the idle
    connection outlives ``tcp_connection_lifetime`` (1 s) until then."""
    with client(short) as kept, client(short) as plain:
        kept.sendall(sip("keep", extra="X-Lifetime: 3\r\n"))
        plain.sendall(sip("plain"))
        frames(short, 2)
        t0 = time.monotonic()
        assert closed_by_server(plain, 5.0)
        assert not closed_by_server(kept, 0.5)     # past the 1 s lifetime
        assert closed_by_server(kept, 5.0)
        assert 2.5 <= time.monotonic() - t0 < 6.0


def test_max_connections(short):
    conns = [client(short) for _ in range(3)]
    try:
        for i, c in enumerate(conns):
            c.sendall(sip("max%d" % i))
        frames(short, 3)
        with client(short) as extra:
            assert closed_by_server(extra, 3.0)
    finally:
        for c in conns:
            c.close()


def test_accept_aliases_from_via(short):
    time.sleep(1.5)                          # earlier connections expired
    m = sip("via-alias").replace(b";branch=", b";alias;branch=")
    with client(short) as c:
        c.sendall(m)
        frames(short, 1)
        time.sleep(0.1)
        assert short.send(LO, 5999, b"aliased") is True
        assert c.recv(65536) == b"aliased"


def test_send_timeout_closes_connection(short):
    with socket.socket() as peer:
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        peer.bind((LO, 0))
        peer.listen(1)
        peer.settimeout(5)
        t0 = time.monotonic()               # 16 MB > both socket buffers
        ok = short.send(LO, peer.getsockname()[1], b"x" * 65536, repeat=256)
        elapsed = time.monotonic() - t0
        assert ok is False and 0.8 <= elapsed < 4.0
        conn, _ = peer.accept()
        with conn:                          # drained, then EOF: closed
            conn.settimeout(5)
            while conn.recv(1 << 20):
                pass


def test_dead_worker_does_not_stop_service():
    h = TcpHarness(n_workers=2, params={"tcp_connection_lifetime": 30})
    h.start()
    try:
        os.kill(h.pids["worker0"], signal.SIGKILL)
        os.waitpid(h.pids["worker0"], 0)
        # a connection accepted before the TCP main has read the dead
        # worker's channel may still be handed to it (and is then closed,
        # "its worker died"): wait until a connection is served again
        deadline = time.monotonic() + 10
        while True:
            with client(h) as c:
                c.sendall(sip("probe"))
                if h.records(1, 2.0):
                    break
            assert time.monotonic() < deadline, "TCP service never came back"
        pids = set()
        for i in range(6):
            with client(h) as c:
                c.sendall(sip("w%d" % i))
                pids.add(frames(h, 1)[0]["pid"])
        assert pids == {h.pids["worker1"]}
        assert h.alive("main") and h.alive("worker1")
    finally:
        h.stop()


def test_children_alive(srv, short):
    for h in (srv, short):
        assert all(h.alive(n) for n in h.pids)
