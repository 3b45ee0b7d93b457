"""Core actions: URI rewriting, flags, branches, serial forking, blacklists."""
import pytest

from openser_py.core import dset, flags
from openser_py.core.cfgload import load_config
from openser_py.core.errors import E_IP_BLOCKED
from openser_py.core.script_state import state
from openser_py.core.scriptrun import SendRecorder, load_script, make_msg, run_route

REQ = (b"INVITE sip:alice:secret@example.com:5070;transport=udp SIP/2.0\r\n"
       b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
       b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n"
       b"Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")


def run_body(body, extra="listen=udp:127.0.0.1:5060\n"):
    script = load_script(extra + "route {\n%s\n}\n" % body)
    msg = make_msg(REQ)
    with SendRecorder() as rec:
        run_route(script, msg)
    return msg, rec.sent


@pytest.mark.parametrize("action,uri", [
    ('rewriteuri("sip:x@y")', "sip:x@y"),
    ('rewritehost("h.example")', "sip:alice:secret@h.example:5070;transport=udp"),
    ('sethostport("h.example:9")', "sip:alice:secret@h.example:9;transport=udp"),
    ('rewriteuser("bob")', "sip:bob:secret@example.com:5070;transport=udp"),
    ('rewriteuserpass("bob")', "sip:bob@example.com:5070;transport=udp"),
    ('setport("7000")', "sip:alice:secret@example.com:7000;transport=udp"),
    ('prefix("00")', "sip:00alice:secret@example.com:5070;transport=udp"),
    ('strip(2)', "sip:ice:secret@example.com:5070;transport=udp"),
    ('strip_tail(2)', "sip:ali:secret@example.com:5070;transport=udp"),
    ('rewriteuser("bob"); revert_uri()', None),
    ('rewritehost("$fd")', "sip:alice:secret@example.com:5070;transport=udp"),
])
def test_ruri_rewrites(action, uri):
    msg, _ = run_body(action + ";")
    assert msg.new_uri == uri


def test_flags_and_dst_uri():
    msg, _ = run_body('setflag(3); setflag(5); resetflag(3); '
                      'setdsturi("sip:127.0.0.1:5099"); '
                      'if (isflagset(5) && !isflagset(3) && isdsturiset()) '
                      '{ setbflag(2); }')
    assert msg.flags == 1 << 5
    assert msg.dst_uri == "sip:127.0.0.1:5099"
    assert flags.getb0flags(msg) == 1 << 2


def test_append_branch_forms():
    msg, _ = run_body('setdsturi("sip:127.0.0.1:9"); append_branch(); '
                      'append_branch("sip:b@x", "0.3");')
    brs = dset.get_branches()
    assert [(b.uri, b.dst_uri, b.q) for b in brs] == [
        ("sip:alice:secret@example.com:5070;transport=udp",
         "sip:127.0.0.1:9", dset.Q_UNSPECIFIED),
        ("sip:b@x", None, 300)]
    assert msg.dst_uri is None        # append_branch() resets $du


def test_serialize_and_next_branches():
    msg, _ = run_body('append_branch("sip:a@x", "0.5"); '
                      'append_branch("sip:b@x", "0.5"); '
                      'append_branch("sip:c@x", "0.1"); serialize_branches(1);')
    # R-URI (q unspecified = 1.0) alone first
    assert [b.uri for b in dset.get_branches()] == []
    assert msg.new_uri is not None and msg.new_uri.startswith("sip:alice")
    from openser_py.core.serialize import next_branches
    assert next_branches(msg) == 1
    assert msg.new_uri == "sip:a@x"
    assert [b.uri for b in dset.get_branches()] == ["sip:b@x"]
    assert next_branches(msg) == 1 and msg.new_uri == "sip:c@x"
    assert next_branches(msg) == -1


def test_blacklist_blocks_forward():
    extra = ('listen=udp:127.0.0.1:5060\n'
             'dst_blacklist = bad:{ (udp, 10.0.0.0/8, 0, "private"), '
             '!(any, 127.0.0.0/8, 0, "only loopback") }\n')
    msg, sent = run_body('use_blacklist("bad"); rewritehostport("10.1.1.1"); '
                         'forward();', extra)
    assert sent == [] and state.retcode == E_IP_BLOCKED
    msg, sent = run_body('use_blacklist("bad"); '
                         'rewritehostport("127.0.0.1:5099"); forward();', extra)
    assert len(sent) == 1 and sent[0][1:3] == ("127.0.0.1", 5099)


def test_unknown_blacklist_is_a_config_error(tmp_path):
    s = load_config(str(tmp_path / "x.cfg"), check=True,
                    text='route { use_blacklist("nope"); }\n')
    assert "no dst_blacklist named 'nope'" in s.errors[0].message


def test_log_levels_and_pv_printf():
    msg, _ = run_body('pv_printf($avp(s:x), "$rm to $rU"); '
                      '$var(v) = $avp(s:x);')
    assert state.vars["v"] == "INVITE to alice"
