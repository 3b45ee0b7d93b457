"""t_write_unix / t_write_req in a real server: the test plays the external
application (a unix datagram socket, a FIFO made with os.mkfifo) and
answers through the real MI FIFO command t_reply; a request nobody answers
gets a 408 once fr_timer expires."""
import os
import select
import socket
import tempfile
import time
import uuid

import pytest

from openser_py.ctl.mi_client.fifo import fifo_request
from tests.conftest import free_port
from tests.integration.conftest import OpenserProcess
from tests.modules.tm.proxy_util import (first_line, header,
                                         wait_mi_fifo)

ROUTE = '''
if (is_method("INVITE")) {
    t_newtran();
    if ($rU == "fifo") {
        if (!t_write_req("%(appfifo)s", "vmfifo"))
            t_reply("500", "fifo write failed");
        exit;
    }
    if (!t_write_unix("%(appsock)s", "voicemail/vm"))
        t_reply("500", "unix write failed");
    exit;
}
sl_send_reply("200", "OK");
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("twsrv")
    short = tempfile.mkdtemp(prefix="tws", dir="/tmp")   # sun_path <= 107
    paths = {"appsock": os.path.join(short, "app"),
             "appfifo": os.path.join(short, "fifo")}
    srv = OpenserProcess(
        tmp, ROUTE % paths, modules=("sl", "textops"),
        extra='loadmodule "tm.so"\nloadmodule "mi_fifo.so"\n'
              'modparam("mi_fifo", "fifo_name", "%s/mi")\n'
              'modparam("mi_fifo", "reply_dir", "%s/")\n'
              'modparam("tm", "fr_timer", 2)\n'
              'modparam("tm", "fr_inv_timer", 60)\n'
              'modparam("tm", "wt_timer", 1)\n'
              'modparam("tm", "tw_append", "vm:ua=$hdr(User-Agent)")\n'
              % (tmp, tmp))
    srv.paths, srv.mi_fifo, srv.dir = paths, str(tmp / "mi"), str(tmp) + "/"
    srv.start()
    wait_mi_fifo(srv, srv.mi_fifo, srv.dir)
    yield srv
    assert srv.stop() == 0
    srv.close()
    for name in os.listdir(short):
        os.unlink(os.path.join(short, name))
    os.rmdir(short)


@pytest.fixture
def caller():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", free_port()))
    yield s
    s.close()


def invite(caller, srv, user):
    """Send an INVITE for ``user``; its Call-ID."""
    callid = uuid.uuid4().hex
    port = caller.getsockname()[1]
    data = ("INVITE sip:%s@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=a1\r\n"
            "To: <sip:%s@127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
            "Contact: <sip:alice@127.0.0.1:%d>\r\nUser-Agent: tw-test\r\n"
            "Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n"
            % (user, srv.port, port, callid[:10], user, callid, port))
    caller.sendto(data.encode(), ("127.0.0.1", srv.port))
    return callid


def final_reply(caller, timeout, callid):
    """The first reply >= 200 to ``callid`` within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "no final reply within %ss" % timeout
        caller.settimeout(left)
        data = caller.recv(65535)
        if not first_line(data).startswith("SIP/2.0 1") and \
                header(data, "Call-ID") == [callid]:
            return data


def mi_reply(srv, code, reason, trans_id):
    return fifo_request(srv.mi_fifo, ":t_reply:\n%d\n%s\n%s\nvm-tag\n.\n\n"
                        % (code, reason, trans_id), 5, reply_dir=srv.dir)


def test_unix_app_answers_with_mi_t_reply(server, caller):
    app = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    app.bind(server.paths["appsock"])
    app.settimeout(5)
    try:
        callid = invite(caller, server, "bob")
        lines = app.recv(65535).decode().split("\n")
    finally:
        app.close()
        os.unlink(server.paths["appsock"])
    assert lines[:5] == ["0.3", "sip_request.voicemail", "INVITE", "bob",
                         "127.0.0.1"]
    assert lines[5:7] == ["127.0.0.1", str(server.port)]
    assert lines[8] == "sip:alice@127.0.0.1:%d" % caller.getsockname()[1]
    assert lines[11] == callid and lines[14] == "1"
    assert lines[18:21] == ["P-MsgFlags: 0", "ua: tw-test", "."]
    assert lines[21:] == ["v=0", "", ""]
    out = mi_reply(server, 200, "Voicemail Here", lines[15])
    assert out.startswith("200 OK"), out
    rpl = final_reply(caller, 5, callid)
    assert first_line(rpl) == "SIP/2.0 200 Voicemail Here"
    assert header(rpl, "Call-ID") == [callid]
    assert header(rpl, "To") == ["<sip:bob@127.0.0.1>;tag=vm-tag"]


def test_nobody_answers_408_after_fr_timer(server, caller):
    app = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    app.bind(server.paths["appsock"])
    try:
        t0 = time.monotonic()
        callid = invite(caller, server, "carol")
        rpl = final_reply(caller, 10, callid)
        took = time.monotonic() - t0
    finally:
        app.close()
        os.unlink(server.paths["appsock"])
    assert first_line(rpl) == "SIP/2.0 408 Request Timeout"
    assert 1.8 <= took < 8, took            # fr_timer = 2 s


def test_fifo_app_answers_with_mi_t_reply(server, caller):
    path = server.paths["appfifo"]
    os.mkfifo(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            callid = invite(caller, server, "fifo")
            ready, _w, _x = select.select([fd], [], [], 5)
            assert ready, "nothing written to the FIFO"
            time.sleep(0.1)                 # one write: all of it is there
            lines = os.read(fd, 65536).decode().split("\n")
        finally:
            os.close(fd)
        assert lines[1:4] == ["sip_request.vmfifo", "INVITE", "fifo"]
        assert lines[11] == callid
        assert lines[18:20] == ["P-MsgFlags: 0", "."]
        out = mi_reply(server, 486, "Busy Here", lines[15])
        assert out.startswith("200 OK"), out
        assert first_line(final_reply(caller, 5, callid)) == \
            "SIP/2.0 486 Busy Here"
        # nobody reads the FIFO any more: t_write_req is false
        callid = invite(caller, server, "fifo")
        assert first_line(final_reply(caller, 5, callid)) == \
            "SIP/2.0 500 fifo write failed"
    finally:
        os.unlink(path)
