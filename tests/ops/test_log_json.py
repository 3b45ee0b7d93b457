"""log_format=json: one JSON object per line, stable fields, one write per
record -- unit checks in this process and a running server's stderr."""
import json
import os
import re
import socket
import syslog

import pytest

from openser_py.core import dprint, log_json
from tests.integration.conftest import options, udp_request
from tests.ops.conftest import wait_for

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FIELDS = {"time", "level", "pid", "module", "message"}


@pytest.fixture
def json_mode(monkeypatch):
    """JSON records to a pipe; returns a function reading them."""
    r, w = os.pipe()
    os.set_blocking(r, False)
    monkeypatch.setattr(dprint.state, "fd", w)
    monkeypatch.setattr(dprint.state, "stderr", True)
    monkeypatch.setattr(dprint.state, "debug", dprint.L_DBG)
    log_json.set_format("json")
    writes = []
    real_write = os.write

    def counting_write(fd, data):
        if fd == w:
            writes.append(data)
        return real_write(fd, data)
    monkeypatch.setattr(os, "write", counting_write)

    def read():
        try:
            return os.read(r, 1 << 20).decode()
        except BlockingIOError:
            return ""
    read.writes = writes
    yield read
    log_json.set_format("text")
    os.close(r)
    os.close(w)


def test_lm_record_fields_and_single_write(json_mode):
    log_json.set_process("unit test")
    dprint.LM_ERR("bad %s\nsecond line", "thing")
    text = json_mode()
    assert text.endswith("\n") and text.count("\n") == 1
    rec = json.loads(text)
    assert FIELDS <= set(rec)
    assert rec["level"] == "ERROR" and rec["pid"] == os.getpid()
    assert rec["module"] == "tests" and rec["function"] == \
        "test_lm_record_fields_and_single_write"
    assert rec["message"] == "bad thing\nsecond line"
    assert rec["process"] == "unit test"
    assert TIME.match(rec["time"])
    assert len(json_mode.writes) == 1
    log_json.set_process(None)


def test_raw_log_is_json_too(json_mode):
    dprint.LOG(dprint.L_INFO, "raw text\n")
    rec = json.loads(json_mode())
    assert rec["message"] == "raw text" and rec["level"] == "INFO"
    assert "cfg" not in rec and "callid" not in rec


def test_level_filter_still_applies(json_mode, monkeypatch):
    monkeypatch.setattr(dprint.state, "debug", dprint.L_WARN)
    dprint.LM_INFO("not shown")
    dprint.LM_WARN("shown")
    lines = json_mode().splitlines()
    assert [json.loads(x)["message"] for x in lines] == ["shown"]


def test_syslog_gets_one_call_per_record(monkeypatch):
    calls = []
    monkeypatch.setattr(syslog, "syslog", lambda *a: calls.append(a))
    monkeypatch.setattr(dprint.state, "stderr", False)
    monkeypatch.setattr(dprint.state, "debug", dprint.L_DBG)
    log_json.set_format("json")
    try:
        dprint.LM_NOTICE("to syslog")
    finally:
        log_json.set_format("text")
    assert len(calls) == 1
    prio, text = calls[0]
    assert prio & 7 == syslog.LOG_NOTICE
    assert json.loads(text)["message"] == "to syslog"


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        log_json.set_format("xml")


ROUTE = """
xlog("L_NOTICE", "seen $rm from $si\\n");
sl_send_reply("200", "OK");
"""


def test_server_writes_json_lines(openser):
    srv = openser(ROUTE, extra='log_format="json"\n')
    lines = srv.cfg.read_text().split("\n")
    xlog_line = next(i for i, ln in enumerate(lines, 1) if "xlog(" in ln)
    call_id = "json-log-test-4711"
    reply = udp_request(srv.port, options(srv.port, call_id=call_id))
    assert reply.startswith(b"SIP/2.0 200")

    def find():
        for line in srv.output().splitlines():
            if call_id in line and '"xlog"' in line:
                return json.loads(line)
        return None
    rec = wait_for(find)
    assert rec is not None, srv.output()
    assert rec["cfg"] == "%s:%d" % (srv.cfg, xlog_line)
    assert rec["callid"] == call_id and rec["method"] == "OPTIONS"
    assert rec["message"] == "seen OPTIONS from 127.0.0.1"
    assert rec["level"] == "NOTICE" and rec["module"] == "xlog"
    assert rec["process"].startswith("udp receiver child=")
    assert rec["pid"] in srv.all_pids() and rec["pid"] != srv.proc.pid
    srv.stop()
    out = srv.output().splitlines()
    assert out, "no output"
    records = [json.loads(line) for line in out]      # every line is JSON
    for r in records:
        assert FIELDS <= set(r) and TIME.match(r["time"])
    assert any(r["process"] == "attendant" and "stopping" in r["message"]
               for r in records if "process" in r)


def test_concurrent_records_never_interleave(openser):
    filler = "x" * 1500
    route = ('xlog("L_NOTICE", "big $ci %s\\n");\n'
             'xlog("L_NOTICE", "small $ci\\n");\n'
             'sl_send_reply("200", "OK");' % filler)
    srv = openser(route, extra='log_format="json"\n', children=4)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        for i in range(60):
            s.sendto(options(srv.port, call_id="burst-%d" % i),
                     ("127.0.0.1", srv.port))
        for _ in range(60):
            s.recvfrom(65535)
    srv.stop()
    records = [json.loads(line) for line in srv.output().splitlines()]
    big = [r for r in records if r["message"].startswith("big burst-")]
    small = [r for r in records if r["message"].startswith("small burst-")]
    assert len(big) == len(small) == 60
    assert all(r["message"].endswith(filler) for r in big)
