"""10,000 registrations spread over every worker of a real server, every
one found afterwards (issue 6 §6, concurrency).

sipp sends 10,000 REGISTERs (tests/sipp/reg.xml, one user per call from an
injection file) to a server with ``children=4``: the kernel spreads the
datagrams over the four UDP receivers, which all save into the one shm
location table.  Afterwards MI (over mi_fifo) must list exactly the 10,000
AORs, the usrloc statistics must count them, and lookups of a sample of
users -- answered by whichever worker gets the request -- must find them.
"""
import socket
import uuid

from openser_py.ctl.mi_client.fifo import fifo_cmd
from tests.conftest import require_tool
from tests.integration.conftest import OpenserProcess
from tests.sipp_support import run_uac

USERS = 10000

ROUTE = """
    if (method == "REGISTER") {
        save("location");
        exit;
    }
    if (lookup("location")) {
        sl_send_reply("200", "Found");
        exit;
    }
    sl_send_reply("404", "Not Found");
"""


def lookup(port, user):
    data = ("OPTIONS sip:%s@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK%s\r\n"
            "From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:%s@127.0.0.1>\r\n"
            "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
            % (user, port, uuid.uuid4().hex[:12], user,
               uuid.uuid4().hex)).encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(data, ("127.0.0.1", port))
        return s.recv(65535).split(b"\r\n", 1)[0]


def test_ten_thousand_registrations_all_found(tmp_path):
    require_tool("sipp", "sip-tester")
    fifo = tmp_path / "fifo"
    srv = OpenserProcess(
        tmp_path, ROUTE, children=4,
        modules=("sl", "usrloc", "registrar", "mi_fifo"))
    # modparams must follow the loadmodule lines
    line = 'modparam("mi_fifo", "fifo_name", "%s")\n' % fifo
    srv.cfg.write_text(srv.cfg.read_text().replace(
        "\nroute {", "\n" + line + "route {", 1))
    srv.start()
    try:
        inf = tmp_path / "users.csv"
        inf.write_text("SEQUENTIAL\n" + "".join(
            "user%05d;example.com;x\n" % i for i in range(USERS)))
        res = run_uac("reg", srv.port, USERS, rate=800, limit=400,
                      max_seconds=90, extra=("-inf", str(inf)))
        assert res.successful == USERS and res.failed == 0, \
            (res, res.output[-2000:])

        workers = {pid for pid, title in srv.titles().items()
                   if "udp receiver" in title}
        assert len(workers) == 4

        stats = fifo_cmd(str(fifo), "get_statistics", ("usrloc:",))
        values = dict(k.value.split(" = ") for k in stats.kids)
        assert int(values["usrloc:location-users"]) == USERS, values
        assert int(values["usrloc:location-contacts"]) == USERS, values

        dump = fifo_cmd(str(fifo), "ul_dump", ("brief",), timeout=30)
        aors = {aor.value for dom in dump.kids for aor in dom.kids
                if aor.name == "AOR"}
        assert aors == {"user%05d" % i for i in range(USERS)}

        for i in (0, 1, 2, 3, 4999, 7777, USERS - 1):
            assert lookup(srv.port, "user%05d" % i) == b"SIP/2.0 200 Found"
        assert lookup(srv.port, "user%05d" % USERS) == \
            b"SIP/2.0 404 Not Found"
        assert srv.stop() == 0
    finally:
        srv.kill_all()
