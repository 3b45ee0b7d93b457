"""Reply processing: relay, ACK of negative replies, failure_route serial
forking, parallel forking, onreply_route, non-INVITE, statistics."""
from tests.modules.tm.proxy_util import (UAC, first_line, header, reply_to,
                                         request)

FAILOVER = ('route { t_on_failure("1"); t_relay(); }\n'
            'failure_route[1] { if (t_check_status("486")) { '
            'append_branch("sip:carol@10.0.0.3"); t_relay(); } }\n')


def _invites(sent):
    return [s for s in sent if first_line(s[3]).startswith("INVITE")]


def test_180_and_200_are_relayed_with_our_via_stripped(proxy_factory):
    p = proxy_factory()
    fwd = p.uac(request())[1][3]
    sent = p.uas(reply_to(fwd, 180, "Ringing"))
    assert [(s[1], s[2]) for s in sent] == [UAC]
    assert first_line(sent[0][3]) == "SIP/2.0 180 Ringing"
    assert header(sent[0][3], "Via") == [
        "SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKabc123"]
    sent = p.uas(reply_to(fwd, 200, "OK"))
    assert first_line(sent[0][3]) == "SIP/2.0 200 OK"
    assert len(header(sent[0][3], "Via")) == 1
    assert p.stat("received_replies") == 2
    assert p.stat("relayed_replies") == 2
    assert p.stat("2xx_transactions") == 1
    # a retransmitted 200 is relayed again (pushed after completion)
    again = p.uas(reply_to(fwd, 200, "OK"))
    assert first_line(again[0][3]) == "SIP/2.0 200 OK"
    assert p.stat("2xx_transactions") == 1


def test_100_is_absorbed(proxy_factory):
    p = proxy_factory()
    fwd = p.uac(request())[1][3]
    assert p.uas(reply_to(fwd, 100, "Trying")) == []


def test_486_acked_then_failure_route_forks_serially(proxy_factory):
    p = proxy_factory(FAILOVER)
    fwd = p.uac(request())[1][3]
    sent = p.uas(reply_to(fwd, 486, "Busy Here"))
    ack = [s for s in sent if first_line(s[3]).startswith("ACK")]
    assert len(ack) == 1 and ack[0][1] == "10.0.0.2"
    assert header(ack[0][3], "Via") == header(fwd, "Via")[:1]
    assert header(ack[0][3], "To") == ["<sip:bob@example.com>;tag=b2"]
    assert header(ack[0][3], "CSeq") == ["7 ACK"]
    second = _invites(sent)
    assert len(second) == 1 and second[0][1] == "10.0.0.3"
    assert first_line(second[0][3]) == "INVITE sip:carol@10.0.0.3 SIP/2.0"
    assert header(second[0][3], "Via")[0].endswith(".1")
    assert not [s for s in sent if s[1] == UAC[0]]     # nothing upstream
    ok = p.uas(reply_to(second[0][3], 200, "OK"), ("10.0.0.3", 5060))
    assert [first_line(s[3]) for s in ok] == ["SIP/2.0 200 OK"]


def test_failure_route_without_new_branch_relays_best_reply(proxy_factory):
    p = proxy_factory(FAILOVER)
    fwd = p.uac(request())[1][3]
    sent = p.uas(reply_to(fwd, 404, "Not Found"))
    up = [s for s in sent if s[1] == UAC[0]]
    assert [first_line(s[3]) for s in up] == ["SIP/2.0 404 Not Found"]
    assert p.stat("4xx_transactions") == 1
    # the negative reply is retransmitted until the ACK
    assert [first_line(s[3]) for s in p.advance(0.55)] == [
        "SIP/2.0 404 Not Found"]
    assert p.uac(request("ACK", to_tag="b2")) == []      # absorbed
    assert p.advance(3) == []
    p.advance(3)
    assert p.inuse() == 0


def test_parallel_fork_200_cancels_the_other_branch(proxy_factory):
    p = proxy_factory('route { append_branch("sip:carol@10.0.0.3"); '
                      't_relay(); }\n')
    inv = _invites(p.uac(request()))
    assert [s[1] for s in inv] == ["10.0.0.2", "10.0.0.3"]
    p.uas(reply_to(inv[0][3], 180, "Ringing"))
    p.uas(reply_to(inv[1][3], 180, "Ringing", to_tag="c3"),
          ("10.0.0.3", 5060))
    sent = p.uas(reply_to(inv[0][3], 200, "OK"))
    assert first_line(sent[0][3]) == "SIP/2.0 200 OK" and sent[0][1] == UAC[0]
    cancel = [s for s in sent if first_line(s[3]).startswith("CANCEL")]
    assert len(cancel) == 1 and cancel[0][1] == "10.0.0.3"
    assert first_line(cancel[0][3]) == "CANCEL sip:carol@10.0.0.3 SIP/2.0"
    assert header(cancel[0][3], "Via") == header(inv[1][3], "Via")[:1]
    assert header(cancel[0][3], "CSeq") == ["7 CANCEL"]
    # the 487 of the cancelled branch is acked and not relayed
    late = p.uas(reply_to(inv[1][3], 487, "Request Terminated", "c3"),
                 ("10.0.0.3", 5060))
    assert [first_line(s[3])[:3] for s in late] == ["ACK"]


def test_onreply_route_runs_and_drop_discards_provisional(proxy_factory):
    p = proxy_factory('route { t_on_reply("1"); setflag(3); t_relay(); }\n'
                      'onreply_route[1] { if (status == "183") drop; '
                      'if (isflagset(3) && t_check_status("180")) '
                      'append_hf("X-Seen: yes\\r\\n"); }\n')
    fwd = p.uac(request())[1][3]
    assert p.uas(reply_to(fwd, 183, "Session Progress")) == []
    sent = p.uas(reply_to(fwd, 180, "Ringing"))
    assert header(sent[0][3], "X-Seen") == ["yes"]


def test_non_invite_transaction(proxy_factory):
    p = proxy_factory()
    sent = p.uac(request("BYE", to_tag="b2", cseq=8))
    assert len(sent) == 1
    fwd = sent[0][3]
    ok = p.uas(reply_to(fwd, 200, "OK"))
    assert [first_line(s[3]) for s in ok] == ["SIP/2.0 200 OK"]
    # no ACK for a non-INVITE, no retransmission of the request any more
    assert p.advance(1.0) == []
    p.advance(5)
    assert p.inuse() == 0


def test_reply_not_ours_is_forwarded_statelessly(proxy_factory):
    p = proxy_factory()
    data = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\n"
            b"Via: SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKabc\r\n"
            b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
            b"Call-ID: zz\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
    sent = p.uas(data)
    assert len(sent) == 1 and sent[0][1] == "192.0.2.99"
    assert p.stat("received_replies") == 0
