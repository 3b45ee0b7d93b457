"""End to end: a real server with 3 workers, sipp REGISTERs, then INVITEs
forwarded to the registered contacts (found in the shm location table
whichever worker saved them)."""
import socket
import uuid

import pytest

from tests.conftest import free_port, require_tool
from tests.integration.conftest import OpenserProcess
from tests.sipp_support import run_uac

ROUTE = '''
if (method == "REGISTER") { save("location"); exit; }
if (lookup("location")) { forward(); exit; }
sl_send_reply("404", "Not Found");
'''


@pytest.fixture
def server(tmp_path):
    srv = OpenserProcess(tmp_path, ROUTE, modules=("sl", "usrloc", "registrar"),
                         children=3)
    try:
        yield srv.start()
    finally:
        srv.close()


def test_sipp_register_then_invite_reaches_contact(server, tmp_path):
    require_tool("sipp", "sip-tester")
    n = 30
    inf = tmp_path / "users.csv"
    inf.write_text("SEQUENTIAL\n" + "".join(
        "user%d;example.com;x\n" % i for i in range(n)))
    ua_port = free_port()
    res = run_uac("reg", server.port, count=n, rate=50, local_port=ua_port,
                  extra=("-inf", str(inf)), max_seconds=30)
    assert res.successful == n and res.failed == 0, res.output[-2000:]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ua, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as caller:
        ua.bind(("127.0.0.1", ua_port))
        ua.settimeout(3)
        caller.bind(("127.0.0.1", 0))
        caller.settimeout(3)
        for i in (0, 17, n - 1):
            inv = ("INVITE sip:user%d@example.com SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
                   "From: <sip:caller@example.com>;tag=c1\r\n"
                   "To: <sip:user%d@example.com>\r\nCall-ID: %s\r\n"
                   "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
                   "Content-Length: 0\r\n\r\n"
                   % (i, caller.getsockname()[1], uuid.uuid4().hex[:10], i,
                      uuid.uuid4().hex)).encode()
            caller.sendto(inv, ("127.0.0.1", server.port))
            got = ua.recvfrom(65535)[0].decode()
            first = got.split("\r\n", 1)[0]
            assert first.startswith("INVITE sip:user%d@127.0.0.1:%d"
                                    % (i, ua_port)), first
        # an unknown user is answered 404 by the script
        caller.sendto(inv.replace(b"user%d@" % (n - 1), b"nobody@"),
                      ("127.0.0.1", server.port))
        assert caller.recvfrom(65535)[0].startswith(b"SIP/2.0 404")
    assert server.stop() == 0 and server.leftovers() == set()


@pytest.mark.parametrize("mode", [1, 2])
def test_registration_survives_restart_with_db(tmp_path, mode):
    """db_mode 1 writes at once, db_mode 2 at the timer or at shutdown;
    either way a restarted server preloads the binding."""
    from tests.modules.registrar.reg_util import (create_location, db_rows,
                                                  sqlite_url)
    url = sqlite_url(tmp_path)
    create_location(url)
    extra = ('loadmodule "sl.so"\nloadmodule "usrloc.so"\n'
             'loadmodule "registrar.so"\n'
             'modparam("usrloc", "db_mode", %d)\n'
             'modparam("usrloc", "db_url", "%s")\n'
             'modparam("usrloc", "timer_interval", 1)\n' % (mode, url))
    ua_port = free_port()
    port = free_port()
    reg = ("REGISTER sip:example.com SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
           "From: <sip:erin@example.com>;tag=e1\r\nTo: <sip:erin@example.com>\r\n"
           "Call-ID: %s\r\nCSeq: 1 REGISTER\r\n"
           "Contact: <sip:erin@127.0.0.1:%d>\r\nExpires: 600\r\n"
           "Content-Length: 0\r\n\r\n"
           % (ua_port, uuid.uuid4().hex[:10], uuid.uuid4().hex, ua_port)).encode()
    for run_no in (1, 2):
        srv = OpenserProcess(tmp_path, ROUTE, port=port, children=2,
                             modules=(), extra=extra)
        try:
            srv.start()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ua:
                ua.bind(("127.0.0.1", ua_port))
                ua.settimeout(3)
                if run_no == 1:
                    ua.sendto(reg, ("127.0.0.1", port))
                    assert ua.recvfrom(65535)[0].startswith(b"SIP/2.0 200 OK")
                else:
                    inv = reg.replace(b"REGISTER sip:example.com",
                                      b"INVITE sip:erin@example.com") \
                        .replace(b"CSeq: 1 REGISTER", b"CSeq: 1 INVITE")
                    ua.sendto(inv, ("127.0.0.1", port))
                    got = ua.recvfrom(65535)[0]
                    assert got.startswith(b"INVITE sip:erin@127.0.0.1:%d"
                                          % ua_port), got[:200]
            assert srv.stop() == 0 and srv.leftovers() == set()
        finally:
            srv.close()
        if run_no == 1:
            assert [r[1] for r in db_rows(url, "location")] == [
                "sip:erin@127.0.0.1:%d" % ua_port], srv.output()[-3000:]
