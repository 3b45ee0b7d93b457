"""Serial failover with tm: ds_select_dst + t_relay, then ds_mark_dst and
ds_next_dst in the failure route (in-process tm harness)."""
from openser_py.mi.mi import run_mi_cmd
from tests.modules.dispatcher.dsutil import write_list
from tests.modules.tm.proxy_util import first_line, reply_to, request

ROUTES = ('route { if (!ds_select_dst("1", "4")) { sl_send_reply("503", '
          '"No dst"); exit; } t_on_failure("1"); t_relay(); }\n'
          'failure_route[1] { if (t_check_status("408|5[0-9][0-9]")) { '
          'ds_mark_dst("i"); if (ds_next_dst()) { t_on_failure("1"); '
          't_relay(); exit; } } }\n')
GWS = [("127.0.0.11", 5060), ("127.0.0.12", 5070), ("127.0.0.13", 5080)]


def _params(path):
    return ('loadmodule "dispatcher.so"\n'
            'modparam("dispatcher", "list_file", "%s")\n'
            'modparam("dispatcher", "flags", 2)\n'
            'modparam("dispatcher", "dst_avp", "$avp(i:271)")\n'
            'modparam("dispatcher", "grp_avp", "$avp(i:272)")\n'
            'modparam("dispatcher", "cnt_avp", "$avp(i:273)")\n' % path)


def _invites(sent):
    return [s for s in sent if first_line(s[3]).startswith("INVITE")]


def _states():
    rpl = run_mi_cmd("ds_list", [])
    return [dict(n.attrs)["flag"] for _d, n in rpl.walk() if n.name == "URI"]


def test_failover_walks_the_set_and_marks_failed(proxy_factory, tmp_path):
    path = write_list(tmp_path, ["1 sip:%s:%d" % g for g in GWS])
    p = proxy_factory(ROUTES, _params(path))
    inv = _invites(p.uac(request()))
    assert [(s[1], s[2]) for s in inv] == [GWS[0]]
    sent = p.uas(reply_to(inv[0][3], 503, "Unavailable"), GWS[0])
    inv = _invites(sent)
    assert [(s[1], s[2]) for s in inv] == [GWS[1]]   # next in failover order
    assert _states() == ["I", "A", "A"]
    sent = p.uas(reply_to(inv[0][3], 500, "Error"), GWS[1])
    inv = _invites(sent)
    assert [(s[1], s[2]) for s in inv] == [GWS[2]]
    assert _states() == ["I", "I", "A"]
    ok = p.uas(reply_to(inv[0][3], 200, "OK"), GWS[2])
    assert [first_line(s[3]) for s in ok] == ["SIP/2.0 200 OK"]
    # a new call skips the inactive gateways
    inv = _invites(p.uac(request(callid="c2@x", branch="z9hG4bKc2")))
    assert [(s[1], s[2]) for s in inv] == [GWS[2]]


def test_failover_timeout_then_all_failed(proxy_factory, tmp_path):
    path = write_list(tmp_path, ["1 sip:%s:%d" % g for g in GWS[:2]])
    p = proxy_factory(ROUTES, _params(path))
    inv = _invites(p.uac(request()))
    assert (inv[0][1], inv[0][2]) == GWS[0]
    sent = p.advance(31)                           # fr_timer: 408
    inv = _invites(sent)
    assert (inv[-1][1], inv[-1][2]) == GWS[1]
    sent = p.uas(reply_to(inv[-1][3], 503, "Unavailable"), GWS[1])
    up = [first_line(s[3]) for s in sent if s[1] == "192.0.2.99"]
    assert up == ["SIP/2.0 408 Request Timeout"]  # best of 408, 503
    assert _states() == ["I", "I"]
    rpl = p.uac(request(callid="c3@x", branch="z9hG4bKc3"))
    assert [first_line(s[3]) for s in rpl] == ["SIP/2.0 503 No dst"]
