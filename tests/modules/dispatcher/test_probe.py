"""Probing: OPTIONS through tm's local UAC, replies and timeouts change
the state (in-process harness with a fake clock)."""
from openser_py.core.scriptrun import SendRecorder
from openser_py.mi.mi import run_mi_cmd
from openser_py.mi.tree import MiNode
from openser_py.modules.dispatcher import ds_probe
from tests.modules.dispatcher.dsutil import write_list
from tests.modules.tm.proxy_util import first_line, header, reply_to

GWS = [("127.0.0.21", 5060), ("127.0.0.22", 5070)]
URIS = ["sip:%s:%d" % g for g in GWS]


def _params(path, mode=0, threshold=3):
    return ('loadmodule "dispatcher.so"\n'
            'modparam("dispatcher", "list_file", "%s")\n'
            'modparam("dispatcher", "ds_ping_interval", 5)\n'
            'modparam("dispatcher", "ds_ping_from", "sip:lb@proxy.test")\n'
            'modparam("dispatcher", "ds_probing_mode", %d)\n'
            'modparam("dispatcher", "ds_probing_threshhold", %d)\n'
            % (path, mode, threshold))


def _states():
    rpl = run_mi_cmd("ds_list", [])
    return [dict(n.attrs)["flag"] for _d, n in rpl.walk() if n.name == "URI"]


def _probe():
    with SendRecorder() as rec:
        ds_probe.ds_check_timer(0, None)
    return [s for s in rec.sent if first_line(s[3]).startswith("OPTIONS")]


def test_probing_destinations_come_back_when_they_answer(proxy_factory,
                                                         tmp_path):
    p = proxy_factory('route { sl_send_reply("404", "x"); }\n',
                      _params(write_list(tmp_path, ["1 " + u for u in URIS])))
    assert _probe() == []                       # mode 0: nothing probing
    for u in URIS:
        assert run_mi_cmd("ds_set_state", [MiNode("", "p"), MiNode("", "1"),
                                           MiNode("", u)]).code == 200
    assert _states() == ["P", "P"]
    sent = _probe()
    assert [(s[1], s[2]) for s in sent] == GWS
    req = sent[0][3]
    assert first_line(req) == "OPTIONS %s SIP/2.0" % URIS[0]
    assert header(req, "From")[0].startswith("<sip:lb@proxy.test>;tag=")
    assert header(req, "To") == ["<%s>" % URIS[0]]
    p.uas(reply_to(req, 200, "OK"), GWS[0])
    assert _states() == ["A", "P"]
    p.uas(reply_to(sent[1][3], 404, "Not Here"), GWS[1])
    assert _states() == ["A", "P"]
    sent = _probe()                             # only the probing one now
    assert [(s[1], s[2]) for s in sent] == [GWS[1]]
    p.uas(reply_to(sent[0][3], 501, "Not Implemented"), GWS[1])
    assert _states() == ["A", "A"]


def test_mode_1_silent_destination_goes_to_probing(proxy_factory, tmp_path):
    p = proxy_factory('route { sl_send_reply("404", "x"); }\n',
                      _params(write_list(tmp_path, ["1 " + u for u in URIS]),
                              mode=1, threshold=2))
    for rnd in range(2):
        sent = _probe()
        assert [(s[1], s[2]) for s in sent] == GWS
        p.uas(reply_to(sent[0][3], 200, "OK"), GWS[0])
        p.advance(33)                           # FR timer: a faked 408
        assert _states() == (["A", "A"] if rnd == 0 else ["A", "P"])
    sent = _probe()                             # the dead one comes back
    p.uas(reply_to(sent[1][3], 403, "Forbidden"), GWS[1])
    assert _states() == ["A", "A"]
