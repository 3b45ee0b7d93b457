"""The prometheus module against a running server: /metrics parsed with a
strict exposition parser and compared with MI get_statistics / ps."""
import re
import socket
import subprocess
import time

import pytest

from openser_py.ctl.mi_client.fifo import fifo_cmd
from openser_py.modules.prometheus.exposition import metric_name
from tests.integration.conftest import options, udp_request
from tests.ops.conftest import http_get, mi_extra, wait_for
from tests.ops.promparse import parse

ROUTE = """
if (method == "REGISTER") { save("location"); exit; }
sl_send_reply("200", "OK");
"""
MODULES = ("sl", "tm", "usrloc", "registrar")
PROM = 'loadmodule "prometheus.so"\nmodparam("prometheus", "listen", ' \
    '"127.0.0.1:%d")\n'


def start(openser, tmp_path, http_port):
    extra = mi_extra(tmp_path, PROM % http_port)
    srv = openser(ROUTE, modules=MODULES, extra=extra)
    assert wait_for(lambda: (tmp_path / "fifo").exists())
    assert wait_for(lambda: _up(http_port))
    return srv


def _up(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def mi(tmp_path, cmd, *args):
    return fifo_cmd(str(tmp_path / "fifo"), cmd, list(args), timeout=10,
                    reply_dir=str(tmp_path) + "/")


def scrape(port):
    status, ctype, body = http_get(port, "/metrics")
    assert status == 200
    assert ctype.startswith("text/plain") and "version=0.0.4" in ctype
    return parse(body)


def settled(port, name="openser_core_rcv_requests_total"):
    """A scrape taken once *name* stopped moving (OPTIONS that start-up
    probes left in the socket buffer are processed late)."""
    last = scrape(port)
    for _ in range(50):
        time.sleep(0.3)
        now = scrape(port)
        if value(now, name) == value(last, name):
            return now
        last = now
    raise AssertionError("%s never settled" % name)


def value(fams, name, labels=None):
    fam = fams[name]
    for _sname, lab, val, _ts in fam.samples:
        if labels is None or lab == labels:
            return val
    raise KeyError(name)


def mi_stats(tmp_path):
    root = mi(tmp_path, "get_statistics", "all")
    out = {}
    for node in root.kids:
        key, _, val = node.value.partition(" = ")
        out[key] = int(val)
    return out


def test_every_statistic_is_exposed_with_help_and_type(openser, tmp_path,
                                                       http_port):
    srv = start(openser, tmp_path, http_port)
    fams = settled(http_port)
    stats = mi_stats(tmp_path)
    groups = {k.split(":")[0] for k in stats}
    assert {"core", "shmem", "sl", "tm", "usrloc", "registrar"} <= groups
    for key, mi_value in stats.items():
        group, name = key.split(":", 1)
        base = metric_name("openser_", group, name)
        fam = fams.get(base + "_total") or fams.get(base)
        assert fam is not None, "%s has no metric family" % key
        assert fam.help and fam.help.startswith(key)
        assert fam.type in ("counter", "gauge")
        assert (fam.type == "counter") == fam.name.endswith("_total")
        assert len(fam.samples) == 1
        if group not in ("shmem",):     # shm figures move between reads
            assert fam.samples[0][2] == mi_value, key
    assert value(fams, "openser_shmem_total_size") == 32 * 1024 * 1024
    assert value(fams, "openser_shmem_free_size") + \
        value(fams, "openser_shmem_real_used_size") == \
        value(fams, "openser_shmem_total_size")
    assert fams["openser_shmem_fragments"].type == "gauge"
    assert fams["openser_tm_inuse_transactions"].type == "gauge"
    srv.stop()


def test_counters_follow_traffic(openser, tmp_path, http_port):
    srv = start(openser, tmp_path, http_port)
    settled(http_port)
    # sl counts a reply just after sending it: settle that counter too
    before = settled(http_port, "openser_sl_2xx_replies_total")
    for _ in range(3):
        assert udp_request(srv.port, options(srv.port)).startswith(
            b"SIP/2.0 200")
    names = ("openser_core_rcv_requests_total",
             "openser_sl_2xx_replies_total",
             "openser_sl_sent_replies_total")
    deadline = time.monotonic() + 5
    while True:
        after = scrape(http_port)
        if all(value(after, n) - value(before, n) >= 3 for n in names) \
                or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for name in names:
        assert value(after, name) - value(before, name) == 3, name
    assert value(after, "openser_core_rcv_replies_total") == \
        value(before, "openser_core_rcv_replies_total")
    srv.stop()


def test_per_process_series_match_the_process_table(openser, tmp_path,
                                                    http_port):
    srv = start(openser, tmp_path, http_port)
    fams = scrape(http_port)
    ps = {}
    for node in mi(tmp_path, "ps").kids:
        m = re.match(r"\s*ID=(\d+) PID=(\d+) Type=(.*)$", node.value)
        ps[int(m.group(1))] = (int(m.group(2)), m.group(3))
    assert value(fams, "openser_processes") == len(ps)
    assert set(ps) == {int(i) for i in range(len(ps))}
    for fam_name in ("openser_process_cpu_seconds_total",
                     "openser_process_resident_memory_bytes",
                     "openser_process_last_alive_timestamp_seconds"):
        fam = fams[fam_name]
        seen = {}
        for _s, labels, val, _ts in fam.samples:
            assert set(labels) == {"index", "pid", "rank", "description"}
            seen[int(labels["index"])] = (int(labels["pid"]),
                                          labels["description"])
            if fam_name.endswith("memory_bytes"):
                assert val > 1024 * 1024
            else:
                assert val >= 0
        assert seen == ps, fam_name
    assert srv.all_pids() == {pid for pid, _ in ps.values()}
    descs = [d for _, d in ps.values()]
    assert "Prometheus HTTP" in descs and "attendant" in descs
    srv.stop()


def test_healthz_and_unknown_paths(openser, tmp_path, http_port):
    srv = start(openser, tmp_path, http_port)
    assert http_get(http_port, "/healthz")[0::2] == (200, "ok\n")
    assert http_get(http_port, "/nope")[0] == 404
    srv.stop()


def test_busy_port_stops_the_start(openser, tmp_path, http_port):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", http_port))
        busy.listen(1)
        extra = PROM % http_port
        srv = openser(ROUTE, modules=MODULES, extra=extra, start=False)
        srv.start(wait=False)
        try:
            code = srv.proc.wait(20)
        except subprocess.TimeoutExpired:
            pytest.fail("openser started although the port is busy")
        assert code != 0
        assert "cannot listen on 127.0.0.1:%d" % http_port in srv.output()
