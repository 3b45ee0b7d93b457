"""ds_select_dst / ds_select_domain: every algorithm, inactive entries,
use_default, force_dst, failover AVPs, ds_is_from_list, ds_mark_dst."""
import collections

import pytest

from openser_py.core.usr_avp import get_avp_list
from openser_py.mi.mi import run_mi_cmd
from tests.modules.dispatcher.dsutil import (c_ds_hash, load, request, run,
                                             write_list)

DESTS = ["sip:127.0.0.1:5071", "sip:127.0.0.1:5072", "sip:127.0.0.1:5073",
         "sip:127.0.0.1:5074", "sip:127.0.0.1:5075"]
SEL = '$avp(s:rc) = 0; if (ds_select_dst("1", "%d")) { $avp(s:rc) = 1; }'


@pytest.fixture
def dlist(tmp_path):
    return write_list(tmp_path, ["# set 1"] + ["1 %s" % d for d in DESTS]
                      + ["2 sip:127.0.0.2:5060", "2 sip:127.0.0.3"])


def _du(s, **req):
    msg, rc = run(s, request(**req))
    return msg.dst_uri if rc == 1 else None


def _uri_keys(uri, user_only=False):
    rest = uri.split(":", 1)[1]
    user, _, hostport = rest.rpartition("@")
    host, _, port = hostport.partition(":")
    key2 = "" if user_only else (host + (":" + port if port and port
                                         != "5060" else ""))
    return user, key2


CALLIDS = ["abc123@host", "x", "call-%d@10.1.2.3" % 42, "\xe9t\xe9@h\xf4te",
           "a" * 37, "QWERTY"]


@pytest.mark.parametrize("callid", CALLIDS)
def test_alg0_callid_hash(env, dlist, callid):
    s = load(env, dlist, SEL % 0)
    assert _du(s, callid=callid) == DESTS[c_ds_hash(callid) % len(DESTS)]


URIS = ["sip:alice@a.com", "sip:bob@example.com:5070", "sip:x@h:5060",
        "sip:carol@10.0.0.1;transport=tcp", "sip:long.user.name@d.org"]


@pytest.mark.parametrize("uri", URIS)
def test_alg1_from_alg2_to_alg3_ruri(env, dlist, uri):
    exp = DESTS[c_ds_hash(*_uri_keys(uri.split(";")[0])) % len(DESTS)]
    s1 = load(env, dlist, SEL % 1)
    assert _du(s1, frm=uri) == exp
    s2 = load(env, dlist, SEL % 2)
    assert _du(s2, to=uri) == exp
    s3 = load(env, dlist, SEL % 3)
    assert _du(s3, ruri=uri) == exp


def test_alg3_uses_rewritten_ruri_and_user_only_flag(env, dlist):
    s = load(env, dlist, 'rewriteuri("sip:zed@other.net:5080"); ' + SEL % 3)
    exp = DESTS[c_ds_hash("zed", "other.net:5080") % len(DESTS)]
    assert _du(s) == exp
    s = load(env, dlist, SEL % 1, params=[("flags", 1)])
    for uri in URIS:
        exp = DESTS[c_ds_hash(*_uri_keys(uri.split(";")[0], True))
                    % len(DESTS)]
        assert _du(s, frm=uri) == exp


def test_alg4_round_robin(env, dlist):
    s = load(env, dlist, SEL % 4)
    got = [_du(s, callid="c%d" % i) for i in range(12)]
    assert got == [DESTS[i % 5] for i in range(12)]


def test_alg5_auth_username_else_round_robin(env, dlist):
    s = load(env, dlist, SEL % 5)
    cred = ('Proxy-Authorization: Digest username="joe", realm="a.com", '
            'nonce="n", uri="sip:bob@example.com", response="r"')
    exp = DESTS[c_ds_hash("joe") % len(DESTS)]
    assert [_du(s, extra=cred) for _ in range(3)] == [exp] * 3
    auth = cred.replace("Proxy-Authorization", "Authorization").replace(
        "joe", "ann@a.com")
    assert _du(s, extra=auth) == DESTS[c_ds_hash("ann") % len(DESTS)]
    assert [_du(s) for _ in range(6)] == [DESTS[i % 5] for i in range(6)]


def test_alg6_random_and_unknown_alg(env, dlist):
    s = load(env, dlist, SEL % 6)
    seen = collections.Counter(_du(s, callid="c") for _ in range(200))
    assert set(seen) == set(DESTS)
    s = load(env, dlist, SEL % 17)
    assert {_du(s, callid="c%d" % i) for i in range(5)} == {DESTS[0]}


def test_set_and_alg_from_avps_and_domain_mode(env, dlist):
    s = load(env, dlist, '$avp(s:set) = 2; $avp(s:alg) = 4; '
             'if (ds_select_domain("$avp(s:set)", "$avp(s:alg)")) '
             '$avp(s:rc) = 1;')
    msg, rc = run(s, request(ruri="sip:bob@example.com;user=phone"))
    assert rc == 1 and msg.new_uri == "sip:bob@127.0.0.2:5060;user=phone"
    assert msg.dst_uri is None
    msg, rc = run(s, request(ruri="sip:bob@example.com"))
    assert msg.new_uri == "sip:bob@127.0.0.3"
    s = load(env, dlist, '$avp(s:rc) = 1; if (!ds_select_dst("$avp(s:n)", '
             '"0")) $avp(s:rc) = -1;')
    assert run(s, request())[1] == -1              # AVP not set
    s = load(env, dlist, '$avp(s:rc) = 1; if (!ds_select_dst("9", "0")) '
             '$avp(s:rc) = -1;')
    assert run(s, request())[1] == -1              # no such set


def test_inactive_destinations_are_skipped(env, dlist):
    s = load(env, dlist, SEL % 4)
    for d in DESTS[1:4]:
        assert run_mi_cmd("ds_set_state", _args("i", "1", d)).code == 200
    assert [_du(s) for _ in range(4)] == [DESTS[0], DESTS[4], DESTS[0],
                                          DESTS[4]]
    assert run_mi_cmd("ds_set_state", _args("p", "1", DESTS[4])).code == 200
    assert run_mi_cmd("ds_set_state", _args("i", "1", DESTS[0])).code == 200
    assert _du(s) is None                          # all down
    assert run_mi_cmd("ds_set_state", _args("a", "1", DESTS[2])).code == 200
    assert [_du(s) for _ in range(2)] == [DESTS[2]] * 2


def test_use_default_last_entry_is_last_resort(env, dlist):
    s = load(env, dlist, SEL % 4, params=[("use_default", 1)])
    assert [_du(s) for _ in range(8)] == [DESTS[i % 4] for i in range(8)]
    for d in DESTS[:4]:
        run_mi_cmd("ds_set_state", _args("i", "1", d))
    assert _du(s) == DESTS[4]


def test_force_dst(env, dlist):
    route = '$du = "sip:1.2.3.4"; ' + SEL % 0
    assert _du(load(env, dlist, route)) is None
    msg, rc = run(load(env, dlist, route, params=[("force_dst", 1)]),
                  request(callid="x"))
    assert rc == 1 and msg.dst_uri == DESTS[c_ds_hash("x") % 5]


FAILOVER = [("flags", 2), ("dst_avp", '"$avp(i:271)"'),
            ("grp_avp", '"$avp(i:272)"'), ("cnt_avp", '"$avp(i:273)"')]


def test_failover_avps(env, dlist):
    s = load(env, dlist, SEL % 4, params=FAILOVER)
    run_mi_cmd("ds_set_state", _args("i", "1", DESTS[3]))
    for _ in range(2):
        run(s, request())                # advance round-robin to index 2
    msg, rc = run(s, request())
    assert rc == 1 and msg.dst_uri == DESTS[2]
    avps = get_avp_list()
    # newest first: the selected one, then the next ones after it, wrapping
    assert avps.search_all(271) == [DESTS[2], DESTS[4], DESTS[0], DESTS[1]]
    assert avps.search(272) == 1 and avps.search(273) == 4


def test_failover_avps_with_use_default(env, dlist):
    s = load(env, dlist, SEL % 0, params=FAILOVER + [("use_default", 1)])
    cid = next(c for c in CALLIDS if c_ds_hash(c) % 4 == 1)
    msg, rc = run(s, request(callid=cid))
    assert msg.dst_uri == DESTS[1]
    assert get_avp_list().search_all(271) == [
        DESTS[1], DESTS[2], DESTS[3], DESTS[0], DESTS[4]]


def test_is_from_list(env, dlist):
    s = load(env, dlist, 'if (ds_is_from_list()) $avp(s:rc) = 1; '
             'if (ds_is_from_list("2")) $avp(s:rc) = 2;')
    assert run(s, request(), src=("127.0.0.1", 5073))[1] == 1
    assert run(s, request(), src=("127.0.0.1", 5070))[1] is None
    assert run(s, request(), src=("127.0.0.3", 5060))[1] == 2
    assert run(s, request(), src=("127.0.0.2", 5061))[1] is None


def test_mark_dst_in_failure_route_functions(env, dlist):
    from openser_py.core.exports import FAILURE_ROUTE
    from openser_py.core.scriptrun import SendRecorder, make_msg, run_route
    s = load(env, dlist, SEL % 4, params=FAILOVER +
             [("ds_probing_threshhold", 2)],
             extra_routes='failure_route[1] { ds_mark_dst("p"); }\n'
                          'failure_route[2] { ds_mark_dst(); }\n'
                          'failure_route[3] { ds_mark_dst("a"); }\n')
    msg = make_msg(request())
    with SendRecorder():
        run_route(s, msg)
        assert msg.dst_uri == DESTS[0]
        run_route(s, msg, FAILURE_ROUTE, 1, new_message=False)
        assert _states()[DESTS[0]] == "A"           # threshold 2
        run_route(s, msg, FAILURE_ROUTE, 1, new_message=False)
        assert _states()[DESTS[0]] == "P"
        run_route(s, msg, FAILURE_ROUTE, 2, new_message=False)
        assert _states()[DESTS[0]] == "I"
        run_route(s, msg, FAILURE_ROUTE, 3, new_message=False)
        assert _states()[DESTS[0]] == "A"


def _args(*vals):
    from openser_py.mi.tree import MiNode
    return [MiNode("", v) for v in vals]


def _states():
    rpl = run_mi_cmd("ds_list", [])
    return {n.value: dict(n.attrs)["flag"] for _d, n in rpl.walk()
            if n.name == "URI"}


def test_mi_ds_list_and_set_state_errors(env, dlist):
    load(env, dlist, SEL % 0)
    rpl = run_mi_cmd("ds_list", [])
    assert [(n.name, n.value) for n in rpl.kids] == [
        ("SET_NO", "2"), ("SET", "2"), ("SET", "1")]
    assert [(k.value, k.attrs) for k in rpl.kids[2].kids] == [
        (d, [("flag", "A")]) for d in DESTS]
    assert run_mi_cmd("ds_set_state", _args("i", "1")).code == 400
    assert (run_mi_cmd("ds_set_state", _args("i", "x", DESTS[0])).reason
            == "bad group value")
    r = run_mi_cmd("ds_set_state", _args("i", "1", "sip:nowhere"))
    assert (r.code, r.reason) == (404, "destination not found")
    r = run_mi_cmd("ds_set_state", _args("i", "1", DESTS[1].upper()))
    assert r.code == 200 and _states()[DESTS[1]] == "I"
