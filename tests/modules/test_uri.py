"""The uri module: R-URI checks and changes, run from real configs."""
import pytest

from openser_py.core.cfgload import load_config
from openser_py.core.pv_msg import AUTHORIZED_CRED_KEY
from openser_py.core.script_state import state
from openser_py.core.scriptrun import load_script, make_msg, run_route
from openser_py.modules.uri.uri_funcs import e164_check
from openser_py.parser.digest import parse_credentials
from openser_py.parser.msg_translator import build_req_buf

TAIL = (b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc\r\n"
        b"From: <sip:+4930123456@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Content-Length: 0\r\n\r\n")


def invite(ruri=b"sip:bob@example.com", tail=TAIL):
    return b"INVITE " + ruri + b" SIP/2.0\r\n" + tail


@pytest.fixture(autouse=True)
def clean():
    state.reset()
    yield
    state.reset()


def codes(calls, data=None, cred=None):
    """Run each call in route{}; return (return codes, message)."""
    body = "".join("%s; $var(r%d) = $rc;\n" % (c, i)
                   for i, c in enumerate(calls))
    sc = load_script('loadmodule "uri.so"\nroute {\n%s}\n' % body)
    msg = make_msg(data or invite())
    if cred is not None:
        msg.ctx[AUTHORIZED_CRED_KEY] = cred
    run_route(sc, msg)
    return [state.vars["r%d" % i] for i in range(len(calls))], msg


def cfg_errors(text):
    sc = load_config("u.cfg", text='loadmodule "uri.so"\n' + text,
                     check=True)
    return [(e.line, e.col, e.message) for e in sc.errors]


def test_is_user_needs_authorized_credentials():
    cred = parse_credentials('Digest username="alice@example.com", '
                             'realm="example.com", nonce="n", uri="sip:x", '
                             'response="r"')
    rcs, _ = codes(['is_user("alice")', 'is_user("Alice")',
                    'is_user("alice@example.com")'], cred=cred)
    assert rcs == [1, -1, -1]
    rcs, _ = codes(['is_user("alice")'])
    assert rcs == [-1]


def test_has_totag():
    rcs, _ = codes(["has_totag()"])
    assert rcs == [-1]
    tagged = invite(tail=TAIL.replace(b"<sip:bob@example.com>\r\n",
                                      b"<sip:bob@example.com>;tag=b2\r\n"))
    rcs, _ = codes(["has_totag()"], data=tagged)
    assert rcs == [1]


def test_uri_param_one_and_two_params():
    data = invite(b"sip:bob@example.com;transport=tcp;lr;foo=")
    rcs, _ = codes(['uri_param("lr")', 'uri_param("foo")',
                    'uri_param("transport")', 'uri_param("transport", "tcp")',
                    'uri_param("transport", "TCP")',
                    'uri_param("Transport", "tcp")', 'uri_param("nope")',
                    'uri_param("lr", "1")'], data=data)
    assert rcs == [1, 1, -1, 1, -1, -1, -1, -1]


def test_uri_param_sees_the_rewritten_uri():
    rcs, _ = codes(['uri_param("lr")', 'rewriteuri("sip:b@example.net;lr")',
                    'uri_param("lr")'])
    assert rcs[0] == -1 and rcs[2] == 1


def test_add_uri_param():
    rcs, msg = codes(['add_uri_param("x=1")', 'add_uri_param("lr")'])
    assert rcs == [1, 1]
    assert msg.new_uri == "sip:bob@example.com;x=1;lr"
    assert build_req_buf(msg) == invite(b"sip:bob@example.com;x=1;lr")


def test_add_uri_param_before_uri_headers():
    rcs, msg = codes(['rewriteuri("sip:bob:pw@example.com:5070;a=1?'
                      'subject=hi")', 'add_uri_param("b=2")'])
    assert msg.new_uri == "sip:bob:pw@example.com:5070;a=1;b=2?subject=hi"
    rcs, msg = codes(['rewriteuri("sip:example.com?h=1")',
                      'add_uri_param("b")'])
    assert msg.new_uri == "sip:example.com;b?h=1"


def test_tel2sip():
    data = invite(b"tel:+1-201-555-0123;phone-context=x")
    rcs, msg = codes(["tel2sip()"], data=data)
    assert rcs == [1]
    assert msg.new_uri == \
        "sip:+1-201-555-0123;phone-context=x@example.com;user=phone"
    assert build_req_buf(msg) == invite(
        b"sip:+1-201-555-0123;phone-context=x@example.com;user=phone")
    rcs, msg = codes(["tel2sip()"])          # not a tel URI: unchanged, true
    assert rcs == [1] and msg.new_uri is None
    bad_from = invite(b"tel:+12015550123", TAIL.replace(
        b"<sip:+4930123456@example.com>", b"<sip:a@exa mple.com>"))
    rcs, msg = codes(["tel2sip()"], data=bad_from)
    assert rcs == [-1] and msg.new_uri is None


def test_is_uri_user_e164():
    rcs, _ = codes(['is_uri_user_e164("$fu")', 'is_uri_user_e164("$ru")',
                    'is_uri_user_e164("$avp(s:none)")',
                    '$avp(s:u) = "tel:+12"; is_uri_user_e164("$avp(s:u)")',
                    '$avp(s:u) = "sip:+123456789012345@h";'
                    ' is_uri_user_e164("$avp(s:u)")',
                    '$avp(s:u) = "sip:+1234567890123456@h";'
                    ' is_uri_user_e164("$avp(s:u)")',
                    '$avp(s:u) = "garbage"; is_uri_user_e164("$avp(s:u)")'])
    assert rcs == [1, -1, -1, 1, 1, -1, -1]


@pytest.mark.parametrize("user, rc", [
    ("+12", 1), ("+1", -1), ("+49301234567", 1), ("4930123", -1),
    ("+49 30", -1), ("+4930x", -1), ("+" + "1" * 15, 1), ("+" + "1" * 16, -1),
])
def test_e164_check(user, rc):
    assert e164_check(user) == rc


def test_route_types_and_fixup_errors():
    assert cfg_errors('route { exit; }\nfailure_route[1] {\n'
                      '  is_uri_user_e164("$tu");\n}\n') == []
    errs = cfg_errors('route { exit; }\nfailure_route[1] {\n'
                      '  uri_param("lr");\n}\n')
    assert len(errs) == 1 and errs[0][:2] == (4, 3)
    assert "cannot be used in failure_route" in errs[0][2]
    errs = cfg_errors('route {\n  is_uri_user_e164("$nope");\n'
                      '  is_uri_user_e164("no pv");\n}\n')
    assert [e[:2] for e in errs] == [(3, 3), (4, 3)]
    assert all("is_uri_user_e164(): bad parameter" in e[2] for e in errs)
    errs = cfg_errors('onreply_route {\n has_totag();\n}\n')
    assert "cannot be used in onreply_route" in errs[0][2]
