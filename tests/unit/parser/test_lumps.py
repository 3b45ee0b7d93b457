"""Lumps (openser_py.parser.data_lump): recording and applying changes.

Every expected output below is written out by hand.  Serialization goes
through ``msg_translator.build_req_buf(msg)`` (no Via, no rcv), which
applies exactly the recorded lumps.
"""
import os

import pytest

from openser_py.parser import data_lump as dl
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HdrType
from openser_py.parser.msg import parse_msg
from openser_py.parser.msg_translator import build_req_buf

MSG = (b"OPTIONS sip:bob@example.com SIP/2.0\r\n"
       b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc\r\n"
       b"From: <sip:alice@example.com>;tag=12\r\n"
       b"To: <sip:bob@example.com>\r\n"
       b"Call-ID: c1\r\n"
       b"CSeq: 1 OPTIONS\r\n"
       b"Content-Length: 0\r\n"
       b"\r\n")


def msg_():
    return parse_msg(MSG)


def at(msg, needle):
    """Offset of ``needle`` (bytes) in the message."""
    return msg.buf.index(needle)


def out(msg):
    return build_req_buf(msg)


# -- recording ------------------------------------------------------------

def test_lumps_list_is_created_lazily_and_buf_untouched():
    m = msg_()
    assert m.lumps is None
    dl.insert_before(m, at(m, b"Call-ID"), "X: 1\r\n")
    assert len(m.lumps) == 1
    assert m.buf == MSG
    out(m)
    assert m.buf == MSG and len(m.lumps) == 1


def test_insert_before_offset():
    m = msg_()
    dl.insert_before(m, at(m, b"Call-ID"), "X-A: 1\r\n")
    assert out(m) == MSG.replace(b"Call-ID: c1\r\n",
                                 b"X-A: 1\r\nCall-ID: c1\r\n")


def test_insert_after_offset():
    m = msg_()
    dl.insert_after(m, at(m, b"c1\r\n") + 2, ";x")
    assert out(m) == MSG.replace(b"Call-ID: c1\r\n", b"Call-ID: c1;x\r\n")


def test_delete_range():
    m = msg_()
    start = at(m, b";tag=12")
    dl.delete(m, start, start + len(";tag=12"))
    assert out(m) == MSG.replace(b";tag=12", b"")


def test_add_header_after_last_header_in_call_order():
    m = msg_()
    dl.add_header(m, "X-One: 1\r\n")
    dl.add_header(m, "X-Two: 2\r\n")
    assert out(m) == MSG.replace(
        b"Content-Length: 0\r\n\r\n",
        b"Content-Length: 0\r\nX-One: 1\r\nX-Two: 2\r\n\r\n")


def test_remove_header():
    m = msg_()
    dl.remove_header(m, m.get_hdr(HdrType.CALLID))
    assert out(m) == MSG.replace(b"Call-ID: c1\r\n", b"")


def test_replace_header():
    m = msg_()
    dl.replace_header(m, m.get_hdr(HdrType.TO),
                      "To: <sip:carol@example.com>\r\n")
    assert out(m) == MSG.replace(b"To: <sip:bob@example.com>\r\n",
                                 b"To: <sip:carol@example.com>\r\n")


def test_remove_folded_header_removes_continuation_lines():
    raw = MSG.replace(b"Call-ID: c1\r\n",
                      b"Subject: one\r\n  two\r\nCall-ID: c1\r\n")
    m = parse_msg(raw)
    dl.remove_header(m, m.get_hdr(HdrType.SUBJECT))
    assert out(m) == MSG


def test_chained_texts_keep_call_order():
    m = msg_()
    lump = dl.anchor(m, at(m, b"Call-ID"))
    lump.insert_before("B1\r\n").insert_before("B2\r\n")
    lump.insert_after("A1\r\n").insert_after("A2\r\n")
    assert out(m) == MSG.replace(
        b"Call-ID: c1\r\n", b"B1\r\nB2\r\nA1\r\nA2\r\nCall-ID: c1\r\n")


def test_same_offset_lumps_in_creation_order():
    m = msg_()
    pos = at(m, b"Call-ID")
    dl.insert_after(m, pos, "First: 1\r\n")
    dl.insert_before(m, pos, "Second: 2\r\n")
    assert out(m) == MSG.replace(
        b"Call-ID: c1\r\n", b"First: 1\r\nSecond: 2\r\nCall-ID: c1\r\n")


def test_lumps_applied_in_offset_order_not_creation_order():
    m = msg_()
    dl.add_header(m, "X-End: e\r\n")
    dl.insert_before(m, at(m, b"From"), "X-Top: t\r\n")
    assert out(m) == MSG.replace(
        b"From:", b"X-Top: t\r\nFrom:").replace(
        b"Content-Length: 0\r\n", b"Content-Length: 0\r\nX-End: e\r\n")


def test_replacement_comes_before_anchor_created_earlier_at_its_end():
    # OpenSER order: lumps sorted by their own offset, so the text after a
    # delete (offset = header start) precedes an anchor at the header end
    m = msg_()
    to = m.get_hdr(HdrType.TO)
    dl.insert_before(m, to.end, "X-After-To: 1\r\n")
    dl.replace_header(m, to, "To: <sip:carol@example.com>\r\n")
    assert out(m) == MSG.replace(
        b"To: <sip:bob@example.com>\r\n",
        b"To: <sip:carol@example.com>\r\nX-After-To: 1\r\n")


def test_latin1_text_written_as_single_bytes():
    m = msg_()
    dl.add_header(m, "X-Name: Jos\xe9\r\n")
    assert out(m) == MSG.replace(
        b"Content-Length: 0\r\n", b"Content-Length: 0\r\nX-Name: Jos\xe9\r\n")


def test_serializing_twice_gives_the_same_bytes():
    m = msg_()
    dl.add_header(m, "X-A: 1\r\n")
    first = out(m)
    assert out(m) == first


# -- conflicts --------------------------------------------------------------

def test_overlapping_deletes_remove_the_union_once():
    m = msg_()
    s = at(m, b"To:")
    e = at(m, b"CSeq:")
    dl.delete(m, s, at(m, b"Call-ID") + 4)        # To ... "Call"
    dl.delete(m, at(m, b"Call-ID"), e)            # Call-ID line
    dl.delete(m, s + 2, s + 5)                    # inside the first one
    assert out(m) == MSG.replace(
        b"To: <sip:bob@example.com>\r\nCall-ID: c1\r\n", b"")


def test_touching_deletes_keep_an_insert_between_them():
    m = msg_()
    to = m.get_hdr(HdrType.TO)
    cid = m.get_hdr(HdrType.CALLID)
    dl.remove_header(m, to)
    dl.remove_header(m, cid)
    dl.insert_before(m, cid.start, "X-Mid: 1\r\n")
    assert out(m) == MSG.replace(
        b"To: <sip:bob@example.com>\r\nCall-ID: c1\r\n", b"X-Mid: 1\r\n")


def test_insert_strictly_inside_deleted_range_is_dropped():
    m = msg_()
    to = m.get_hdr(HdrType.TO)
    dl.insert_after(m, at(m, b"bob@example.com>\r\nCall") + 3, "DROPPED")
    dl.remove_header(m, to)
    assert out(m) == MSG.replace(b"To: <sip:bob@example.com>\r\n", b"")


def test_inserts_at_the_edges_of_a_deleted_range_are_kept():
    m = msg_()
    to = m.get_hdr(HdrType.TO)
    dl.remove_header(m, to)
    dl.insert_before(m, to.start, "X-Before: 1\r\n")
    dl.insert_after(m, to.end, "X-After: 2\r\n")
    assert out(m) == MSG.replace(b"To: <sip:bob@example.com>\r\n",
                                 b"X-Before: 1\r\nX-After: 2\r\n")


def test_text_attached_to_a_delete_survives_an_overlapping_delete():
    # the inner delete starts inside the outer one: its text is moved to
    # the end of the merged range instead of being dropped
    m = msg_()
    to = m.get_hdr(HdrType.TO)
    cid = m.get_hdr(HdrType.CALLID)
    dl.remove_header(m, cid).insert_before("Call-ID: new\r\n")
    dl.delete(m, to.start, cid.start + 3)
    assert out(m) == MSG.replace(
        b"To: <sip:bob@example.com>\r\nCall-ID: c1\r\n", b"Call-ID: new\r\n")


def test_replacing_twice_writes_both_texts():
    m = msg_()
    cid = m.get_hdr(HdrType.CALLID)
    dl.replace_header(m, cid, "Call-ID: a\r\n")
    dl.replace_header(m, cid, "Call-ID: b\r\n")
    assert out(m) == MSG.replace(b"Call-ID: c1\r\n",
                                 b"Call-ID: a\r\nCall-ID: b\r\n")


def test_bad_offsets_and_text_types_are_rejected():
    m = msg_()
    with pytest.raises(ValueError):
        dl.insert_before(m, len(MSG) + 1, "x")
    with pytest.raises(ValueError):
        dl.delete(m, 10, 5)
    with pytest.raises(ValueError):
        dl.delete(m, -1, 5)
    with pytest.raises(TypeError):
        dl.add_header(m, b"X: 1\r\n")


# -- reply lumps -------------------------------------------------------------

def test_add_rpl_lump_keeps_order_and_does_not_touch_request():
    m = msg_()
    dl.add_rpl_lump(m, "Contact: <sip:a@b>\r\n")
    dl.add_rpl_lump(m, "X-R: 1\r\n")
    assert m.reply_lumps == ["Contact: <sip:a@b>\r\n", "X-R: 1\r\n"]
    assert out(m) == MSG


# -- first Via parameters ----------------------------------------------------

def _via_msg(via_value):
    return parse_msg(MSG.replace(
        b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc", via_value))


def test_add_via_params_inserts_after_host_port():
    m = msg_()
    dl.add_via_params(m, received="1.2.3.4")
    assert out(m) == MSG.replace(
        b"10.0.0.1:5060;branch",
        b"10.0.0.1:5060;received=1.2.3.4;branch")


def test_add_via_params_both_new_rport_first():
    m = msg_()
    dl.add_via_params(m, received="1.2.3.4", rport=5062)
    assert out(m) == MSG.replace(
        b"10.0.0.1:5060;branch",
        b"10.0.0.1:5060;rport=5062;received=1.2.3.4;branch")


def test_add_via_params_replaces_existing_values_in_place():
    m = _via_msg(b"SIP/2.0/UDP h.example;rport=1;branch=z9hG4bKx;"
                 b"received=9.9.9.9;ttl=3")
    dl.add_via_params(m, received="1.2.3.4", rport="5062")
    assert out(m) == MSG.replace(
        b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc",
        b"SIP/2.0/UDP h.example;rport=5062;branch=z9hG4bKx;"
        b"received=1.2.3.4;ttl=3")


def test_add_via_params_rport_without_value_filled():
    m = _via_msg(b"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx;rport")
    dl.add_via_params(m, rport=5070)
    assert out(m) == MSG.replace(
        b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc",
        b"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx;rport=5070")


def test_add_via_params_no_params_and_ipv6():
    m = _via_msg(b"SIP/2.0/UDP [2001:db8::1]:5070")
    dl.add_via_params(m, received="2001:db8::9")
    assert out(m) == MSG.replace(
        b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc",
        b"SIP/2.0/UDP [2001:db8::1]:5070;received=2001:db8::9")


def test_add_via_params_only_first_via_parm_of_first_field():
    m = _via_msg(b"SIP/2.0/UDP a.example;branch=z9hG4bK1, "
                 b"SIP/2.0/UDP b.example;branch=z9hG4bK2")
    dl.add_via_params(m, received="1.2.3.4", params=";alias")
    assert out(m) == MSG.replace(
        b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc",
        b"SIP/2.0/UDP a.example;received=1.2.3.4;branch=z9hG4bK1;alias, "
        b"SIP/2.0/UDP b.example;branch=z9hG4bK2")


def test_add_via_params_whitespace_around_params():
    m = _via_msg(b"SIP/2.0/UDP 10.0.0.1 ; rport ; branch=z9hG4bKx")
    dl.add_via_params(m, received="1.2.3.4", rport=7)
    assert out(m) == MSG.replace(
        b"SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc",
        b"SIP/2.0/UDP 10.0.0.1 ;received=1.2.3.4;rport=7 ; branch=z9hG4bKx")


@pytest.mark.parametrize("raw", [
    MSG,
    MSG.replace(b"\r\n", b"\n"),
    MSG.replace(b"Content-Length: 0\r\n", b"Content-Length: 0\n"),
    MSG.replace(b"Content-Length: 0\r\n\r\n", b"Content-Length: 2\r\n\r\nab"),
])
def test_headers_end_is_the_end_of_the_last_header(raw):
    m = parse_msg(raw)
    assert dl.headers_end(m) == m.headers[-1].end
    assert raw[dl.headers_end(m) - 1:dl.headers_end(m)] == b"\n"


# -- the valid corpus: round trip and generic properties ---------------------

_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "data", "sip", "valid")
_CORPUS = sorted(f for f in os.listdir(_DATA) if f.endswith(".sip")) \
    if os.path.isdir(_DATA) else []


def _load(name):
    with open(os.path.join(_DATA, name), "rb") as f:
        raw = f.read()
    try:
        return parse_msg(raw)
    except SipParseError:
        return None            # stream-only or not a datagram


def _parses_all(msg):
    try:
        msg.parse_all()
        msg.get_hdr(HdrType.VIA)
        return True
    except SipParseError:
        return False


# The cases each test applies to are chosen at collection time, so that a
# run never reports skips: a skip in CI must mean something is missing.
_DGRAM = [n for n in _CORPUS if _load(n) is not None]
_REQUESTS = [n for n in _DGRAM if _load(n).is_request]
_CLEAN_REQUESTS = [n for n in _REQUESTS if _parses_all(_load(n))]


def _corpus_msg(name):
    return _load(name)


@pytest.mark.parametrize("name", _DGRAM)
def test_corpus_unchanged_round_trip(name):
    m = _corpus_msg(name)
    assert build_req_buf(m) == m.buf
    dl.anchor(m, len(m.buf))           # force the lump path
    assert build_req_buf(m) == m.buf


@pytest.mark.parametrize("name", _CLEAN_REQUESTS)
def test_corpus_via_insert_adds_exactly_one_line(name):
    m = _corpus_msg(name)
    hf = m.get_hdr(HdrType.VIA)
    pos = hf.start if hf is not None else m.first_line_end
    via = "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKcorpus\r\n"
    assert build_req_buf(m, via) == \
        m.buf[:pos] + via.encode() + m.buf[pos:]


@pytest.mark.parametrize("name", _CLEAN_REQUESTS)
def test_corpus_local_reply_parses_back(name):
    from openser_py.parser.msg_translator import build_local_reply
    m = _corpus_msg(name)
    m.parse_all()
    reply = parse_msg(build_local_reply(m, 404, "Not Found", to_tag="t"))
    assert reply.status == 404
    assert [v.branch for v in reply.vias] == [v.branch for v in m.vias]
    assert reply.to.tag == (m.to.tag or "t")
    assert reply.callid == m.callid
