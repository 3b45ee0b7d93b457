"""Two more shortcuts against the general code they bypass.

* ``SipMsg.__init__`` for replies: a plain Status-Line is taken inline
  and the method comes from CSeq (``_reply_method``) instead of
  ``_parse`` / ``parse_first_line`` / ``_frame``;
* ``msg_translator._splice``: lumps that neither overlap nor reach the
  body, written in (offset, seq) order instead of through a ``Plan``.
"""
import random

import pytest

from openser_py.parser import data_lump as dl
from openser_py.parser import msg_translator as mt
from openser_py.parser.data_lump import DEL, NOP, Lump, Plan
from openser_py.parser.errors import SipParseError
from openser_py.parser.msg import SipMsg
from openser_py.parser.parse_cseq import parse_cseq

# -- replies: the inlined construction vs the general path ----------------

REPLY = (b"SIP/2.0 180 Ringing\r\n"
         b"Record-Route: <sip:127.0.0.1;lr;ftag=1>\r\n"
         b"Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK5734.1.0\r\n"
         b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1-2-inv\r\n"
         b"From: sipp <sip:sipp@127.0.0.1:5070>;tag=1\r\n"
         b"To: service <sip:service@127.0.0.1:5060>;tag=t2\r\n"
         b"Call-ID: 2-1@127.0.0.1\r\n"
         b"CSeq: 1 INVITE\r\n"
         b"Contact: <sip:service@127.0.0.1:5080;transport=UDP>\r\n"
         b"Content-Length: 4\r\n\r\nbody")

PLAIN_REPLIES = [
    REPLY,
    REPLY.replace(b"180 Ringing", b"200 Very  Fine OK"),
    REPLY.replace(b"180 Ringing", b"100 "),
    REPLY.replace(b"180 Ringing", b"699 x"),
    REPLY.replace(b"CSeq: 1 INVITE", b"CSeq:   123456789 BYE  "),
    REPLY.replace(b"CSeq: 1 INVITE", b"CSeq: 7 FOO"),          # other
    REPLY.replace(b"CSeq: 1 INVITE", b"CSeq: 1234567890 INVITE"),
    REPLY.replace(b"CSeq: 1 INVITE\r\n", b""),                # no CSeq
    REPLY.replace(b"Content-Length: 4", b"Content-Length: 2"),
    REPLY.replace(b"Content-Length: 4\r\n", b"X-A: 1\r\n"),   # no length
    REPLY.replace(b"Call-ID", b"i"),
]

ODD_REPLIES = [
    REPLY.replace(b"180 Ringing", b"180"),              # no reason
    REPLY.replace(b"180 Ringing", b"099 Low"),
    REPLY.replace(b"180 Ringing", b"700 High"),
    REPLY.replace(b"180 Ringing", b"18 Short"),
    REPLY.replace(b"180 Ringing", b"1800 Long"),
    REPLY.replace(b"180 Ringing", b"18x Bad"),
    REPLY.replace(b"180 Ringing", b"1\xb20 Super"),
    REPLY.replace(b"180 Ringing", b"180\tTab"),
    REPLY.replace(b"SIP/2.0 180", b"sip/2.0 180"),
    REPLY.replace(b"SIP/2.0 180", b"SIP/3.0 180"),
    REPLY.replace(b"SIP/2.0 180", b"SIP/2.0  180"),
    REPLY.replace(b"Ringing\r\n", b"Ringing\n", 1),
    REPLY.replace(b"CSeq: 1 INVITE", b"CSeq: x INVITE"),
    REPLY.replace(b"CSeq: 1 INVITE", b"CSeq: 1 IN<VITE"),
    REPLY.replace(b"CSeq: 1 INVITE", b"CSeq: 99999999999 INVITE"),
    REPLY.replace(b"CSeq: 1 INVITE", b"CSeq: 1 INVITE\r\nCSeq: 2 BYE"),
    REPLY.replace(b"Content-Length: 4", b"Content-Length: 9"),
    REPLY.replace(b"Content-Length: 4", b"Content-Length: 4\r\nl: 4"),
    REPLY.replace(b"Content-Length: 4", b"Content-Length: 4\r\nl: 3"),
    REPLY.replace(b"Call-ID", b"Call-Id"),
    REPLY.replace(b"Call-ID: 2", b"Call-ID:\r\n 2"),
]

SLOTS = ("buf", "hdr_text", "body", "body_offset", "is_request", "method",
         "method_id", "ruri", "ruri_start", "ruri_end", "version", "status",
         "reason", "first_line_end", "content_length", "_types", "_lines",
         "_parts")


def _outcome(raw):
    """What construction gives (and then ``parse_all``), comparable."""
    try:
        m = SipMsg(raw)
    except SipParseError as e:
        return ("error", e.status, e.reason)
    got = [getattr(m, n) for n in SLOTS]
    got.append([repr(v) for v in m._vals])
    try:
        m.parse_all()
        got.append(repr(m.cseq))
    except SipParseError as e:
        got.append(("error", e.status, e.reason))
    return got


def _mutants(seed, count):
    """Replies with a few bytes of the Status-Line, CSeq or Content-Length
    changed."""
    rng = random.Random(seed)
    alphabet = b"0123456789 \t\r\nSIP/.xa\xb2,"
    for _ in range(count):
        b = bytearray(REPLY)
        for _ in range(rng.randint(1, 3)):
            where = rng.choice((0, REPLY.index(b"CSeq: ") + 6,
                                REPLY.index(b"Length: ") + 8))
            pos = min(where + rng.randint(0, 14), len(b) - 1)
            if rng.random() < 0.6:
                b[pos] = rng.choice(alphabet)
            elif rng.random() < 0.5:
                b[pos:pos] = bytes([rng.choice(alphabet)])
            else:
                del b[pos:pos + rng.randint(1, 3)]
        yield bytes(b)


@pytest.mark.parametrize("raw", PLAIN_REPLIES + ODD_REPLIES)
def test_reply_construction_equals_general_path(raw):
    # a bytearray is not taken by the fast path: the general _parse
    assert _outcome(raw) == _outcome(bytearray(raw))


def test_reply_mutants_equal_general_path():
    n = 0
    for raw in _mutants(180, 1500):
        assert _outcome(raw) == _outcome(bytearray(raw)), raw
        n += 1
    assert n == 1500


@pytest.mark.parametrize("raw", PLAIN_REPLIES)
def test_plain_replies_take_the_fast_path(raw, monkeypatch):
    def general(*args):
        raise AssertionError("general path taken")
    monkeypatch.setattr(SipMsg, "_parse", general)
    m = SipMsg(raw)
    assert not m.is_request and m.status == int(raw[8:11])


def test_reply_method_from_cseq():
    m = SipMsg(REPLY)
    assert (m.method, m.method_id, m.cseq.num, m.cseq.method) == (
        "INVITE", 1, 1, "INVITE")
    assert m.reason == "Ringing"
    other = SipMsg(REPLY.replace(b"1 INVITE", b"7 FOO"))
    assert (other.method, other.cseq.num) == ("FOO", 7)
    with pytest.raises(SipParseError):
        SipMsg(REPLY.replace(b"1 INVITE", b"x INVITE"))


@pytest.mark.parametrize("value", [
    "1 INVITE", "0 BYE", "999999999 ACK", "1234567890 INVITE",
    "4294967295 CANCEL", "4294967296 INVITE", "99999999999 INVITE",
    "12 FOO", "1  INVITE", "1\tINVITE", "x INVITE", "1 IN<VITE", "1",
    "INVITE"])
def test_reply_method_equals_parse_cseq(value):
    """``_reply_method`` inlines parse_cseq's fast path."""
    raw = REPLY.replace(b"1 INVITE", value.encode())
    try:
        want = repr(parse_cseq(value))
    except SipParseError as e:
        want = e.reason
    try:
        m = SipMsg(raw)
        assert m.method == m.cseq.method
        got = repr(m.cseq)
    except SipParseError as e:
        got = e.reason
    assert got == want


# -- lumps: _splice vs the Plan ----------------------------------------------

REQ = (b"INVITE sip:bob@192.0.2.20 SIP/2.0\r\n"
       b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
       b"Route: <sip:127.0.0.1;lr;ftag=a1>\r\n"
       b"From: <sip:alice@example.com>;tag=a1\r\n"
       b"To: <sip:bob@example.com>\r\n"
       b"Call-ID: x@example.com\r\nCSeq: 2 INVITE\r\n"
       b"Max-Forwards: 70\r\n"
       b"Content-Length: 6\r\n\r\nv=0\r\n\r")
REQS = [REQ, REQ.replace(b"Content-Length: 6\r\n\r\nv=0\r\n\r", b"\r\n")]
TEXTS = ["", "A", "Record-Route: <sip:p;lr>\r\n", "69", ";x=1"]


def _random_lumps(rng, msg):
    """A few anchors and deletes, on spots chosen so that ties, touching
    and overlapping ranges and the body are common."""
    size = len(msg.buf)
    spots = [0, msg.first_line_end, msg.body_offset - 2, msg.body_offset,
             size] + [rng.randint(0, size) for _ in range(3)]
    lumps = []
    for _ in range(rng.randint(1, 5)):
        off = min(rng.choice(spots) + rng.choice((0, 0, 1, -1)), size)
        off = max(off, 0)
        if rng.random() < 0.5:
            lump = Lump(NOP, off)
        else:
            end = min(off + rng.choice((0, 1, 2, 8, 30)), size)
            lump = Lump(DEL, off, end - off,
                        -1 if rng.random() < 0.1 else None)
        lump.before.extend(rng.choice(TEXTS) for _ in range(
            rng.randint(0, 2)))
        lump.after.extend(rng.choice(TEXTS) for _ in range(
            rng.randint(0, 2)))
        lumps.append(lump)
    rng.shuffle(lumps)
    return lumps


@pytest.mark.parametrize("raw", REQS)
def test_splice_equals_plan(raw):
    rng = random.Random(3261)
    msg = SipMsg(raw)
    taken = refused = 0
    for _ in range(3000):
        lumps = _random_lumps(rng, msg)
        plan = mt._fix_clen(msg, list(lumps), Plan(list(lumps)), False)
        want = mt._serialize(msg, plan)
        got = mt._splice(msg, list(lumps))
        if got is None:
            refused += 1
        else:
            taken += 1
            assert got == want, lumps
    # both branches are exercised
    assert taken > 300 and refused > 300


@pytest.mark.parametrize("proto", [None, "udp", "tcp"])
@pytest.mark.parametrize("raw", REQS)
def test_build_req_buf_same_with_or_without_splice(raw, proto, monkeypatch):
    rng = random.Random(5060)
    via = "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKo\r\n"
    cases = []
    for _ in range(300):
        msg = SipMsg(raw)
        msg.lumps = _random_lumps(rng, msg)
        if rng.random() < 0.3:
            msg.new_uri = "sip:new@192.0.2.30"
        cases.append(msg)
    fast = [mt.build_req_buf(m, via=via, proto=proto) for m in cases]
    monkeypatch.setattr(mt, "_splice", lambda msg, lumps: None)
    assert fast == [mt.build_req_buf(m, via=via, proto=proto)
                    for m in cases]


def test_splice_typical_forward():
    """maxfwd's replaced value, rr's Record-Route, loose_route's removed
    Route: the shape of the benchmark call."""
    msg = SipMsg(REQ)
    start = REQ.index(b"70\r\n")
    dl.delete(msg, start, start + 2).insert_after("69")
    dl.anchor(msg, msg.first_line_end)
    dl.insert_before(msg, msg.first_line_end, "Record-Route: <sip:p;lr>\r\n")
    route = REQ.index(b"Route: <")
    dl.delete(msg, route, REQ.index(b"From:"))
    lumps = list(msg.lumps)
    got = mt._splice(msg, lumps)
    assert got == (REQ[:msg.first_line_end] + b"Record-Route: <sip:p;lr>\r\n"
                   + REQ[msg.first_line_end:route]
                   + REQ[REQ.index(b"From:"):start] + b"69"
                   + REQ[start + 2:])
