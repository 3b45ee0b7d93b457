"""Fast paths that locate a header without its HdrField, and the lump
Plan shortcuts: each must give what the general path gives.

* ``SipMsg.hdr_offsets`` against the HdrField of the same header;
* ``build_res_buf`` (the one-via-parm cut) against the lump Plan;
* ``Plan`` without clamping (separate deletes) against overlapping ones;
* the possessive ``parse_uri`` regex on URIs with and without userinfo.
"""
import pytest

from openser_py.parser import data_lump
from openser_py.parser.data_lump import DEL, NOP, Lump, Plan
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HdrType
from openser_py.parser.msg import SipMsg
from openser_py.parser.msg_translator import build_res_buf
from openser_py.parser.parse_uri import parse_uri

REQ = (b"BYE sip:bob@192.0.2.20 SIP/2.0\r\n"
       b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
       b"Route:   <sip:127.0.0.1;lr;ftag=a1>  \r\n"
       b"From: <sip:alice@example.com>;tag=a1\r\n"
       b"To: <sip:bob@example.com>;tag=b1\r\n"
       b"Call-ID: x@example.com\r\nCSeq: 2 BYE\r\n"
       b"X-A: 1\r\nX-B: 2\r\nX-C: 3\r\n"
       b"Max-Forwards:\t 70 \r\n"
       b"Subject: folded\r\n  line\r\n"
       b"Content-Length: 0\r\n\r\n")


def _fields(hf):
    return hf.start, hf.end, hf.body_start, hf.body


@pytest.mark.parametrize("t", [HdrType.VIA, HdrType.ROUTE, HdrType.FROM,
                               HdrType.MAXFORWARDS, HdrType.CONTENTLENGTH,
                               HdrType.CSEQ])
@pytest.mark.parametrize("offsets_first", [False, True])
def test_hdr_offsets_match_the_hdr_field(t, offsets_first):
    msg = SipMsg(REQ)
    if offsets_first:
        msg._offsets()          # the cached offsets path
    got = msg.hdr_offsets(t)
    assert got == _fields(SipMsg(REQ).get_hdr(t))
    start, end, body_start, body = got
    assert REQ[body_start:body_start + len(body)].decode() == body


def test_hdr_offsets_absent_header():
    assert SipMsg(REQ).hdr_offsets(HdrType.EXPIRES) is None


REPLY = (b"SIP/2.0 180 Ringing\r\n"
         b"Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK2\r\n"
         b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
         b"From: <sip:alice@example.com>;tag=a1\r\n"
         b"To: <sip:bob@example.com>;tag=b1\r\n"
         b"Call-ID: x@example.com\r\nCSeq: 1 INVITE\r\n"
         b"Content-Length: 0\r\n\r\n")


def _via1_by_plan(msg):
    """The first via-parm removed through the lump Plan."""
    hf, vias = data_lump.first_via_hdr(msg)
    if len(vias) > 1:
        start = hf.body_start + vias[0].start
        end = hf.body_start + vias[1].start
    else:
        start, end = hf.start, hf.end
    plan = Plan([Lump(DEL, start, end - start)])
    return "".join(plan.render(msg.buf.decode("latin-1"))).encode("latin-1")


@pytest.mark.parametrize("data", [
    REPLY,
    REPLY.replace(b"Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK2\r\n",
                  b"Via:  SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK2 ,"
                  b" SIP/2.0/UDP 192.0.2.9\r\n"),
    REPLY.replace(b"SIP/2.0 180 Ringing\r\n",
                  b"SIP/2.0 180 Ringing\r\nX-First: 1\r\n"),
])
def test_build_res_buf_cut_equals_the_plan(data):
    assert build_res_buf(SipMsg(data)) == _via1_by_plan(SipMsg(data))


def test_build_res_buf_without_via_is_an_error():
    msg = SipMsg(REPLY.replace(
        b"Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK2\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n", b""))
    with pytest.raises(SipParseError):
        build_res_buf(msg)


def _lump(kind, offset, length=0, before=(), after=()):
    lp = Lump(kind, offset, length)
    lp.before.extend(before)
    lp.after.extend(after)
    return lp


def test_plan_separate_and_overlapping_deletes():
    src = "0123456789"
    # separate deletes: text stays at their ends; anchors inside dropped
    lumps = [_lump(DEL, 2, 2, ["a"], ["b"]), _lump(DEL, 6, 2, after=["c"]),
             _lump(NOP, 7, before=["x"]), _lump(NOP, 4, after=["d"])]
    assert "".join(Plan(lumps).render(src)) == "01abd45c89"
    # overlapping deletes: text moved to the end of the merged range
    lumps = [_lump(DEL, 2, 4, after=["a"]), _lump(DEL, 3, 4, ["b"], ["c"])]
    assert "".join(Plan(lumps).render(src)) == "01abc789"
    # an empty delete inside a range is clamped too
    lumps = [_lump(DEL, 2, 4), _lump(DEL, 3, 0, ["e"])]
    assert "".join(Plan(lumps).render(src)) == "01e6789"


@pytest.mark.parametrize("text, parts", [
    ("sip:127.0.0.1;lr;ftag=a1", ("", "", "127.0.0.1", "", "lr;ftag=a1")),
    ("sip:host.example.com:5070;lr?h=1",
     ("", "", "host.example.com", "5070", "lr")),
    ("sip:bob:pw@[2001:db8::1]:5062;transport=tcp",
     ("bob", "pw", "[2001:db8::1]", "5062", "transport=tcp")),
    ("sip:a;b=c:d@host", ("a;b=c", "d", "host", "", "")),
])
def test_parse_uri_possessive_regex(text, parts):
    uri = parse_uri(text)
    assert (uri.user, uri.passwd, uri.host, uri.port, uri.params) == parts


@pytest.mark.parametrize("text", [
    "sip:host:123456", "sip:host;lr<", "sip:1.2.3", "sip:256.1.1.1",
    "sip:bob@", "sip:[::1"])
def test_parse_uri_still_rejects(text):
    with pytest.raises(SipParseError):
        parse_uri(text)
