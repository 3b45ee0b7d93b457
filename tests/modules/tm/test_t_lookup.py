"""Request/CANCEL/reply matching (reference §5.2), table driven, real messages."""
import pytest

from openser_py.modules.tm import cell as C
from openser_py.modules.tm.t_branch import branch_value
from openser_py.modules.tm.t_lookup import (E2E_ACK, FOUND, LOCAL_REPLY,
                                            NOT_FOUND, Candidate, match_cancel,
                                            match_request, reply_ids,
                                            reply_matches, request_key)

from .conftest import VIA, req, rpl

OUR_TAG = "ourtag-1234"
VIA_2543 = "SIP/2.0/UDP 192.0.2.99:5062;branch=1234"


def cand(msg, label=1, status=0, relayed=-1, flags=None):
    """How the table shows a transaction created by ``msg``."""
    key = request_key(msg, OUR_TAG)
    if flags is None:
        flags = C.T_IS_INVITE if key.method_id == 1 else 0
    return Candidate(label, flags, key.method_id, status, relayed, key)


INVITE = req()
# (description, stored (msg, uas_status, relayed_branch, flags), incoming,
#  expected result)
SIMPLE_CASES = [
    ("3261 INVITE retransmission", (INVITE, 100, -1, None), req(), FOUND),
    ("3261 other branch", (INVITE, 100, -1, None),
     req(via="SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKother"), NOT_FOUND),
    ("3261 same branch, other host", (INVITE, 100, -1, None),
     req(via="SIP/2.0/UDP 192.0.2.98:5062;branch=z9hG4bKabc123"), NOT_FOUND),
    ("3261 same branch, other port", (INVITE, 100, -1, None),
     req(via="SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKabc123"), NOT_FOUND),
    ("3261 same branch, other transport", (INVITE, 100, -1, None),
     req(via="SIP/2.0/TCP 192.0.2.99:5062;branch=z9hG4bKabc123"), NOT_FOUND),
    ("3261 headers differ but branch equal: still the transaction",
     (INVITE, 100, -1, None), req(ruri="sip:other@x", to="<sip:x@y>"), FOUND),
    ("3261 ACK to our negative reply", (INVITE, 486, -1, None),
     req("ACK", to=INVITE.get_hdr_by_name("To").body + ";tag=t9"), FOUND),
    ("3261 ACK to a provisional-only INVITE (same branch)",
     (INVITE, 180, -1, None), req("ACK"), FOUND),
    ("3261 e2e ACK for a proxied 2xx (new branch, any To tag)",
     (INVITE, 200, 0, None),
     req("ACK", via="SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKack2",
         to="<sip:bob@example.com>;tag=callee"), E2E_ACK),
    ("3261 ACK for a proxied 2xx with another From tag",
     (INVITE, 200, 0, None),
     req("ACK", via="SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKack2",
         frm="<sip:alice@example.com>;tag=zz"), NOT_FOUND),
    ("3261 ACK for a proxied 2xx, other CSeq number",
     (INVITE, 200, 0, None), req("ACK", cseq="8 ACK"), NOT_FOUND),
    ("3261 e2e ACK for our own 2xx with our To tag",
     (INVITE, 200, LOCAL_REPLY, None),
     req("ACK", via="SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKack2",
         to="<sip:bob@example.com>;tag=" + OUR_TAG), E2E_ACK),
    ("3261 ACK for our own 2xx with a foreign To tag",
     (INVITE, 200, LOCAL_REPLY, None),
     req("ACK", to="<sip:bob@example.com>;tag=foreign"), NOT_FOUND),
    ("3261 a 2xx cell is never via-matched by an ACK",
     (INVITE, 200, LOCAL_REPLY, None), req("ACK"), NOT_FOUND),
    ("3261 CANCEL never matches the INVITE", (INVITE, 180, -1, None),
     req("CANCEL"), NOT_FOUND),
    ("3261 BYE with the INVITE's branch", (INVITE, 180, -1, None),
     req("BYE", cseq="8 BYE"), NOT_FOUND),
    ("3261 CANCEL retransmission matches the CANCEL",
     (req("CANCEL"), 200, LOCAL_REPLY, 0), req("CANCEL"), FOUND),
    ("3261 OPTIONS retransmission", (req("OPTIONS"), 0, -1, None),
     req("OPTIONS"), FOUND),
    ("3261 ACK never matches a non-INVITE", (req("OPTIONS"), 486, -1, None),
     req("ACK", cseq="7 ACK"), NOT_FOUND),
    ("UAC-only cells are skipped", (INVITE, 100, -1, C.T_NO_UAS),
     req(), NOT_FOUND),
    ("bare cookie is RFC 2543", (req(via="SIP/2.0/UDP 192.0.2.99;branch=z9hG4bK"),
                                 100, -1, None),
     req(via="SIP/2.0/UDP 192.0.2.99;branch=z9hG4bK"), FOUND),
    ("2543 retransmission", (req(via=VIA_2543), 100, -1, None),
     req(via=VIA_2543), FOUND),
    ("2543 R-URI differs", (req(via=VIA_2543), 100, -1, None),
     req(via=VIA_2543, ruri="sip:carol@example.com"), NOT_FOUND),
    ("2543 Via differs", (req(via=VIA_2543), 100, -1, None),
     req(via="SIP/2.0/UDP 192.0.2.99:5062;branch=5678"), NOT_FOUND),
    ("2543 To differs (tag)", (req(via=VIA_2543), 100, -1, None),
     req(via=VIA_2543, to="<sip:bob@example.com>;tag=x"), NOT_FOUND),
    ("2543 CSeq differs", (req(via=VIA_2543), 100, -1, None),
     req(via=VIA_2543, cseq="8 INVITE"), NOT_FOUND),
    ("2543 From differs", (req(via=VIA_2543), 100, -1, None),
     req(via=VIA_2543, frm="<sip:alice@example.com>;tag=a2"), NOT_FOUND),
    ("2543 ACK to negative (To gained a tag)",
     (req(via=VIA_2543), 486, -1, None),
     req("ACK", via=VIA_2543, to="<sip:bob@example.com>;tag=r1"), FOUND),
    ("2543 ACK to negative, R-URI differs", (req(via=VIA_2543), 486, -1, None),
     req("ACK", via=VIA_2543, ruri="sip:x@y"), NOT_FOUND),
    ("2543 ACK to negative, other To URI", (req(via=VIA_2543), 486, -1, None),
     req("ACK", via=VIA_2543, to="<sip:carol@example.com>;tag=r1"), NOT_FOUND),
    ("2543 e2e ACK for a proxied 2xx", (req(via=VIA_2543), 200, 1, None),
     req("ACK", via="SIP/2.0/UDP 192.0.2.99:5062;branch=9999",
         ruri="sip:bob@10.0.0.7", to="<sip:bob@example.com>;tag=r1"), E2E_ACK),
    ("2543 e2e ACK for our 2xx, our tag",
     (req(via=VIA_2543), 200, LOCAL_REPLY, None),
     req("ACK", via=VIA_2543, to="<sip:bob@example.com>;tag=" + OUR_TAG),
     E2E_ACK),
    ("2543 ACK for our 2xx, foreign tag",
     (req(via=VIA_2543), 200, LOCAL_REPLY, None),
     req("ACK", via=VIA_2543, to="<sip:bob@example.com>;tag=no"), NOT_FOUND),
    ("2543 ACK never matches a non-INVITE",
     (req("OPTIONS", via=VIA_2543), 486, -1, None),
     req("ACK", via=VIA_2543, cseq="7 ACK"), NOT_FOUND),
]


@pytest.mark.parametrize("desc,stored,incoming,expected", SIMPLE_CASES,
                         ids=[c[0] for c in SIMPLE_CASES])
def test_match_request(desc, stored, incoming, expected):
    msg, status, relayed, flags = stored
    res, label = match_request(request_key(incoming),
                               [cand(msg, 5, status, relayed, flags)])
    assert res == expected
    assert label == (5 if expected != NOT_FOUND else 0)


@pytest.mark.parametrize("ruri_m,via1_m,incoming,expected", [
    (1, 1, req(via=VIA_2543, ruri="sip:carol@example.com"), NOT_FOUND),
    (0, 1, req(via=VIA_2543, ruri="sip:carol@example.com"), FOUND),
    (1, 1, req(via="SIP/2.0/UDP 192.0.2.99:5062;branch=5678"), NOT_FOUND),
    (1, 0, req(via="SIP/2.0/UDP 192.0.2.99:5062;branch=5678"), FOUND),
    (0, 0, req("ACK", via="SIP/2.0/TCP h;branch=1", ruri="sip:q@w"), FOUND),
])
def test_2543_matching_flags(ruri_m, via1_m, incoming, expected):
    res, _ = match_request(request_key(incoming),
                           [cand(req(via=VIA_2543), 1, 486)], ruri_m, via1_m)
    assert res == expected


def test_real_match_wins_over_earlier_e2e_candidate():
    ok_invite = cand(req(via="SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKo"),
                     1, 200, 0)
    neg_invite = cand(INVITE, 2, 486)
    ack = request_key(req("ACK"))
    assert match_request(ack, [ok_invite, neg_invite]) == (FOUND, 2)
    # only the first dialog-matching 2xx cell is remembered
    ack2 = request_key(req("ACK", via="SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKn"))
    other_ok = cand(INVITE, 3, 200, 0)
    assert match_request(ack2, [ok_invite, other_ok]) == (E2E_ACK, 1)
    assert match_request(ack2, []) == (NOT_FOUND, 0)


CANCEL_CASES = [
    ("3261 CANCEL finds its INVITE", INVITE, req("CANCEL"), 7),
    ("3261 other branch", INVITE,
     req("CANCEL", via="SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKx"), 0),
    ("3261 CANCELs are not cancelled", req("CANCEL"), req("CANCEL"), 0),
    ("3261 any server transaction", req("OPTIONS"), req("CANCEL"), 7),
    ("2543 CANCEL, To tag ignored", req(via=VIA_2543),
     req("CANCEL", via=VIA_2543, to="<sip:bob@example.com>;tag=t"), 7),
    ("2543 R-URI differs", req(via=VIA_2543),
     req("CANCEL", via=VIA_2543, ruri="sip:z@z"), 0),
    ("2543 Via differs", req(via=VIA_2543),
     req("CANCEL", via="SIP/2.0/UDP 192.0.2.99:5062;branch=99"), 0),
    ("2543 From differs", req(via=VIA_2543),
     req("CANCEL", via=VIA_2543, frm="<sip:a@b>;tag=1"), 0),
    ("2543 CSeq number differs", req(via=VIA_2543),
     req("CANCEL", via=VIA_2543, cseq="8 CANCEL"), 0),
]


@pytest.mark.parametrize("desc,stored,cancel,expected", CANCEL_CASES,
                         ids=[c[0] for c in CANCEL_CASES])
def test_match_cancel(desc, stored, cancel, expected):
    assert match_cancel(request_key(cancel), [cand(stored, 7, 180)]) == expected


def test_match_cancel_flags():
    c = [cand(req(via=VIA_2543), 7, 180)]
    k = request_key(req("CANCEL", via="SIP/2.0/UDP h;branch=2", ruri="sip:z@z"))
    assert match_cancel(k, c) == 0
    assert match_cancel(k, c, ruri_matching=0, via1_matching=0) == 7


def test_request_key_fields():
    k = request_key(INVITE, "tt")
    assert (k.method_id, k.method, k.callid, k.cseq_num, k.cseq_body) == (
        1, "INVITE", "c1@example.com", "7", "7 INVITE")
    assert (k.from_tag, k.to_uri, k.to_tag, k.ruri) == (
        "a1", "sip:bob@example.com", "", "sip:bob@example.com")
    assert (k.via1_body, k.via1_branch, k.via1_host, k.via1_port,
            k.via1_transport, k.local_totag) == (
        VIA, "z9hG4bKabc123", "192.0.2.99", 5062, "UDP", "tt")
    two_vias = req(via="SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b")
    assert request_key(two_vias).via1_body == "SIP/2.0/UDP a:1;branch=z9hG4bK1"


def test_request_key_needs_the_transaction_headers():
    from openser_py.parser.msg import parse_msg
    msg = parse_msg(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
                    b"Call-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n")
    with pytest.raises(ValueError):
        request_key(msg)


def test_reply_ids():
    assert reply_ids(rpl(via="SIP/2.0/UDP 10.0.0.1;branch=%s"
                         % branch_value(4660, 77, 2))) == (4660, 77, 2)
    assert reply_ids(rpl()) is None                  # z9hG4bKabc123: not ours
    assert reply_ids(rpl(via="SIP/2.0/UDP 10.0.0.1;branch=1.2.3")) is None


INV = C.T_IS_INVITE
REPLY_CASES = [
    # flags, method_id, method, nr_branches, branch, br_flags, cseq id, name
    ("INVITE reply", INV, 1, "INVITE", 2, 1, 0, 1, "INVITE", True),
    ("branch beyond nr_of_outgoings", INV, 1, "INVITE", 2, 2, 0, 1, "INVITE",
     False),
    ("method mismatch", INV, 1, "INVITE", 1, 0, 0, 8, "BYE", False),
    ("reply to our CANCEL", INV, 1, "INVITE", 1, 0, C.BR_CANCELED, 2, "CANCEL",
     True),
    ("CANCEL reply but no CANCEL sent", INV, 1, "INVITE", 1, 0, 0, 2, "CANCEL",
     False),
    ("CANCEL reply on a non-INVITE", 0, 32, "OPTIONS", 1, 0, C.BR_CANCELED, 2,
     "CANCEL", False),
    ("unknown method by name", 0, 16384, "FOO", 1, 0, 0, 16384, "FOO", True),
    ("unknown method, other name", 0, 16384, "FOO", 1, 0, 0, 16384, "BAR",
     False),
    ("UAC-only cell compares names", C.T_NO_UAS, 1, "INVITE", 1, 0, 0, 1,
     "INVITE", True),
]


@pytest.mark.parametrize("desc,flags,mid,method,nrb,br,brf,cid,cm,expected",
                         REPLY_CASES, ids=[c[0] for c in REPLY_CASES])
def test_reply_matches(desc, flags, mid, method, nrb, br, brf, cid, cm,
                       expected):
    assert reply_matches(flags, mid, method, nrb, br, brf, cid, cm) is expected
