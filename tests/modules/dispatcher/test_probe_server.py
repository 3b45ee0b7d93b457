"""Probing end to end: a real server (tm + dispatcher + mi_fifo) probes two
UDP peers run by the test -- one answers OPTIONS, one stays silent -- and
the states move within bounded time (read with MI ds_list over the FIFO)."""
import re
import socket
import threading
import time

from openser_py.ctl.mi_client import MiClientError
from openser_py.ctl.mi_client.fifo import fifo_request
from tests.integration.conftest import OpenserProcess


class Peer:
    """A UDP peer on loopback that answers OPTIONS with 200 when
    ``answer`` is set and counts the requests it got."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.answer = False
        self.got = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def uri(self):
        return "sip:127.0.0.1:%d" % self.port

    def _run(self):
        deadline = time.monotonic() + 120
        while not self.stop and time.monotonic() < deadline:
            try:
                data, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            text = data.decode("latin-1")
            if not text.startswith("OPTIONS "):
                continue
            self.got += 1
            if self.answer:
                self.sock.sendto(_reply(text), src)

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.sock.close()


def _reply(req):
    keep = []
    for line in req.split("\r\n")[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name in ("via", "from", "call-id", "cseq"):
            keep.append(line)
        elif name == "to":
            keep.append(line + ";tag=peer1")
    return ("SIP/2.0 200 OK\r\n%s\r\nContent-Length: 0\r\n\r\n"
            % "\r\n".join(keep)).encode("latin-1")


def _states(srv):
    try:
        text = fifo_request(str(srv.tmp / "fifo"), ":ds_list:\n\n", 3,
                            reply_dir=str(srv.tmp) + "/")
    except MiClientError:
        return {}
    return dict(re.findall(r"URI:: (\S+) flag=([AIP])", text))


def _wait(srv, uri, flag, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _states(srv).get(uri) == flag:
            return time.monotonic()
        time.sleep(0.2)
    raise AssertionError("%s not %s within %.0fs: %r\n%s" % (
        uri, flag, timeout, _states(srv), srv.output()[-3000:]))


def test_probing_with_a_real_server(tmp_path):
    alive, dead = Peer(), Peer()
    alive.answer = True
    (tmp_path / "ds.list").write_text("1 %s\n1 %s\n" % (alive.uri, dead.uri))
    srv = OpenserProcess(tmp_path, 'sl_send_reply("200", "OK");',
                         modules=("sl", "tm", "mi_fifo", "dispatcher"))
    params = "\n".join('modparam("%s", "%s", %s)' % p for p in [
        ("tm", "fr_timer", 1),
        ("mi_fifo", "fifo_name", '"%s/fifo"' % tmp_path),
        ("mi_fifo", "reply_dir", '"%s/"' % tmp_path),
        ("dispatcher", "list_file", '"%s/ds.list"' % tmp_path),
        ("dispatcher", "ds_ping_interval", 1),
        ("dispatcher", "ds_probing_mode", 1),
        ("dispatcher", "ds_probing_threshhold", 1)])
    cfg = srv.cfg.read_text().replace("route {", params + "\nroute {", 1)
    srv.cfg.write_text(cfg)
    try:
        srv.start()
        t0 = time.monotonic()
        # the silent peer goes to probing after one timed-out probe
        assert _wait(srv, dead.uri, "P") - t0 < 10
        assert _states(srv)[alive.uri] == "A"
        assert alive.got >= 1 and dead.got >= 1
        # it comes back once it answers
        dead.answer = True
        t1 = time.monotonic()
        assert _wait(srv, dead.uri, "A") - t1 < 6
        # an inactive destination is probed too (mode 1) and comes back
        text = fifo_request(str(tmp_path / "fifo"), ":ds_set_state:\ni\n1\n"
                            "%s\n\n" % alive.uri, 3,
                            reply_dir=str(tmp_path) + "/")
        assert text.startswith("200")
        t2 = time.monotonic()
        assert _wait(srv, alive.uri, "A") - t2 < 6
        assert srv.stop() == 0
    finally:
        srv.close()
        alive.close()
        dead.close()
