"""The LM_* logging core: levels, stderr format, raw LOG, module prefix."""
import os
import re

import pytest

from openser_py.core import dprint


@pytest.fixture
def capture(tmp_path):
    """Point the stderr sink at a file; restore the state afterwards."""
    path = tmp_path / "log"
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT, 0o600)
    saved = (dprint.state.fd, dprint.state.debug, dprint.state.stderr,
             dprint.state.color)
    dprint.state.fd, dprint.state.stderr, dprint.state.color = fd, True, False
    yield lambda: path.read_text()
    os.close(fd)
    (dprint.state.fd, dprint.state.debug, dprint.state.stderr,
     dprint.state.color) = saved


def test_stderr_format_has_time_pid_tag_module_function(capture):
    dprint.set_debug(dprint.L_NOTICE)
    dprint.LM_ERR("bad thing %d", 42)
    line = capture()
    assert re.match(r"^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \[%d\] "
                    r"ERROR:tests:test_stderr_format_has_time_pid_tag_module_function: "
                    r"bad thing 42\n$" % os.getpid(), line), line


def test_levels_filter_by_debug(capture):
    dprint.set_debug(dprint.L_WARN)
    dprint.LM_INFO("info hidden")
    dprint.LM_NOTICE("notice hidden")
    dprint.LM_WARN("warn shown")
    dprint.LM_ERR("err shown")
    out = capture()
    assert "hidden" not in out
    assert "WARNING:" in out and "ERROR:" in out


def test_debug_level_4_prints_dbg(capture):
    dprint.set_debug(dprint.L_DBG)
    dprint.LM_DBG("x=%s", "y")
    assert "DBG:tests:test_debug_level_4_prints_dbg: x=y" in capture() and "x=y" in capture()


def test_raw_log_has_no_prefix_but_time_and_pid(capture):
    dprint.set_debug(dprint.L_INFO)
    dprint.LOG(dprint.L_INFO, "raw text\n")
    out = capture()
    assert out.endswith("] raw text\n")
    assert "INFO" not in out


def test_bad_format_args_do_not_raise(capture):
    dprint.set_debug(dprint.L_INFO)
    dprint.LM_INFO("two %s %s", "only-one")
    assert "two %s %s" in capture()


def test_module_name_from_modules_package():
    ns = {"__name__": "openser_py.modules.tm.t_funcs"}
    exec("def t_relay():\n    return _origin(1)\n", ns)  # noqa: S102
    ns["_origin"] = dprint._origin
    assert ns["t_relay"]() == "tm:t_relay"


def test_color_only_when_asked(capture):
    dprint.set_debug(dprint.L_INFO)
    dprint.state.color = True
    dprint.LM_INFO("coloured")
    assert "\033[36;1mINFO\033[0m:" in capture()


def test_facility_names_case_insensitive():
    import syslog
    assert dprint.facility_by_name("log_local0") == syslog.LOG_LOCAL0
    with pytest.raises(KeyError):
        dprint.facility_by_name("LOG_NOPE")


def test_syslog_sink_uses_level_priority_and_facility(monkeypatch):
    import syslog
    calls = []
    monkeypatch.setattr(syslog, "openlog", lambda *a: calls.append(("open",) + a))
    monkeypatch.setattr(syslog, "syslog", lambda prio, text: calls.append((prio, text)))
    saved = (dprint.state.stderr, dprint.state.facility, dprint.state.name,
             dprint.state.debug)
    try:
        dprint.configure(debug=3, log_stderror=False, log_facility="LOG_LOCAL3",
                         log_name="myproxy")
        dprint.LM_WARN("disk %s", "full")
        dprint.LM_DBG("hidden")
    finally:
        (dprint.state.stderr, dprint.state.facility, dprint.state.name,
         dprint.state.debug) = saved
    assert calls[0] == ("open", "myproxy", syslog.LOG_PID | syslog.LOG_NDELAY,
                        syslog.LOG_LOCAL3)
    assert calls[1] == (syslog.LOG_WARNING | syslog.LOG_LOCAL3,
                        "WARNING:tests:test_syslog_sink_uses_level_priority_and_facility: disk full")
    assert len(calls) == 2


def test_setdebug_per_process_override_and_restore():
    saved = dprint.state.debug
    try:
        dprint.set_debug(2)
        dprint.set_proc_debug(4)
        assert dprint.is_printable(dprint.L_DBG)
        dprint.reset_proc_debug()
        assert dprint.get_debug() == 2
    finally:
        dprint.state.debug = saved
