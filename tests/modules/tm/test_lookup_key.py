"""lookup_key (an ACK's key, 3261 fields only) against request_key: the
matching decision must be the same for varied ACKs and stored
transactions, with and without the RFC 3261 cookie."""
import itertools
import random

import pytest

from openser_py.modules.tm import cell as C
from openser_py.modules.tm.t_lookup import (LOCAL_REPLY, Candidate,
                                            lookup_key, match_request,
                                            request_key)

from .conftest import req

OUR_TAG = "ourtag-1"
VIAS = ["SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKabc123",
        "SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKack2",
        "SIP/2.0/UDP 192.0.2.98:5062;branch=z9hG4bKabc123",
        "SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKabc123",
        "SIP/2.0/TCP 192.0.2.99:5062;branch=z9hG4bKabc123",
        "SIP/2.0/UDP 192.0.2.99:5062;branch=1234",
        "SIP/2.0/UDP 192.0.2.99:5062;rport;branch=z9hG4bKabc123",
        "SIP/2.0/UDP 192.0.2.99:5062"]
FROMS = ['"Alice" <sip:alice@example.com>;tag=a1',
         "<sip:alice@example.com>;tag=a1", "<sip:alice@example.com>;tag=zz"]
TOS = ["<sip:bob@example.com>", "<sip:bob@example.com>;tag=callee",
       "<sip:bob@example.com>;tag=" + OUR_TAG, "<sip:carol@example.com>"]
RURIS = ["sip:bob@example.com", "sip:bob@10.0.0.1"]


def _stored(rng):
    method = rng.choice(["INVITE", "INVITE", "BYE"])
    msg = req(method, ruri=rng.choice(RURIS), via=rng.choice(VIAS),
              frm=rng.choice(FROMS[:2]), to=TOS[0],
              cseq=rng.choice([None, "8 " + method]))
    key = request_key(msg, rng.choice(["", OUR_TAG]))
    flags = C.T_IS_INVITE if key.method_id == 1 else 0
    if rng.random() < 0.1:
        flags |= C.T_NO_UAS
    return Candidate(rng.randrange(1, 9), flags, key.method_id,
                     rng.choice([100, 180, 200, 486]),
                     rng.choice([-1, 0, LOCAL_REPLY]), key)


def test_lookup_key_matches_like_request_key():
    rng = random.Random(5)
    acks = [req("ACK", ruri=r, via=v, frm=f, to=t, cseq=c)
            for r, v, f, t, c in itertools.product(
                RURIS, VIAS, FROMS, TOS, [None, "8 ACK"])]
    outcomes = set()
    for ack in acks:
        full, light = request_key(ack), lookup_key(ack)
        for n in range(4):
            cands = [_stored(rng) for _ in range(n)]
            for ruri_m, via_m in ((1, 1), (0, 0)):
                want = match_request(full, cands, ruri_m, via_m)
                assert match_request(light, cands, ruri_m, via_m) == want
                outcomes.add(want[0])
    assert outcomes == {0, 1, 2}        # NOT_FOUND, FOUND, E2E_ACK all seen


def test_without_cookie_it_is_request_key():
    ack = req("ACK", via="SIP/2.0/UDP 192.0.2.99:5062;branch=1234")
    assert lookup_key(ack) == request_key(ack)


def test_missing_headers_raise_the_same():
    text = (b"ACK sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP "
            b"192.0.2.99:5062;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
            b"Call-ID: c\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
    from openser_py.parser.msg import parse_msg
    msg = parse_msg(text)
    with pytest.raises(ValueError):
        request_key(msg)
    with pytest.raises(ValueError):
        lookup_key(msg)
