"""CANCEL: 200 canceling, CANCEL downstream for branches with a provisional,
faked 487 for silent ones, 487 upstream, t_was_cancelled."""
from tests.modules.tm.proxy_util import (UAC, first_line, header, reply_to,
                                         request)

ROUTES = ('route { if (method == CANCEL) { if (t_check_trans()) t_relay(); '
          'exit; } t_on_failure("1"); t_relay(); }\n'
          'failure_route[1] { if (t_was_cancelled()) { '
          'xlog("L_INFO", "cancelled\\n"); exit; } }\n')


def test_cancel_during_ringing(proxy_factory):
    p = proxy_factory(ROUTES)
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    sent = p.uac(request("CANCEL"))
    lines = [(s[1], first_line(s[3])) for s in sent]
    assert lines == [(UAC[0], "SIP/2.0 200 canceling"),
                     ("10.0.0.2", "CANCEL sip:bob@10.0.0.2 SIP/2.0")]
    assert header(sent[1][3], "Via") == header(fwd, "Via")[:1]
    assert header(sent[1][3], "To") == ["<sip:bob@example.com>"]
    # the CANCEL is retransmitted until its reply
    assert [first_line(s[3])[:6] for s in p.advance(0.55)] == ["CANCEL"]
    p.uas(reply_to(sent[1][3], 200, "canceling"))
    assert p.advance(2) == []
    # the INVITE's 487 is acked downstream and relayed upstream
    out = p.uas(reply_to(fwd, 487, "Request Terminated"))
    lines = [(s[1], first_line(s[3])) for s in out]
    assert ("10.0.0.2", "ACK sip:bob@10.0.0.2 SIP/2.0") in lines
    assert (UAC[0], "SIP/2.0 487 Request Terminated") in lines
    # retransmitted CANCEL: the 200 again
    again = p.uac(request("CANCEL"))
    assert [first_line(s[3]) for s in again] == ["SIP/2.0 200 canceling"]


def test_cancel_before_any_reply_fakes_487(proxy_factory):
    p = proxy_factory(ROUTES)
    fwd = p.uac(request())[1][3]
    sent = p.uac(request("CANCEL"))
    lines = [(s[1], first_line(s[3])) for s in sent]
    assert lines[0] == (UAC[0], "SIP/2.0 200 canceling")
    assert (UAC[0], "SIP/2.0 487 Request Terminated") in lines
    assert not [x for x in lines if x[1].startswith("CANCEL")]
    # a late 180 on that branch is cancelled then
    late = p.uas(reply_to(fwd, 180, "Ringing"))
    assert [first_line(s[3])[:6] for s in late] == ["CANCEL"]


def test_cancel_without_transaction_is_relayed(proxy_factory):
    p = proxy_factory('route { t_relay(); }\n')
    sent = p.uac(request("CANCEL"))
    assert [first_line(s[3]) for s in sent] == [
        "CANCEL sip:bob@10.0.0.2 SIP/2.0"]


def test_no_new_branches_after_cancel(proxy_factory):
    p = proxy_factory(ROUTES.replace(
        'xlog("L_INFO", "cancelled\\n"); exit;',
        'append_branch("sip:x@10.0.0.9"); if (!t_relay()) '
        't_reply("487", "Gone");'))
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    p.uac(request("CANCEL"))
    out = p.uas(reply_to(fwd, 487, "Request Terminated"))
    assert not [s for s in out if s[1] == "10.0.0.9"]
    assert [first_line(s[3]) for s in out if s[1] == UAC[0]] == [
        "SIP/2.0 487 Gone"]


def test_branch_added_after_the_2xx_is_cancelled_at_its_1xx(proxy_factory):
    """Parallel forking race: a 2xx of branch 0 is relayed while the same
    t_relay still adds branch 1 (OpenSER adds all branches before sending
    any, so branch 1 would be cancelled): it goes out and its first
    provisional reply gets a CANCEL."""
    from openser_py.core import dset
    from openser_py.core.ip_addr import PROTO_UDP, ReceiveInfo
    from openser_py.core.scriptrun import SendRecorder
    from openser_py.modules.tm import t_fwd
    from openser_py.modules.tm.t_state import bind, rt
    from openser_py.parser.msg import parse_msg
    p = proxy_factory('route { t_relay(); }\n')
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 200, "OK"))
    (t,) = [(b, lb) for b, (cur, _x) in enumerate(rt.table.bucket_stats())
            if cur for lb in rt.table.labels(b)]
    m = parse_msg(request())
    m.rcv = ReceiveInfo(UAC[0], UAC[1], "127.0.0.1", 5060, PROTO_UDP, p.sock)
    bind(m, t)
    dset.append_branch(m, "sip:late@10.0.0.9")
    with SendRecorder() as rec:
        assert t_fwd.forward_branches(m, t) == 1
    (late,) = [s[3] for s in rec.sent if s[1] == "10.0.0.9"]
    out = p.uas(reply_to(late, 180, "Ringing"), src=("10.0.0.9", 5060))
    assert [(s[1], first_line(s[3])) for s in out] == [
        ("10.0.0.9", "CANCEL sip:late@10.0.0.9 SIP/2.0")]
