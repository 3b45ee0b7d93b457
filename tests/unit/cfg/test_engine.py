"""The compiled routing engine: flow control, return codes, $retcode, checks."""
import textwrap

import pytest

from openser_py.core import route
from openser_py.core.cfgload import load_config
from openser_py.core.exports import FAILURE_ROUTE, REQUEST_ROUTE
from openser_py.core.script_state import state
from openser_py.core.scriptrun import SendRecorder, load_script, make_msg, run_route

TESTMOD = textwrap.dedent('''
    """Test module: functions with fixed return values and a call log."""
    from openser_py.sr_module import (ModuleExports, CmdExport, ParamExport,
        FixupError, INT_PARAM, REQUEST_ROUTE, FAILURE_ROUTE, ONREPLY_ROUTE,
        BRANCH_ROUTE, ERROR_ROUTE)
    from openser_py.core.route import require_route

    calls = []

    def w_ret(msg, value):
        calls.append(("ret", value))
        return value

    def fix_ret(value, n):
        return int(value)

    def w_boom(msg):
        calls.append(("boom",))
        raise RuntimeError("module bug")

    def w_mark(msg, text):
        calls.append(("mark", text))
        return 1

    def w_req_only(msg):
        return 1

    def fix_onfail(value, n):
        try:
            idx = int(value)
        except ValueError:
            raise FixupError("not a route number: %r" % value)
        require_route(FAILURE_ROUTE, idx)
        return idx

    def w_onfail(msg, idx):
        return 1

    ALL = REQUEST_ROUTE | FAILURE_ROUTE | ONREPLY_ROUTE | BRANCH_ROUTE | ERROR_ROUTE
    exports = ModuleExports(
        name="tmod",
        cmds=(CmdExport("ret", w_ret, 1, fix_ret, None, ALL, doc="return value"),
              CmdExport("boom", w_boom, 0, None, None, ALL, doc="raise"),
              CmdExport("mark", w_mark, 1, None, None, ALL, doc="log"),
              CmdExport("req_only", w_req_only, 0, None, None, REQUEST_ROUTE,
                        doc="request routes only"),
              CmdExport("on_fail", w_onfail, 1, fix_onfail, None, REQUEST_ROUTE,
                        doc="arm a failure route")),
    )
''')

INVITE = (b"INVITE sip:bob@example.com SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc\r\n"
          b"From: <sip:alice@example.com>;tag=1\r\n"
          b"To: <sip:bob@example.com>\r\n"
          b"Call-ID: c1@example.com\r\nCSeq: 1 INVITE\r\n"
          b"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def tmod(tmp_path):
    (tmp_path / "tmod.py").write_text(TESTMOD)
    return tmp_path


def script_for(tmod, body, extra=""):
    text = 'mpath="%s"\nloadmodule "tmod.so"\n%s\nroute {\n%s\n}\n' % (
        tmod, extra, body)
    return load_script(text)


def run(script, data=INVITE, rtype=REQUEST_ROUTE, index=0):
    msg = make_msg(data)
    mod = script.registry.get("tmod").pymod
    del mod.calls[:]
    flags = run_route(script, msg, rtype, index)
    return flags, mod.calls, msg


def test_zero_return_stops_the_script(tmod):
    s = script_for(tmod, 'mark("a"); ret("0"); mark("never");')
    flags, calls, _ = run(s)
    assert flags & route.EXIT_R_F
    assert calls == [("mark", "a"), ("ret", 0)]


def test_negative_is_false_positive_true(tmod):
    s = script_for(tmod, 'if (ret("-2")) { mark("t"); } else { mark("f"); }'
                         'if (ret("5")) { mark("t2"); }')
    _, calls, _ = run(s)
    assert ("mark", "f") in calls and ("mark", "t2") in calls
    assert ("mark", "t") not in calls


def test_exit_inside_called_route_ends_everything(tmod):
    s = script_for(tmod, 'route(1); mark("after");',
                   extra='route[1] { mark("in"); exit; }')
    flags, calls, _ = run(s)
    assert calls == [("mark", "in")] and flags & route.EXIT_R_F


def test_return_value_becomes_retcode(tmod):
    s = script_for(tmod, 'route(1); $var(r) = $rc; '
                         'if ($var(r) == -3) { mark("neg3"); }',
                   extra='route[1] { return(-3); mark("no"); }')
    _, calls, _ = run(s)
    assert calls == [("mark", "neg3")]
    assert state.vars["r"] == -3


def test_retcode_inside_if_branch_is_condition_function_value(tmod):
    s = script_for(tmod, 'if (!ret("-2")) { switch ($retcode) { '
                         'case -1: mark("m1"); break; case -2: mark("m2"); break;'
                         ' default: mark("d"); } }')
    _, calls, _ = run(s)
    assert calls[-1] == ("mark", "m2")


def test_switch_falls_through_without_break(tmod):
    s = script_for(tmod, '$var(x) = 1; switch ($var(x)) { case 1: mark("one");'
                         ' case 2: mark("two"); break; case 3: mark("three"); '
                         'default: mark("dflt"); }')
    _, calls, _ = run(s)
    assert calls == [("mark", "one"), ("mark", "two")]


def test_switch_string_cases_case_insensitive_and_default(tmod):
    s = script_for(tmod, 'switch ($rm) { case "invite": mark("inv"); break; '
                         'default: mark("dflt"); }'
                         'switch ($rm) { case "BYE": mark("bye"); break; '
                         'default: mark("dflt"); }')
    _, calls, _ = run(s)
    assert calls == [("mark", "inv"), ("mark", "dflt")]


def test_while_is_bounded_by_max_while_loops(tmod):
    s = script_for(tmod, '$var(i) = 0; while (1) { $var(i) = $var(i) + 1; }',
                   extra="max_while_loops=7")
    run(s)
    assert state.vars["i"] == 7


def test_route_recursion_is_bounded(tmod):
    s = script_for(tmod, 'route(1); mark("survived");',
                   extra='route[1] { route(1); }')
    _, calls, _ = run(s)
    assert calls == [("mark", "survived")]


def test_module_exception_is_logged_and_counts_minus_one(tmod):
    s = script_for(tmod, 'if (!boom()) { mark("false"); } mark("alive");')
    _, calls, _ = run(s)
    assert calls == [("boom",), ("mark", "false"), ("mark", "alive")]


def test_drop_sets_drop_flag(tmod):
    s = script_for(tmod, "drop;")
    flags, _, _ = run(s)
    assert flags & route.DROP_R_F


def test_logical_operators_bind_equally_left_assoc(tmod):
    # (ret(1) || ret(1)) && ret(-1) -> false; C precedence would give true
    s = script_for(tmod, 'if (ret("1") || ret("1") && ret("-1")) { mark("t"); }'
                         ' else { mark("f"); }')
    _, calls, _ = run(s)
    assert calls[-1] == ("mark", "f")


def test_message_operands(tmod):
    s = script_for(tmod, 'if (method==INVITE && uri=~"^sip:bob@" && '
                         'src_ip==192.0.2.0/24 && src_port==5060 && proto==udp '
                         '&& af==inet && msg:len < max_len && $avp(s:none) == null && '
                         '$tU == "BOB") { mark("all"); }')
    _, calls, _ = run(s)
    assert calls == [("mark", "all")]


def test_myself(tmod):
    s = script_for(tmod, 'if (uri==myself) { mark("me"); } else { mark("other"); }',
                   extra='listen=udp:127.0.0.1:5060\nalias="example.com"')
    _, calls, _ = run(s)
    assert calls == [("mark", "me")]
    s2 = script_for(tmod, 'if (uri==myself) { mark("me"); } else { mark("other"); }',
                    extra='listen=udp:127.0.0.1:5060')
    _, calls, _ = run(s2)
    assert calls == [("mark", "other")]


def test_assignments_avp_and_var(tmod):
    s = script_for(tmod, '$avp(s:a) = "x"; $avp(s:a) = "y"; $var(n) = 2 * 3 + 1;'
                         '$var(s) = "ab" + "cd"; '
                         'if ($avp(s:a) == "y") { mark("top-y"); }'
                         '$avp(s:a) := "z"; $var(cnt) = 0; ')
    _, calls, _ = run(s)
    assert calls == [("mark", "top-y")]
    assert state.vars["n"] == 7 and state.vars["s"] == "abcd"


def test_core_actions_rewrite_and_forward(tmod):
    s = script_for(tmod, 'rewriteuser("carol"); prefix("00"); strip(1);'
                         'rewritehostport("127.0.0.1:5099"); forward();',
                   extra='listen=udp:127.0.0.1:5060')
    with SendRecorder() as rec:
        _, _, msg = run(s)
    assert msg.new_uri == "sip:0carol@127.0.0.1:5099"
    (proto, ip, port, data), = rec.sent
    assert (ip, port) == ("127.0.0.1", 5099)
    assert data.startswith(b"INVITE sip:0carol@127.0.0.1:5099 SIP/2.0\r\n"
                           b"Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKabc\r\n")


def test_failure_route_type_check_through_route_calls(tmod, tmp_path):
    cfg = textwrap.dedent('''\
        mpath="%s"
        loadmodule "tmod.so"
        route { req_only(); }
        route[2] {
            req_only();
        }
        failure_route[1] { route(2); }
        ''' % tmod)
    script = load_config(str(tmp_path / "f.cfg"), text=cfg, check=True)
    (err,) = script.errors
    assert (err.line, err.col) == (5, 5)
    assert "cannot be used in failure_route" in err.message


CHECK_CASES = [
    # (config body, (line, col), message part)
    ('route { nosuch(); }', (3, 9), "unknown command nosuch()"),
    ('route { ret("1", "2"); }', (3, 9), "takes 1 parameter(s), 2 given"),
    ('route { setflag(40); }', (3, 9), "out of range"),
    ('route { route(7); }', (3, 9), "route[7] is called but not defined"),
    ('route { on_fail("3"); }', (3, 9), "failure_route[3] is referenced"),
    ('route { on_fail("x"); }', (3, 9), "not a route number"),
    ('route { if ($nosuchpv == 1) { exit; } }', (3, 13), "nosuchpv"),
    ('route { if (uri =~ "(") { exit; } }', (3, 20), "bad regular expression"),
    ('route { $rm = "X"; }', (3, 9), "read-only"),
    ('nosuchparam=1\nroute { exit; }', (3, 1), "unknown core parameter"),
    ('children="x"\nroute { exit; }', (3, 10), "children"),
    ('loadmodule "nosuchmodule.so"\nroute { exit; }', (3, 12), "nosuchmodule"),
    ('modparam("tmod", "nope", 1)\nroute { exit; }', (3, 1), "not found in module"),
    ('modparam("zzz", "nope", 1)\nroute { exit; }', (3, 1), "no module matching"),
    ('route { exit; }\nroute { exit; }', (4, 1), "defined twice"),
    ('failure_route[0] { exit; }', (3, 1), "invalid failure_route index"),
]


@pytest.mark.parametrize("body,pos,text", CHECK_CASES)
def test_checker_reports_each_error_kind_at_its_position(tmod, tmp_path, body,
                                                          pos, text):
    cfg = 'mpath="%s"\nloadmodule "tmod.so"\n%s\n' % (tmod, body)
    path = str(tmp_path / "c.cfg")
    script = load_config(path, text=cfg, check=True)
    assert script.errors, "expected an error"
    err = script.errors[0]
    assert err.file == path
    assert text in err.message, err.message
    assert (err.line, err.col) == pos, str(err)


def test_every_error_reported_with_caret(tmod, tmp_path):
    cfg = ('mpath="%s"\nloadmodule "tmod.so"\nroute {\n  nosuch1();\n'
           '  setflag(99);\n  nosuch2();\n}\n' % tmod)
    path = tmp_path / "many.cfg"
    path.write_text(cfg)
    from openser_py.core.cfgload import check_file
    import io
    out = io.StringIO()
    assert check_file(str(path), out) == 1
    text = out.getvalue()
    assert "%s:4:3: unknown command nosuch1()" % path in text
    assert "%s:5:3:" % path in text and "%s:6:3:" % path in text
    assert "  nosuch1();\n  ^" in text
    assert "3 error(s) found" in text


def test_check_ok_prints_nothing(tmod, tmp_path):
    path = tmp_path / "ok.cfg"
    path.write_text('mpath="%s"\nloadmodule "tmod.so"\nroute { mark("x"); }\n'
                    % tmod)
    import io
    from openser_py.core.cfgload import check_file
    out = io.StringIO()
    assert check_file(str(path), out) == 0 and out.getvalue() == ""


def test_failure_route_runs_with_its_type(tmod):
    s = script_for(tmod, 'exit;', extra='failure_route[2] { mark("fr"); }')
    flags, calls, _ = run(s, rtype=FAILURE_ROUTE, index=2)
    assert calls == [("mark", "fr")]
