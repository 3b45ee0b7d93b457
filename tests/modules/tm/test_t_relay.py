"""t_relay: transaction creation, 100 Giving a try, our Via, retransmissions,
branches (R-URI + dset, branch_route), ACK handling, errors."""
from tests.modules.tm.proxy_util import (UAC, first_line, header, reply_to,
                                         request)

BASIC = 'route { t_relay(); }\n'


def test_invite_gets_100_and_is_forwarded_with_our_via(proxy_factory):
    p = proxy_factory()
    sent = p.uac(request())
    assert [(s[1], s[2]) for s in sent] == [UAC, ("10.0.0.2", 5060)]
    trying = sent[0][3]
    assert first_line(trying) == "SIP/2.0 100 Giving a try"
    assert header(trying, "To") == ["<sip:bob@example.com>"]     # no tag
    fwd = sent[1][3]
    assert first_line(fwd) == "INVITE sip:bob@10.0.0.2 SIP/2.0"
    vias = header(fwd, "Via")
    assert vias[0].startswith("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK")
    assert vias[0].endswith(".0")                   # branch number 0
    assert vias[1] == "SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKabc123"
    assert p.stat("UAS_transactions") == 1
    assert p.inuse() == 1


def test_retransmitted_invite_is_absorbed_and_last_reply_resent(
        proxy_factory):
    p = proxy_factory()
    first = p.uac(request())
    again = p.uac(request())
    assert len(again) == 1 and again[0][3] == first[0][3]    # the 100 again
    assert p.stat("UAS_transactions") == 1
    # after a 180 the 180 is what a retransmission gets
    p.uas(reply_to(first[1][3], 180, "Ringing"))
    again = p.uac(request())
    assert first_line(again[0][3]) == "SIP/2.0 180 Ringing"


def test_non_invite_gets_no_100(proxy_factory):
    p = proxy_factory()
    sent = p.uac(request("OPTIONS"))
    assert len(sent) == 1 and first_line(sent[0][3]).startswith("OPTIONS")


def test_flag_0x01_suppresses_the_100(proxy_factory):
    p = proxy_factory('route { t_relay("0x01"); }\n')
    sent = p.uac(request())
    assert [first_line(s[3])[:6] for s in sent] == ["INVITE"]


def test_fixed_destination(proxy_factory):
    p = proxy_factory('route { t_relay("udp:10.9.9.9:5070"); }\n')
    sent = p.uac(request())
    assert (sent[1][1], sent[1][2]) == ("10.9.9.9", 5070)
    assert first_line(sent[1][3]) == "INVITE sip:bob@10.0.0.2 SIP/2.0"


def test_parallel_branches_and_branch_route(proxy_factory):
    p = proxy_factory(
        'route { append_branch("sip:carol@10.0.0.3"); '
        'append_branch("sip:dave@10.0.0.4"); t_on_branch("1"); t_relay(); }\n'
        'branch_route[1] { if ($ru =~ "carol") drop; '
        'append_hf("X-Idx: $T_branch_idx\\r\\n"); }\n')
    sent = p.uac(request())
    fwd = [s for s in sent if first_line(s[3]).startswith("INVITE")]
    assert [s[1] for s in fwd] == ["10.0.0.2", "10.0.0.4"]
    assert header(fwd[0][3], "X-Idx") == ["1"]
    assert header(fwd[1][3], "X-Idx") == ["2"]      # lumps per branch only
    assert header(fwd[1][3], "Via")[0].endswith(".1")


def test_unresolvable_destination_gets_476(proxy_factory):
    p = proxy_factory('route { $du = "sip:no.such.host.invalid"; '
                      'if (!t_relay()) xlog("L_ERR", "failed\\n"); }\n')
    sent = p.uac(request("OPTIONS"))
    assert [first_line(s[3]) for s in sent] == [
        "SIP/2.0 476 Unresolvable destination (476/TM)"]
    assert p.stat("local_replies") == 1
    assert p.stat("4xx_transactions") == 1


def test_ack_without_transaction_is_relayed_statelessly(proxy_factory):
    p = proxy_factory()
    sent = p.uac(request("ACK", to_tag="x"))
    assert len(sent) == 1 and first_line(sent[0][3]).startswith("ACK")
    assert p.inuse() == 0


def test_e2e_ack_of_proxied_2xx_is_relayed(proxy_factory):
    p = proxy_factory()
    fwd = p.uac(request())[1][3]
    ok = p.uas(reply_to(fwd, 200, "OK"))
    assert first_line(ok[0][3]) == "SIP/2.0 200 OK"
    ack = p.uac(request("ACK", to_tag="b2", branch="z9hG4bKack1"))
    assert len(ack) == 1 and (ack[0][1], ack[0][2]) == ("10.0.0.2", 5060)
    assert first_line(ack[0][3]) == "ACK sip:bob@10.0.0.2 SIP/2.0"


def test_t_newtran_t_reply_and_retransmission(proxy_factory):
    p = proxy_factory('route { if (!t_newtran()) exit; '
                      't_reply("404", "Not Here"); }\n')
    sent = p.uac(request("OPTIONS"))
    assert first_line(sent[0][3]) == "SIP/2.0 404 Not Here"
    assert header(sent[0][3], "To")[0].startswith(
        "<sip:bob@example.com>;tag=")
    again = p.uac(request("OPTIONS"))
    assert again[0][3] == sent[0][3]
    assert p.stat("local_replies") == 1


def test_t_check_trans(proxy_factory):
    p = proxy_factory('route { if (t_check_trans()) { '
                      'xlog("L_INFO", "known\\n"); exit; } t_relay(); }\n')
    p.uac(request("OPTIONS"))
    again = p.uac(request("OPTIONS"))
    assert again == []                      # nothing sent yet upstream
    assert p.stat("UAS_transactions") == 1


def test_release_and_wait_timer_delete(proxy_factory):
    p = proxy_factory('route { t_newtran(); t_release(); }\n')
    p.uac(request("OPTIONS"))
    assert p.inuse() == 1
    p.advance(5.1)
    assert p.inuse() == 0
