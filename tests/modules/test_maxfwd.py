"""The maxfwd module: return codes, lumps, max_limit, fixups, API."""
import hashlib

import pytest

from openser_py.core import statistics
from openser_py.core.cfgload import load_config
from openser_py.core.ip_addr import PROTO_UDP
from openser_py.core.script_state import state
from openser_py.core.scriptrun import (SendRecorder, load_script, make_msg,
                                       run_route)
from openser_py.modules.maxfwd import mf_funcs
from openser_py.modules.sl import sl_funcs, sl_stats
from openser_py.parser import tags
from openser_py.parser.msg_translator import build_req_buf
from openser_py.sr_module import load_module_api
from openser_py.version import SERVER_HDR


def request(maxfwd=b"Max-Forwards: 70\r\n"):
    return (b"OPTIONS sip:bob@example.com SIP/2.0\r\n"
            b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKmf1\r\n"
            + maxfwd +
            b"From: <sip:alice@example.com>;tag=a1\r\n"
            b"To: <sip:bob@example.com>\r\n"
            b"Call-ID: mf@example.com\r\nCSeq: 1 OPTIONS\r\n"
            b"Content-Length: 0\r\n\r\n")


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    statistics.reset_registry()
    state.reset()
    monkeypatch.setattr(mf_funcs.cfg, "max_limit", 256)
    monkeypatch.setattr(sl_stats.cfg, "enable_stats", 1)
    yield
    statistics.reset_registry()
    state.reset()
    sl_funcs.sl_shutdown()


def load(body, extra=""):
    return load_script('loadmodule "maxfwd.so"\n%s\nroute {\n%s\n}\n'
                       % (extra, body))


def run(script, data):
    msg = make_msg(data)
    with SendRecorder() as rec:
        run_route(script, msg)
    return msg, rec.sent


RC = 'mf_process_maxfwd_header("%s"); $var(rc) = $rc;'


@pytest.mark.parametrize("header,limit,rc,out", [
    (b"Max-Forwards: 70\r\n", "10", 1, b"Max-Forwards: 69\r\n"),
    (b"Max-Forwards: 10\r\n", "10", 1, b"Max-Forwards:  9\r\n"),
    (b"Max-Forwards: 1\r\n", "10", 1, b"Max-Forwards: 0\r\n"),
    (b"Max-Forwards: 007\r\n", "10", 1, b"Max-Forwards:   6\r\n"),
    (b"max-forwards:\t70 \r\n", "10", 1, b"max-forwards:\t69 \r\n"),
    (b"Max-Forwards: 0\r\n", "10", -1, b"Max-Forwards: 0\r\n"),
    (b"Max-Forwards: abc\r\n", "10", -2, b"Max-Forwards: abc\r\n"),
    (b"Max-Forwards: -1\r\n", "10", -2, b"Max-Forwards: -1\r\n"),
    (b"Max-Forwards: 123456\r\n", "10", -2, b"Max-Forwards: 123456\r\n"),
])
def test_process_return_codes_and_value_only_rewrite(header, limit, rc, out):
    msg, _ = run(load(RC % limit), request(header))
    assert state.vars["rc"] == rc
    assert build_req_buf(msg) == request(out)
    assert msg.buf == request(header)          # the received bytes untouched


def test_absent_header_is_added_before_the_first_header():
    msg, _ = run(load(RC % "10"), request(b""))
    assert state.vars["rc"] == 2
    assert build_req_buf(msg) == (
        b"OPTIONS sip:bob@example.com SIP/2.0\r\n"
        b"Max-Forwards: 10\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKmf1\r\n"
        b"From: <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>\r\n"
        b"Call-ID: mf@example.com\r\nCSeq: 1 OPTIONS\r\n"
        b"Content-Length: 0\r\n\r\n")


def test_max_limit_caps_the_decremented_value():
    s = load(RC % "10", extra='modparam("maxfwd", "max_limit", 16)')
    msg, _ = run(s, request(b"Max-Forwards: 70\r\n"))
    assert state.vars["rc"] == 1
    assert build_req_buf(msg) == request(b"Max-Forwards: 16\r\n")
    msg, _ = run(s, request(b"Max-Forwards: 17\r\n"))
    assert build_req_buf(msg) == request(b"Max-Forwards: 16\r\n")
    msg, _ = run(s, request(b"Max-Forwards: 16\r\n"))
    assert build_req_buf(msg) == request(b"Max-Forwards: 15\r\n")


def test_called_twice_decrements_once():
    s = load('mf_process_maxfwd_header("10"); mf_process_maxfwd_header("10");'
             '$var(rc) = $rc;')
    msg, _ = run(s, request())
    assert state.vars["rc"] == 1
    assert build_req_buf(msg) == request(b"Max-Forwards: 69\r\n")
    msg, _ = run(s, request(b""))
    assert state.vars["rc"] == 2
    assert build_req_buf(msg).count(b"Max-Forwards: 10\r\n") == 1


@pytest.mark.parametrize("header,limit,rc", [
    (b"Max-Forwards: 5\r\n", "10", 1),
    (b"Max-Forwards: 9\r\n", "10", 1),
    (b"Max-Forwards: 10\r\n", "10", -1),
    (b"Max-Forwards: 70\r\n", "10", -1),
    (b"", "10", -2),
    (b"Max-Forwards: x\r\n", "10", -3),
])
def test_is_maxfwd_lt_return_codes(header, limit, rc):
    msg, _ = run(load('is_maxfwd_lt("%s"); $var(rc) = $rc;' % limit),
                 request(header))
    assert state.vars["rc"] == rc
    assert build_req_buf(msg) == request(header)     # never changes anything


def test_is_maxfwd_lt_sees_added_and_decremented_values():
    s = load('mf_process_maxfwd_header("5"); is_maxfwd_lt("6");'
             '$var(a) = $rc; is_maxfwd_lt("5"); $var(b) = $rc;')
    run(s, request(b""))
    assert (state.vars["a"], state.vars["b"]) == (1, -1)
    run(s, request(b"Max-Forwards: 6\r\n"))          # decremented to 5
    assert (state.vars["a"], state.vars["b"]) == (1, -1)


FIXUP_CASES = [
    ('mf_process_maxfwd_header("0");', "invalid MAXFWD number 0"),
    ('mf_process_maxfwd_header("257");', "invalid MAXFWD number 257"),
    ('mf_process_maxfwd_header("ten");', "bad number 'ten'"),
    ('is_maxfwd_lt("-3");', "bad number '-3'"),
]


@pytest.mark.parametrize("call,message", FIXUP_CASES)
def test_fixup_errors_have_file_line_col(tmp_path, call, message):
    path = str(tmp_path / "mf.cfg")
    text = 'loadmodule "maxfwd.so"\nroute {\n  exit;\n}\nroute[1] {\n  %s\n}\n' \
        % call
    script = load_config(path, text=text, check=True)
    (err,) = script.errors
    assert (err.file, err.line, err.col) == (path, 6, 3)
    assert message in err.message


def test_fixup_rejects_value_above_max_limit(tmp_path):
    path = str(tmp_path / "mf.cfg")
    text = ('loadmodule "maxfwd.so"\nmodparam("maxfwd", "max_limit", 20)\n'
            'route {\n    mf_process_maxfwd_header("30");\n}\n')
    (err,) = load_config(path, text=text, check=True).errors
    assert (err.line, err.col) == (4, 5)
    assert "bigger than max limit (20)" in err.message


def test_route_types(tmp_path):
    path = str(tmp_path / "mf.cfg")
    text = ('loadmodule "maxfwd.so"\nroute { exit; }\n'
            'failure_route[1] {\n  is_maxfwd_lt("3");\n'
            '  mf_process_maxfwd_header("3");\n}\n'
            'branch_route[1] { is_maxfwd_lt("3"); }\n')
    errors = load_config(path, text=text, check=True).errors
    assert [(e.line, e.col) for e in errors] == [(5, 3)]
    assert "cannot be used in failure_route" in errors[0].message


@pytest.mark.parametrize("value", [0, 257, -1])
def test_max_limit_out_of_range_rejected_by_mod_init(tmp_path, value):
    text = ('loadmodule "maxfwd.so"\nmodparam("maxfwd", "max_limit", %d)\n'
            'route { exit; }\n' % value)
    script = load_config(str(tmp_path / "mf.cfg"), text=text)
    assert len(script.errors) == 1
    assert "mod_init of module maxfwd failed" in str(script.errors[0])


@pytest.mark.parametrize("value", [1, 256])
def test_max_limit_bounds_accepted(tmp_path, value):
    text = ('loadmodule "maxfwd.so"\nmodparam("maxfwd", "max_limit", %d)\n'
            'route { exit; }\n' % value)
    assert load_config(str(tmp_path / "mf.cfg"), text=text).errors == []


def test_api():
    load('exit;')
    mf = load_module_api("maxfwd")
    msg = make_msg(request(b"Max-Forwards: 3\r\n"))
    assert mf.get_maxfwd(msg) == 3
    assert mf.process_maxfwd(msg, 70) == 1
    assert mf.get_maxfwd(msg) == 2
    assert mf.is_maxfwd_lt(msg, 3) == 1 and mf.is_maxfwd_lt(msg, 2) == -1
    assert build_req_buf(msg) == request(b"Max-Forwards: 2\r\n")


DEFAULT_CFG_ROUTE = '''
listen=udp:127.0.0.1:5060
loadmodule "sl.so"
loadmodule "maxfwd.so"
route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483","Too Many Hops");
        exit;
    }
    sl_send_reply("200", "Passed");
}
'''


def test_default_config_answers_483_for_max_forwards_0():
    script = load_script(DEFAULT_CFG_ROUTE)
    _, sent = run(script, request(b"Max-Forwards: 0\r\n"))
    tag = (hashlib.md5(b"OpenSER-stateless127.0.0.15060").hexdigest() + "."
           + tags.crcitt_string_array(("192.0.2.10", "", "z9hG4bKmf1")))
    assert sent == [(PROTO_UDP, "192.0.2.10", 5060, (
        "SIP/2.0 483 Too Many Hops\r\n"
        "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKmf1\r\n"
        "From: <sip:alice@example.com>;tag=a1\r\n"
        "To: <sip:bob@example.com>;tag=%s\r\n"
        "Call-ID: mf@example.com\r\nCSeq: 1 OPTIONS\r\n"
        "Server: %s\r\n"
        "Content-Length: 0\r\n\r\n" % (tag, SERVER_HDR)).encode())]
    _, sent = run(script, request(b"Max-Forwards: 1\r\n"))
    assert sent[0][3].startswith(b"SIP/2.0 200 Passed\r\n")
