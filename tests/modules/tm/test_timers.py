"""tm timers in the timer process: retransmissions, FR expiry -> 408 and
failure_route, silent drop, wait/delete (driven with an injected clock)."""
from tests.modules.tm.proxy_util import (UAC, first_line, header, reply_to,
                                         request)

SHORT = ('modparam("tm", "fr_timer", 2)\n'
         'modparam("tm", "fr_inv_timer", 4)\n')


def _times(p, seconds):
    """(time offset, first line) of everything the timers sent."""
    start, out = p.clock, []
    while p.clock - start < seconds:
        for s in p.advance(0.05):
            out.append((round(p.clock - start, 2), first_line(s[3])))
    return out


def test_udp_retransmissions_double_to_t2_until_a_reply(proxy_factory):
    p = proxy_factory()
    p.uac(request("OPTIONS"))
    times = [t for t, _ in _times(p, 12)]
    assert times == [0.5, 1.5, 3.5, 7.5, 11.5]          # T1, 2T1, 4T1, T2
    fwd = p.uac(request("OPTIONS"))                      # absorbed
    assert fwd == []


def test_invite_retransmission_stops_on_provisional(proxy_factory):
    p = proxy_factory()
    fwd = p.uac(request())[1][3]
    assert [t for t, _ in _times(p, 1.6)] == [0.5, 1.5]
    p.uas(reply_to(fwd, 180, "Ringing"))
    assert _times(p, 5) == []


def test_non_invite_provisional_switches_to_t2(proxy_factory):
    p = proxy_factory()
    fwd = p.uac(request("OPTIONS"))[0][3]
    p.uas(reply_to(fwd, 180, "Trying more"))
    times = [t for t, _ in _times(p, 9)]
    assert times == [0.5, 4.5, 8.5]


def test_no_answer_gives_408_and_failure_route_sees_it(proxy_factory):
    p = proxy_factory(
        'route { t_on_failure("1"); t_relay(); }\n'
        'failure_route[1] { if (t_check_status("408") && '
        '$T_reply_code == 408) t_reply("480", "Gone $T_reply_code"); }\n',
        SHORT)
    p.uac(request())
    sent = p.advance(2.1)
    up = [s for s in sent if s[1] == UAC[0]]
    assert [first_line(s[3]) for s in up] == ["SIP/2.0 480 Gone 408"]
    assert header(up[0][3], "To")[0].startswith("<sip:bob@example.com>;tag=")
    assert not [s for s in sent if first_line(s[3]).startswith("CANCEL")]
    assert p.stat("4xx_transactions") == 1


def test_408_relayed_when_no_failure_route(proxy_factory):
    p = proxy_factory(params=SHORT)
    p.uac(request("OPTIONS"))
    up = [s for s in p.advance(2.1) if s[1] == UAC[0]]
    assert [first_line(s[3]) for s in up] == ["SIP/2.0 408 Request Timeout"]
    p.advance(5.1)
    assert p.inuse() == 0


def test_fr_inv_after_ringing_cancels_and_fakes_408(proxy_factory):
    p = proxy_factory('route { t_on_failure("1"); t_relay(); }\n'
                      'failure_route[1] { }\n', SHORT)
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    assert p.advance(3.9) == []
    sent = p.advance(0.2)
    lines = [(s[1], first_line(s[3])) for s in sent]
    assert ("10.0.0.2", "CANCEL sip:bob@10.0.0.2 SIP/2.0") in lines
    assert (UAC[0], "SIP/2.0 408 Request Timeout") in lines


def test_silent_drop_single_branch_without_failure_route(proxy_factory):
    p = proxy_factory(params=SHORT)
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    assert p.advance(4.1) == []                 # no 408, no CANCEL
    p.advance(5.1)
    assert p.inuse() == 0


def test_noisy_ctimer_makes_it_408(proxy_factory):
    p = proxy_factory(params=SHORT + 'modparam("tm", "noisy_ctimer", 1)\n')
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    lines = [first_line(s[3]) for s in p.advance(4.1)]
    assert "SIP/2.0 408 Request Timeout" in lines


def test_negative_reply_retransmitted_until_fr_then_deleted(proxy_factory):
    p = proxy_factory(params=SHORT)
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 603, "Decline"))
    times = [t for t, _ in _times(p, 2.1)]
    assert times == [0.5, 1.5]                  # bounded by fr_timer (2 s)
    p.advance(5.1)
    assert p.inuse() == 0
