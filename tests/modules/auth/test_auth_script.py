"""The auth module through the script: challenges, pv_*_authorize, nonce
expiry/forgery/replay, consume_credentials, RPID helpers."""
import hashlib
import hmac
import time

import pytest

from openser_py.core import statistics
from openser_py.core.script_state import state
from openser_py.core.scriptrun import load_script
from openser_py.core.usr_avp import reset_avps
from openser_py.modules.auth import auth_mod
from openser_py.modules.sl import sl_funcs
from openser_py.parser.msg_translator import build_req_buf
from tests.modules.auth.authutil import (credentials, md5, parse_challenge,
                                         request, run)

SECRET = "test-secret-0123456789"


@pytest.fixture(autouse=True)
def clean():
    statistics.reset_registry()
    state.reset()
    reset_avps()
    yield
    auth_mod.destroy()
    sl_funcs.sl_shutdown()
    statistics.reset_registry()
    state.reset()
    reset_avps()


def load(body, params=(), head=""):
    mp = "".join('modparam("auth", "%s", %s)\n' % (k, v) for k, v in params)
    return load_script(
        'listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\nloadmodule "auth.so"\n'
        'loadmodule "textops.so"\n%s%s\nroute {\n%s\n}\n' % (mp, head, body))


PV_PARAMS = (("username_spec", '"$avp(s:user)"'),
             ("password_spec", '"$avp(s:pass)"'),
             ("calculate_ha1", "1"),
             ("secret", '"%s"' % SECRET))

PV_ROUTE = '''
$avp(s:user) = "alice"; $avp(s:pass) = "pw";
pv_www_authorize("");
$avp(s:rc) = $rc;
if ($avp(s:rc) < 0) { www_challenge("", "1"); }
'''


def pv_script(extra=()):
    return load(PV_ROUTE, PV_PARAMS + tuple(extra))


def challenge_nonce(script, **kw):
    _, sent, rc = run(script, request(**kw))
    assert rc == -4 and len(sent) == 1
    return parse_challenge(sent[0])


def forged_nonce(expires, index=1, secret=SECRET):
    head = "%08x%08x" % (expires, index)
    return head + hmac.new(secret.encode(), head.encode(),
                           hashlib.md5).hexdigest()


# -- challenges ----------------------------------------------------------------

def test_www_challenge_layout_and_nonce_lifetime():
    s = load('www_challenge("", "1");', (("nonce_expire", "45"),))
    before = int(time.time())
    _, sent, _ = run(s, request())
    after = int(time.time())
    reply = sent[0].decode()
    assert reply.startswith("SIP/2.0 401 Unauthorized\r\n")
    kind, realm, nonce, qop, stale = parse_challenge(sent[0])
    assert (kind, realm, qop, stale) == ("WWW", "example.com", True, False)
    assert ('\r\nWWW-Authenticate: Digest realm="example.com", nonce="%s", '
            'qop="auth"\r\n' % nonce) in reply
    assert len(nonce) == 48
    assert before + 45 <= int(nonce[:8], 16) <= after + 45


def test_proxy_challenge_uses_from_host_and_no_qop():
    s = load('proxy_challenge("", "0");')
    _, sent, _ = run(s, request("INVITE", "sip:bob@other.net",
                                domain="caller.org"))
    assert sent[0].startswith(b"SIP/2.0 407 Proxy Authentication Required\r\n")
    kind, realm, _n, qop, stale = parse_challenge(sent[0])
    assert (kind, realm, qop, stale) == ("Proxy", "caller.org", False, False)


def test_realm_pv_and_realm_prefix():
    s = load('www_challenge("$fd", "0");', (("realm_prefix", '"sip."'),))
    _, sent, _ = run(s, request("INVITE", domain="sip.example.org"))
    assert parse_challenge(sent[0])[1] == "example.org"


def test_nonces_are_unique_per_challenge():
    s = load('www_challenge("", "1");')
    nonces = {parse_challenge(run(s, request())[1][0])[2] for _ in range(5)}
    assert len(nonces) == 5


# -- pv_www_authorize -----------------------------------------------------------

def test_good_password_qop_auth_then_replay_rejected():
    s = pv_script()
    _k, realm, nonce, _q, _s = challenge_nonce(s)
    good = credentials("alice", realm, "pw", nonce, qop="auth")
    _, sent, rc = run(s, request(auth=[good]))
    assert rc == 1 and sent == []
    # the same nc again: replay -> stale, re-challenged with stale=true
    _, sent, rc = run(s, request(auth=[good]))
    assert rc == -3
    assert parse_challenge(sent[0])[4] is True
    # a higher nc with the same nonce is fine, a lower one is not
    nc3 = credentials("alice", realm, "pw", nonce, qop="auth", nc="00000003")
    nc2 = credentials("alice", realm, "pw", nonce, qop="auth", nc="00000002")
    assert run(s, request(auth=[nc3]))[2] == 1
    assert run(s, request(auth=[nc2]))[2] == -3


def test_without_qop_and_auth_int():
    s = pv_script()
    _k, realm, nonce, _q, _s = challenge_nonce(s)
    plain = credentials("alice", realm, "pw", nonce)
    assert run(s, request(auth=[plain]))[2] == 1
    body = "v=0\r\n"
    aint = credentials("alice", realm, "pw", nonce, qop="auth-int",
                       body=body)
    assert run(s, request(auth=[aint], body=body))[2] == 1
    aint2 = credentials("alice", realm, "pw", nonce, qop="auth-int",
                        nc="00000002", body="other")
    assert run(s, request(auth=[aint2], body=body))[2] == -2


def test_wrong_password_unknown_user_no_credentials():
    s = pv_script()
    _k, realm, nonce, _q, _s = challenge_nonce(s)
    bad = credentials("alice", realm, "wrong", nonce, qop="auth")
    _, sent, rc = run(s, request(auth=[bad]))
    assert rc == -2 and parse_challenge(sent[0])[4] is False
    bob = credentials("bob", realm, "pw", nonce, qop="auth", nc="00000002")
    assert run(s, request(user="bob", auth=[bob]))[2] == -1
    other_realm = credentials("alice", "elsewhere.net", "pw", nonce)
    assert run(s, request(auth=[other_realm]))[2] == -4


def test_ha1_in_password_pv():
    ha1 = md5("alice:example.com:pw")
    s2 = load(PV_ROUTE.replace('"pw"', '"%s"' % ha1),
              PV_PARAMS + (("calculate_ha1", "0"),))
    _k, realm, nonce, _q, _s = challenge_nonce(s2)
    bad = credentials("alice", realm, "other", nonce, qop="auth", nc="00000009")
    assert run(s2, request(auth=[bad]))[2] == -2
    good = credentials("alice", realm, "pw", nonce, qop="auth")
    assert run(s2, request(auth=[good]))[2] == 1


def test_stale_nonce_gives_minus3_and_stale_true():
    s = pv_script()
    nonce = forged_nonce(int(time.time()) - 5)      # our MAC, expired
    cred = credentials("alice", "example.com", "pw", nonce)
    _, sent, rc = run(s, request(auth=[cred]))
    assert rc == -3
    assert parse_challenge(sent[0])[4] is True
    # expired AND wrong password: -2 (the response is checked first)
    cred = credentials("alice", "example.com", "bad", nonce)
    assert run(s, request(auth=[cred]))[2] == -2


def test_forged_nonce_gives_minus3_without_stale():
    s = pv_script()
    nonce = forged_nonce(int(time.time()) + 3600, secret="not-our-secret")
    cred = credentials("alice", "example.com", "pw", nonce)
    _, sent, rc = run(s, request(auth=[cred]))
    assert rc == -3
    assert parse_challenge(sent[0])[4] is False


def test_incomplete_digest_gets_400_and_stops():
    s = pv_script()
    hdr = ('Authorization: Digest username="alice", realm="example.com", '
           'nonce="abc", uri="sip:example.com"')          # no response
    _, sent, rc = run(s, request(auth=[hdr]))
    assert rc is None                                  # script stopped (0)
    assert sent[0].startswith(b"SIP/2.0 400 Bad Request\r\n")
    hdr2 = credentials("alice", "example.com", "pw", "ab" * 24, qop="auth",
                       nc="1")                         # nc not 8LHEX
    _, sent, rc = run(s, request(auth=[hdr2]))
    assert rc is None and sent[0].startswith(b"SIP/2.0 400 ")


def test_ack_and_cancel_are_authorized():
    s = pv_script()
    for method in ("ACK", "CANCEL"):
        assert run(s, request(method, "sip:bob@example.com"))[2] == 1


def test_secret_is_random_per_start_unless_set():
    load('exit;')
    first = auth_mod.state.secret
    load('exit;')
    assert auth_mod.state.secret != first and len(first) == 32
    load('exit;', (("secret", '"fixed"'),))
    assert auth_mod.state.secret == "fixed"


# -- consume_credentials ----------------------------------------------------------

def test_consume_credentials_removes_the_authorized_header():
    s = load(PV_ROUTE + 'if ($avp(s:rc) == 1) { consume_credentials(); }',
             PV_PARAMS)
    _k, realm, nonce, _q, _s = challenge_nonce(s)
    good = credentials("alice", realm, "pw", nonce, qop="auth")
    other = 'Proxy-Authorization: Digest username="x", realm="y"'
    msg, _sent, rc = run(s, request(auth=[other, good]))
    assert rc == 1
    out = build_req_buf(msg)
    assert b"\r\nAuthorization:" not in out
    assert other.encode() in out


def test_consume_credentials_without_authorization_fails():
    s = load('consume_credentials(); $avp(s:rc) = $rc;')
    assert run(s, request())[2] == -1


# -- RPID ---------------------------------------------------------------------------

@pytest.mark.parametrize("rpid,e164", [
    ("<sip:+4930123456@example.com>", 1), ("sip:+4930123456@example.com", 1),
    ('"Alice" <sip:+12@x.org>', 1), ("sip:4930123@x.org", -1),
    ("<tel:+4930123456>", -1), ("sip:+1@x.org", -1)])
def test_is_rpid_user_e164(rpid, e164):
    s = load('$avp(s:rpid) = "%s"; is_rpid_user_e164(); $avp(s:rc) = $rc;'
             % rpid.replace('"', '\\"'))
    assert run(s, request("INVITE"))[2] == e164


def test_append_rpid_hf_default_and_explicit():
    s = load('$avp(s:rpid) = "<sip:+491@example.com>"; append_rpid_hf(); '
             'append_rpid_hf("P;", ";S");', (("rpid_prefix", '"pre"'),))
    msg, _sent, _rc = run(s, request("INVITE"))
    out = build_req_buf(msg).decode()
    assert ("\r\nRemote-Party-ID: pre<sip:+491@example.com>;party=calling;"
            "id-type=subscriber;screen=yes\r\n") in out
    assert "\r\nRemote-Party-ID: P;<sip:+491@example.com>;S\r\n" in out


def test_append_rpid_hf_without_avp_is_false():
    s = load('append_rpid_hf(); $avp(s:rc) = $rc;')
    assert run(s, request("INVITE"))[2] == -1


def test_rpid_avp_parameter():
    s = load('$avp(i:77) = "sip:+4912345@x"; is_rpid_user_e164(); '
             '$avp(s:rc) = $rc;', (("rpid_avp", '"$avp(i:77)"'),))
    assert run(s, request("INVITE"))[2] == 1


def test_pv_authorize_without_specs_is_generic_error():
    s = load(PV_ROUTE, (("secret", '"%s"' % SECRET),))
    _k, realm, nonce, _q, _s = challenge_nonce(s)
    cred = credentials("alice", realm, "pw", nonce)
    _, sent, rc = run(s, request(auth=[cred]))
    assert rc == -5


def test_nonce_count_off_accepts_replays_like_1_3():
    s = pv_script((("nonce_count", "0"),))
    assert auth_mod.state.nc_table is None
    _k, realm, nonce, _q, _s = challenge_nonce(s)
    good = credentials("alice", realm, "pw", nonce, qop="auth")
    assert run(s, request(auth=[good]))[2] == 1
    assert run(s, request(auth=[good]))[2] == 1
