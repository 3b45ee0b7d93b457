"""registrar's ``tcp_persistent_flag`` on a real server over TCP.

``tcp_connection_lifetime=1``: an idle connection is closed after about a
second -- unless a REGISTER that came over it was saved with the flag set,
which keeps it open until its contact expires (plus 10 s).
"""
import socket
import time
import uuid

from tests.integration.conftest import OpenserProcess
from tests.unit.core.test_tcp import closed_by_server

ROUTE = '''
    if (method == "REGISTER") {
        if ($hdr(X-Keep) == "yes") {
            setflag(7);
        }
        save("location");
        exit;
    }
    sl_send_reply("404", "Not here");
'''


def start(tmp_path):
    srv = OpenserProcess(tmp_path, ROUTE, children=1, tcp=True,
                         modules=("sl", "usrloc", "registrar"),
                         extra="tcp_connection_lifetime=1\n")
    text = srv.cfg.read_text().replace(
        "\nroute {", '\nmodparam("registrar", "tcp_persistent_flag", 7)\n'
        "route {", 1)
    srv.cfg.write_text(text)
    return srv.start()


def register(conn, port, user, keep):
    data = ("REGISTER sip:127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK%s\r\n"
            "From: <sip:%s@127.0.0.1>;tag=f1\r\nTo: <sip:%s@127.0.0.1>\r\n"
            "Call-ID: %s\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n"
            "Contact: <sip:%s@127.0.0.1:5999;transport=tcp>\r\n"
            "Expires: 30\r\n%sContent-Length: 0\r\n\r\n"
            % (port, uuid.uuid4().hex[:12], user, user, uuid.uuid4().hex,
               user, "X-Keep: yes\r\n" if keep else "")).encode()
    conn.sendall(data)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65535)
        assert chunk, "connection closed before the reply"
        buf += chunk
    return int(buf.split(b" ", 2)[1])


def test_flag_keeps_the_connection_past_its_lifetime(tmp_path):
    srv = start(tmp_path)
    try:
        addr = ("127.0.0.1", srv.port)
        with socket.create_connection(addr, timeout=5) as kept, \
                socket.create_connection(addr, timeout=5) as plain:
            assert register(kept, srv.port, "alice", True) == 200
            assert register(plain, srv.port, "bob", False) == 200
            assert closed_by_server(plain, 5.0)     # the 1 s lifetime
            t0 = time.monotonic()
            assert not closed_by_server(kept, 2.5)  # kept for 30 s + 10 s
            assert time.monotonic() - t0 >= 2.4
    finally:
        srv.stop()
