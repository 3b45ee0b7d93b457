"""The database goes away during a run, and comes back (issue 6 §6).

Real servers on MariaDB and PostgreSQL, reached through a TCP forwarder
(tests/tcp_forwarder.py) so that the test can cut the database off
without stopping the shared database server:

* usrloc ``db_mode=1`` (write-through): while the database is away,
  REGISTERs are still answered 200 and lookups keep finding every contact
  (the location table is in shm); the outage is logged; when the database
  returns the server reconnects (logged) and the timer writes the
  contacts saved meanwhile.
* usrloc ``db_mode=3`` (DB only), two servers sharing one database: what
  one registers the other finds; while the database is away REGISTER gets
  500 and lookups fail with 500; both recover when it returns.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from tests.conftest import ROOT, require_service, sql_rows
from tests.integration.conftest import OpenserProcess
from tests.tcp_forwarder import TcpForwarder

ROUTE = """
    if (method == "REGISTER") {
        save("location");
        exit;
    }
    if (lookup("location")) {
        sl_send_reply("200", "Found");
        exit;
    }
    switch ($retcode) {
        case -3:
            sl_send_reply("500", "Lookup Failed");
            exit;
    }
    sl_send_reply("404", "Not Found");
"""

ENGINES = {
    "mysql": dict(port=3306, admin="root", tool="MYSQL", module="db_mysql"),
    "postgres": dict(port=5432, admin="postgres", tool="PGSQL",
                     module="db_postgres"),
}


def dbctl(engine, *args):
    e = ENGINES[engine]
    tool = os.path.join(os.path.dirname(sys.executable), "openserdbctl")
    if not os.path.exists(tool):
        tool = os.path.join(ROOT, "sbin", "openserdbctl")
    env = dict(os.environ, HOME=tempfile.gettempdir())
    out = subprocess.run([tool, "-e", e["tool"], "-H", "127.0.0.1",
                          "-P", str(e["port"]), "-u", e["admin"],
                          "--rw-user", e["admin"], "-y"] + list(args),
                         capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.fixture(params=sorted(ENGINES))
def database(request):
    """A fresh 1.3 database on the engine; yields (engine, name)."""
    engine = request.param
    require_service("127.0.0.1", ENGINES[engine]["port"], engine)
    name = "openser_outage_%s" % uuid.uuid4().hex[:8]
    dbctl(engine, "-d", name, "create")
    yield engine, name
    dbctl(engine, "-d", name, "drop")


def location_users(engine, name):
    """usernames in the location table, read directly (not forwarded)."""
    return {r[0] for r in sql_rows(engine, name,
                                   "SELECT username FROM location")}


def start_server(tmp_path, engine, name, fwd_port, db_mode):
    url = "%s://%s@127.0.0.1:%d/%s" % (
        engine, ENGINES[engine]["admin"], fwd_port, name)
    extra = ('modparam("usrloc", "db_url", "%s")\n'
             'modparam("usrloc", "db_mode", %d)\n'
             'modparam("usrloc", "timer_interval", 1)\n' % (url, db_mode))
    tmp_path.mkdir(parents=True, exist_ok=True)
    srv = OpenserProcess(tmp_path, ROUTE, children=2,
                         modules=(ENGINES[engine]["module"], "sl", "usrloc",
                                  "registrar"))
    # modparams must follow the loadmodule lines
    text = srv.cfg.read_text().replace("\nroute {", "\n" + extra + "route {", 1)
    srv.cfg.write_text(text)
    return srv.start()


def request(port, method, user, timeout=5.0):
    """REGISTER (Contact on a dummy port) or OPTIONS to user; -> status."""
    ruri = ("sip:127.0.0.1:%d" % port if method == "REGISTER"
            else "sip:%s@127.0.0.1:%d" % (user, port))
    data = ("%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK%s\r\n"
            "From: <sip:%s@127.0.0.1>;tag=f1\r\nTo: <sip:%s@127.0.0.1>\r\n"
            "Call-ID: %s\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\n"
            "Contact: <sip:%s@127.0.0.1:5999>\r\nExpires: 600\r\n"
            "Content-Length: 0\r\n\r\n"
            % (method, ruri, uuid.uuid4().hex[:12], user, user,
               uuid.uuid4().hex, method, user)).encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(data, ("127.0.0.1", port))
        try:
            while True:
                reply = s.recv(65535)
                if not reply.startswith(b"SIP/2.0 1"):
                    return int(reply.split(b" ", 2)[1])
        except socket.timeout:
            return None


def wait_for(pred, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def test_write_through_survives_outage(tmp_path, database):
    engine, name = database
    target = ("127.0.0.1", ENGINES[engine]["port"])
    fwd = TcpForwarder(target)
    srv = start_server(tmp_path, engine, name, fwd.port, 1)
    try:
        assert request(srv.port, "REGISTER", "u1") == 200
        assert wait_for(lambda: "u1" in location_users(engine, name), 10)

        fwd.down()
        for user in ("u2", "u3"):
            assert request(srv.port, "REGISTER", user) == 200
        for user in ("u1", "u2", "u3"):
            assert request(srv.port, "OPTIONS", user) == 200
        assert request(srv.port, "OPTIONS", "nobody") == 404
        assert wait_for(lambda: "database unreachable" in srv.output(), 10), \
            srv.output()[-3000:]
        assert location_users(engine, name) == {"u1"}

        fwd.up()
        time.sleep(1.2)     # past the workers' reconnect rate limit
        for user in ("u4", "u5", "u6"):
            assert request(srv.port, "REGISTER", user) == 200
        assert wait_for(lambda: location_users(engine, name) >=
                        {"u1", "u2", "u3", "u4", "u5", "u6"}, 20), (
            location_users(engine, name), srv.output()[-3000:])
        # a worker whose connection had failed says so when it is back
        assert wait_for(lambda: "reconnected to" in srv.output(), 10), \
            srv.output()[-4000:]
        assert srv.stop() == 0
    finally:
        srv.kill_all()
        fwd.close()


def test_db_only_two_servers_share_location(tmp_path, database):
    engine, name = database
    target = ("127.0.0.1", ENGINES[engine]["port"])
    fwd = TcpForwarder(target)
    a = start_server(tmp_path / "a", engine, name, fwd.port, 3)
    b = start_server(tmp_path / "b", engine, name, fwd.port, 3)
    try:
        assert request(a.port, "REGISTER", "alice") == 200
        assert request(b.port, "OPTIONS", "alice") == 200
        assert request(b.port, "REGISTER", "bob") == 200
        assert request(a.port, "OPTIONS", "bob") == 200
        assert request(a.port, "OPTIONS", "carol") == 404

        fwd.down()
        assert request(a.port, "REGISTER", "carol") == 500
        assert request(b.port, "OPTIONS", "alice") == 500
        assert wait_for(lambda: "database unreachable" in a.output(), 10)

        fwd.up()
        # reconnects are attempted at most once a second per connection
        assert wait_for(lambda: request(a.port, "REGISTER", "carol") == 200,
                        10)
        assert wait_for(lambda: request(b.port, "OPTIONS", "carol") == 200,
                        10)
        assert location_users(engine, name) >= {"alice", "bob", "carol"}
    finally:
        for srv in (a, b):
            srv.stop()
            srv.kill_all()
        fwd.close()
