"""lookup()/registered()/add_sock_hdr(): return codes, R-URI, branches, $du."""
import time

from openser_py.core import dset
from openser_py.core import flags as msgflags
from tests.modules.registrar.reg_util import invite, load, register, run

ROUTE = '''
if (method == "REGISTER") { save("location"); exit; }
lookup("location");
$var(rc) = $retcode;
'''


def test_lookup_codes_and_rewrite(monkeypatch):
    s = load('''
if (method == "REGISTER") { save("location"); exit; }
lookup("location");
switch ($retcode) {
  case 1: sl_send_reply("201", "Found $ru $du"); break;
  case -1: sl_send_reply("404", "Not Found"); break;
  case -2: sl_send_reply("405", "Method Not Allowed"); break;
  default: sl_send_reply("500", "Error");
}''', reg_params={"method_filtering": 1})
    _, sent, _ = run(s, invite())
    assert sent[0][3].startswith(b"SIP/2.0 404 Not Found")
    run(s, register(contacts=('<sip:alice@192.0.2.10:5062>;methods="INVITE"',)))
    _, sent, _ = run(s, invite())
    assert sent[0][3].startswith(
        b"SIP/2.0 201 Found sip:alice@192.0.2.10:5062 <null>")
    _, sent, _ = run(s, invite(method="MESSAGE"))
    assert sent[0][3].startswith(b"SIP/2.0 405")
    # expired (an hour and more later): not found
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    _, sent, _ = run(s, invite())
    assert sent[0][3].startswith(b"SIP/2.0 404")


def test_lookup_branches_by_q_with_received_flags_and_q():
    s = load('''
if (method == "REGISTER") {
  if ($ct =~ "10\\.0\\.0\\.2") { setbflag(5); $avp(i:9) = "sip:198.51.100.2:5099"; }
  save("location"); exit;
}
lookup("location");
''', reg_params={"received_avp": "$avp(i:9)"})
    run(s, register(contacts=("<sip:alice@10.0.0.1>;q=0.1",), callid="c1"))
    run(s, register(contacts=("<sip:alice@10.0.0.2>;q=0.9",), callid="c2"))
    run(s, register(contacts=("<sip:alice@10.0.0.3>;q=0.5",), callid="c3"))
    msg, _, _ = run(s, invite())
    assert msg.new_uri == "sip:alice@10.0.0.2"
    assert msg.dst_uri == "sip:198.51.100.2:5099"
    assert dset.get_ruri_q() == 900
    assert msgflags.getb0flags(msg) == 1 << 5
    brs = dset.get_branches()
    assert [(b.uri, b.q) for b in brs] == [("sip:alice@10.0.0.3", 500),
                                          ("sip:alice@10.0.0.1", 100)]
    assert brs[0].dst_uri is None and brs[0].flags == 0


def test_append_branches_off():
    s = load(ROUTE, reg_params={"append_branches": 0})
    run(s, register(contacts=("<sip:alice@10.0.0.1>", "<sip:alice@10.0.0.2>")))
    msg, _, _ = run(s, invite())
    assert msg.new_uri == "sip:alice@10.0.0.1" and dset.get_branches() == []


def test_lookup_with_path_sets_du_and_path_vector():
    s = load(ROUTE, reg_params={"use_path": 1, "path_mode": 0})
    run(s, register(extra="Path: <sip:edge1.example.com;lr>, <sip:edge2;lr>"))
    msg, _, _ = run(s, invite())
    assert msg.dst_uri == "sip:edge1.example.com;lr"
    assert msg.path_vec == "<sip:edge1.example.com;lr>, <sip:edge2;lr>"


def test_registered_does_not_change_the_request():
    s = load('''
if (method == "REGISTER") { save("location"); exit; }
if (registered("location")) { sl_send_reply("200", "Yes $ru"); exit; }
sl_send_reply("404", "No");''')
    _, sent, _ = run(s, invite())
    assert sent[0][3].startswith(b"SIP/2.0 404 No")
    run(s, register())
    _, sent, _ = run(s, invite())
    assert sent[0][3].startswith(b"SIP/2.0 200 Yes sip:alice@example.com")


def test_lookup_aor_is_case_insensitive_by_default():
    s = load(ROUTE)
    run(s, register(user="Alice"))
    msg, _, _ = run(s, invite(ruri="sip:ALICE@example.com"))
    assert msg.new_uri == "sip:alice@192.0.2.10:5060"


def test_add_sock_hdr():
    s = load('add_sock_hdr("X-Sock"); forward("udp:127.0.0.1:5090");')
    _, sent, _ = run(s, invite())
    assert b"\r\nX-Sock: udp:127.0.0.1:5060\r\n" in sent[0][3]
