"""t_check_trans on a retransmission: the last reply goes out again and
the script stops (OpenSER ``t_check_trans``, case "found, not an ACK")."""
from tests.modules.tm.proxy_util import UAC, first_line, reply_to, request


def test_t_check_trans_resends_the_last_reply_and_stops(proxy_factory):
    # the retransmission (same Via branch; another R-URI, which RFC 3261
    # matching ignores) takes the second path of the script
    p = proxy_factory('route { if (uri =~ "10.0.0.2") { t_relay(); exit; } '
                      't_check_trans(); forward(); }\n')
    first = p.uac(request())
    p.uas(reply_to(first[1][3], 180, "Ringing"))
    again = p.uac(request(ruri="sip:bob@10.0.0.3"))
    assert [first_line(s[3]) for s in again] == ["SIP/2.0 180 Ringing"]
    assert again[0][1:3] == UAC             # and nothing forwarded
    # a request of no transaction: false, the script goes on
    other = p.uac(request(ruri="sip:bob@10.0.0.3", branch="z9hG4bKnew"))
    assert [first_line(s[3]) for s in other] == [
        "INVITE sip:bob@10.0.0.3 SIP/2.0"]
