"""The xlog module: formats, levels, <null>, $C colours, buf_size, NO_DEBUG."""
import os
import re

import pytest

from openser_py import buildcfg
from openser_py.core import dprint, pvar, usr_avp
from openser_py.core.cfgload import load_config
from openser_py.core.exports import ONREPLY_ROUTE, REQUEST_ROUTE
from openser_py.core.pvar import PvFormat
from openser_py.core.script_state import state
from openser_py.core.scriptrun import load_script, make_msg, run_route
from openser_py.modules.xlog import xlog_funcs

INVITE = (b"INVITE sip:bob@example.com SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKx1\r\n"
          b"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
          b"To: <sip:bob@example.com>\r\n"
          b"Call-ID: c1@example.com\r\n"
          b"CSeq: 7 INVITE\r\n"
          b"Content-Length: 0\r\n\r\n")

REPLY = (b"SIP/2.0 486 Busy Here\r\n"
         b"Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKx1\r\n"
         b"From: <sip:alice@example.com>;tag=a1\r\n"
         b"To: <sip:bob@example.com>;tag=b2\r\n"
         b"Call-ID: c1@example.com\r\nCSeq: 7 INVITE\r\n"
         b"Content-Length: 0\r\n\r\n")

# "Nov 27 12:02:23 [4242] " -- what dprint puts before a stderr record
ROUTE_TYPES = {"route": REQUEST_ROUTE, "onreply_route": ONREPLY_ROUTE}
RECORD = re.compile(r"(?m)^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \[\d+\] ")


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    # module PVs cannot be registered twice in one process (core), so
    # forget xlog's $C before and after each config load
    pvar.unregister_pv("C")
    state.reset()
    usr_avp.reset_avps()
    monkeypatch.setattr(xlog_funcs.cfg, "buf_size", 4096)
    monkeypatch.setattr(xlog_funcs.cfg, "force_color", 0)
    yield
    pvar.unregister_pv("C")


class LogCapture:
    """dprint's stderr sink pointed at a file; ``records()`` reads it."""

    def __init__(self, path):
        self.path = path

    def records(self):
        """Every record written so far, without the time/pid prefix."""
        with open(self.path, encoding="utf-8") as f:
            return RECORD.split(f.read())[1:]


@pytest.fixture
def log(tmp_path):
    path = str(tmp_path / "log")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    s = dprint.state
    saved = (s.fd, s.stderr, s.color, s.debug)
    s.fd, s.stderr, s.color, s.debug = fd, True, False, dprint.L_NOTICE
    try:
        yield LogCapture(path)
    finally:
        s.fd, s.stderr, s.color, s.debug = saved
        os.close(fd)


def run(body, msg=INVITE, params="", route="route"):
    """Load a config with xlog + *body* as *route* and run it on *msg*."""
    pvar.unregister_pv("C")
    script = load_script('loadmodule "xlog.so"\n%s\n%s {\n%s\n}\n'
                         % (params, route, body))
    m = make_msg(msg)
    run_route(script, m, ROUTE_TYPES[route])
    return m


def check_errors(text):
    """``[(line, col, message)]`` of a config checked with ``openser -c``."""
    pvar.unregister_pv("C")
    script = load_config("x.cfg", text='loadmodule "xlog.so"\n' + text,
                         check=True)
    return [(e.line, e.col, e.message) for e in script.errors]


# -- output -------------------------------------------------------------------

def test_xlog_prints_raw_formatted_text(log):
    run('xlog("m=$rm u=<$ru> ci=$ci from=$fu\\n");')
    assert log.records() == [
        "m=INVITE u=<sip:bob@example.com> ci=c1@example.com "
        "from=sip:alice@example.com\n"]


def test_xlog_returns_true_and_dollar_escape(log):
    run('if (xlog("L_ERR", "cost $$5\\n")) { $var(r) = "yes"; }')
    assert state.vars["r"] == "yes"
    assert log.records() == ["cost $5\n"]


def test_nulls_print_as_null(log):
    run('xlog("a=$avp(s:none) h=$hdr(X-Missing) rs=$rs\\n");')
    assert log.records() == ["a=<null> h=<null> rs=<null>\n"]


def test_avps_and_reply_pvs(log):
    run('$avp(s:who) = "carol"; $avp(i:7) = 42;\n'
        'xlog("L_ALERT", "who=$avp(s:who) n=$avp(i:7)\\n");')
    run('xlog("$rs $rr\\n");', msg=REPLY, route="onreply_route")
    assert log.records() == ["who=carol n=42\n", "486 Busy Here\n"]


def test_static_format_and_no_newline(log):
    run('xlog("L_CRIT", "static text");')
    assert log.records() == ["static text\n"]      # dprint ends the line


# -- levels -------------------------------------------------------------------

ALL_LEVELS = "\n".join(
    'xlog("%s", "%s\\n");' % (name, name)
    for name in ("L_ALERT", "L_CRIT", "L_ERR", "L_WARN", "L_NOTICE",
                 "L_INFO", "L_DBG")) + '\nxdbg("xdbg\\n");\nxlog("dflt\\n");'


@pytest.mark.parametrize("debug, printed", [
    (-3, ["L_ALERT"]),
    (-1, ["L_ALERT", "L_CRIT", "L_ERR", "dflt"]),
    (2, ["L_ALERT", "L_CRIT", "L_ERR", "L_WARN", "L_NOTICE", "dflt"]),
    (4, ["L_ALERT", "L_CRIT", "L_ERR", "L_WARN", "L_NOTICE", "L_INFO",
         "L_DBG", "xdbg", "dflt"]),
])
def test_levels_filtered_by_debug(log, debug, printed):
    dprint.state.debug = debug
    run(ALL_LEVELS)
    assert [r.strip() for r in log.records()] == printed


def test_level_from_the_third_letter(log):
    dprint.state.debug = 1
    run('xlog("L_Ex", "err\\n"); xlog("..W", "warn\\n");'
        'xlog("L_NOTHING", "notice\\n");')
    assert log.records() == ["err\n", "warn\n"]


def test_nothing_formatted_when_level_is_off(log, monkeypatch):
    calls = []
    real = PvFormat.format

    def counting(self, msg):
        calls.append(self.source)
        return real(self, msg)
    monkeypatch.setattr(PvFormat, "format", counting)
    run('xlog("L_INFO", "info $ru\\n"); xdbg("dbg $ru\\n");'
        'xlog("L_NOTICE", "notice $ru\\n");')
    assert calls == ["notice $ru\\n".replace("\\n", "\n")]
    assert log.records() == ["notice sip:bob@example.com\n"]


def test_bad_levels_are_config_errors():
    errors = check_errors('route {\n  xlog("L_XXX", "a\\n");\n'
                          '    xlog("L_", "b\\n");\n}\n')
    assert [(line, col) for line, col, _ in errors] == [(3, 3), (4, 5)]
    assert "unknown log level 'L_XXX'" in errors[0][2]
    assert "wrong log level 'L_'" in errors[1][2]
    assert errors[0][2].startswith("xlog(): bad parameter:")


def test_bad_format_is_a_config_error():
    errors = check_errors('route {\n xdbg("x $nosuchpv y");\n}\n')
    assert len(errors) == 1
    line, col, message = errors[0]
    assert (line, col) == (3, 2)
    assert "wrong format" in message and "nosuchpv" in message


def test_allowed_in_every_route_type():
    text = ''.join('%s {\n xlog("L_INFO", "x\\n"); xdbg("y"); xlog("z");\n}\n'
                   % kind for kind in ("route", "failure_route[1]",
                                       "onreply_route[1]", "branch_route[1]",
                                       "error_route"))
    assert check_errors(text) == []


# -- buf_size -----------------------------------------------------------------

def test_buf_size_truncates(log):
    run('xlog("0123456789abcdef $ru\\n");',
        params='modparam("xlog", "buf_size", 12)')
    assert log.records() == ["0123456789ab\n"]


def test_buf_size_must_be_positive():
    script = load_config("x.cfg", text='loadmodule "xlog.so"\n'
                         'modparam("xlog", "buf_size", 0)\n'
                         'route { xlog("x"); }\n')
    assert any("mod_init of module xlog failed" in e.message
               for e in script.errors)


# -- colours ------------------------------------------------------------------

COLORS = 'pv_printf("$var(c)", "$C(rx)red$C(xx) $C(Gs)bold$C(pw)");'
ESCAPED = ("\033[0;31;49mred\033[0;39;49m \033[1;32;40mbold"
           "\033[0;35;47m")


def test_colors_printed_on_stderr(log):
    run(COLORS + '\nxlog("$C(bx)[$rm]$C(xx)\\n");')
    assert state.vars["c"] == ESCAPED
    assert log.records() == ["\033[0;34;49m[INVITE]\033[0;39;49m\n"]


def test_colors_empty_on_syslog(monkeypatch):
    monkeypatch.setattr(dprint.state, "stderr", False)
    run(COLORS)
    assert state.vars["c"] == "red bold"


def test_force_color(monkeypatch):
    monkeypatch.setattr(dprint.state, "stderr", False)
    run(COLORS, params='modparam("xlog", "force_color", 1)')
    assert state.vars["c"] == ESCAPED


def test_every_color_letter():
    codes = {"x": 9, "s": 0, "r": 1, "g": 2, "y": 3, "b": 4, "p": 5,
             "c": 6, "w": 7}
    for fg, n in codes.items():
        for bg, m in codes.items():
            assert xlog_funcs.parse_color_name(fg + bg) == \
                "\033[0;3%d;4%dm" % (n, m)
            if fg != "x":
                assert xlog_funcs.parse_color_name(fg.upper() + bg) == \
                    "\033[1;3%d;4%dm" % (n, m)


@pytest.mark.parametrize("name, why", [
    ("r", "two chars"), ("rxx", "two chars"), ("Xx", "foreground"),
    ("zx", "foreground"), ("rR", "background"), ("r_", "background")])
def test_bad_color_names(name, why):
    errors = check_errors('route {\n xlog("$C(%s)x");\n}\n' % name)
    assert len(errors) == 1 and errors[0][:2] == (3, 2)
    assert why in errors[0][2]


def test_color_pv_needs_xlog():
    script = load_config("x.cfg", text='route { xlog("$C(rx)"); }\n',
                         check=True)
    assert len(script.errors) == 1
    assert script.errors[0].message.startswith(
        "unknown command xlog(), missing loadmodule?")
    with pytest.raises(pvar.PvError):
        pvar.parse_pv_spec("$C(rx)")


# -- NO_DEBUG -----------------------------------------------------------------

def test_no_debug_compiles_out_debug_calls(log, monkeypatch):
    monkeypatch.setattr(buildcfg, "NO_DEBUG", True)
    assert xlog_funcs.fixup_xdbg("x", 1) is xlog_funcs.COMPILED_OUT
    assert xlog_funcs.fixup_xlog2("L_DBG", 1) is xlog_funcs.COMPILED_OUT
    assert xlog_funcs.fixup_xlog2("L_INFO", 1) == dprint.L_INFO
    calls = []
    real = PvFormat.format

    def counting(self, msg):
        calls.append(self.source)
        return real(self, msg)
    monkeypatch.setattr(PvFormat, "format", counting)
    dprint.state.debug = dprint.L_DBG
    run('if (xdbg("d1 $ru\\n")) { $var(a) = 1; }\n'
        'if (xlog("L_DBG", "d2 $ru\\n")) { $var(b) = 1; }\n'
        'xlog("L_INFO", "info\\n");')
    assert state.vars["a"] == 1 and state.vars["b"] == 1
    assert calls == ["info\n"]               # the debug formats never ran
    assert log.records() == ["info\n"]


def test_no_debug_still_checks_the_format(monkeypatch):
    monkeypatch.setattr(buildcfg, "NO_DEBUG", True)
    errors = check_errors('route {\n xdbg("$bogus");\n}\n')
    assert len(errors) == 1 and "wrong format" in errors[0][2]
