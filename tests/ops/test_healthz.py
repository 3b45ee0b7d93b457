"""/healthz and /metrics served in this process on a real socket, over a
process table that contains a dead process."""
import socket
import subprocess
import sys
import threading

import pytest

from openser_py.core import pt
from openser_py.modules import prometheus
from openser_py.modules.prometheus import http_srv
from tests.ops.conftest import http_get
from tests.ops.promparse import parse


@pytest.fixture
def table():
    from openser_py import mem
    from openser_py.mem import shm
    mem.shm_init(1 << 20, debug=False)
    pt.init(3)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        yield dead.pid
    finally:
        pt.destroy()
        mem.shm_destroy()
        shm.set_allocator(None)


@pytest.fixture
def served():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    srv = http_srv._Server(sock, prometheus.cfg)
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,),
                              daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def test_healthz_reports_dead_processes(table, served):
    pt.set_self(0, 0, "attendant")
    pt.set_row(1, table, 1, "udp receiver child=1")
    status, _, body = http_get(served, "/healthz")
    assert status == 503
    assert body == "dead: %d udp receiver child=1\n" % table
    pt.set_row(1, pt.rows()[0][1], 1, "udp receiver child=1")
    assert http_get(served, "/healthz")[0::2] == (200, "ok\n")


def test_metrics_skip_usage_of_dead_processes(table, served):
    pt.set_self(0, 0, "attendant")
    pt.set_row(2, table, -1, "timer")
    status, _, body = http_get(served, "/metrics")
    assert status == 200
    fams = parse(body)
    assert fams["openser_processes"].samples[0][2] == 2
    cpu = fams["openser_process_cpu_seconds_total"].samples
    assert [s[1]["description"] for s in cpu] == ["attendant"]
    alive = fams["openser_process_last_alive_timestamp_seconds"].samples
    assert sorted(s[1]["index"] for s in alive) == ["0", "2"]
    assert http_get(served, "/other")[0] == 404


def test_parse_listen():
    assert prometheus.parse_listen("9494")[1] == ("127.0.0.1", 9494)
    assert prometheus.parse_listen("127.0.0.1:80")[1] == ("127.0.0.1", 80)
    assert prometheus.parse_listen("[::1]:81")[1][:2] == ("::1", 81)
    for bad in ("", "host", "1.2.3.4:0", "1.2.3.4:x", "[::1]81"):
        with pytest.raises(ValueError):
            prometheus.parse_listen(bad)
