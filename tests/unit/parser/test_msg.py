"""SipMsg: first line, header index, framing, lazy accessors, limits,
pathological inputs and a seeded mutation fuzz (RFC 3261, RFC 4475)."""
import random
import time

import pytest

from openser_py.parser import (
    HDR_CALLID, HDR_CONTACT, HDR_OTHER, HDR_VIA, METHOD_INVITE, METHOD_OTHER,
    METHOD_REGISTER, HdrField, SipMsg, SipParseError, parse_msg)
from openser_py.parser.limits import MAX_HEADERS, MAX_MSG_SIZE

SDP = (b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
       b"t=0 0\r\nm=audio 49170 RTP/AVP 0\r\n")


def invite(extra=b"", body=SDP, clen=None, first=None):
    """A well-formed INVITE; ``extra`` header lines are added at the end."""
    if clen is None:
        clen = str(len(body)).encode()
    return ((first or b"INVITE sip:bob@biloxi.example.com SIP/2.0") + b"\r\n"
            b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776a\r\n"
            b"Via: SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bK99;received=1.2.3.4"
            b"\r\n"
            b"Max-Forwards: 70\r\n"
            b"To: Bob <sip:bob@biloxi.example.com>\r\n"
            b"From: \"Alice\" <sip:alice@atlanta.example.com>"
            b";tag=1928301774\r\n"
            b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
            b"CSeq: 314159 INVITE\r\n"
            b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
            b"Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
            b"Content-Type: application/sdp\r\n"
            + extra +
            b"Content-Length: " + clen + b"\r\n\r\n" + body)


REPLY = (b"SIP/2.0 180 Ringing\r\n"
         b"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKa, "
         b"SIP/2.0/UDP b.example.com;branch=z9hG4bKb\r\n"
         b"To: <sip:bob@b.example.com>;tag=xyz\r\n"
         b"From: <sip:alice@a.example.com>;tag=abc\r\n"
         b"Call-ID: c1\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n")


def test_request_first_line():
    msg = parse_msg(invite())
    assert msg.is_request
    assert msg.method == "INVITE" and msg.method_id == METHOD_INVITE
    assert msg.ruri == "sip:bob@biloxi.example.com"
    assert msg.buf[msg.ruri_start:msg.ruri_end] == msg.ruri.encode()
    assert msg.version == "SIP/2.0" and msg.status == 0
    assert msg.buf[:msg.first_line_end].endswith(b"SIP/2.0\r\n")


def test_headers_start_is_the_first_field():
    for raw in (invite(), REPLY, b"\r\n" + REPLY):
        msg = parse_msg(raw)
        assert msg.headers_start == msg.headers[0].start > 0
        assert msg.buf[msg.headers_start:].startswith(
            msg.headers[0].name.encode())
    assert parse_msg(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n").headers_start is None


def test_reply_first_line_takes_method_from_cseq():
    msg = parse_msg(REPLY)
    assert not msg.is_request
    assert (msg.status, msg.reason) == (180, "Ringing")
    assert msg.method == "BYE" and msg.method_id == 8
    assert msg.via2.host == "b.example.com"


@pytest.mark.parametrize("line, status", [
    (b"INVITE sip:a@b SIP/3.0", 505),          # RFC 4475 3.1.2.16
    (b"INVITE sip:a@b SIP/2.1", 505),
    (b"SIP/7.0 200 OK", 505),
    (b"INVITE sip:a@b", 400),                   # missing version
    (b"INVITE  sip:a@b  SIP/2.0", 400),         # RFC 4475 3.1.2.9
    (b"INVITE sip:a@b; lr SIP/2.0", 400),       # RFC 4475 3.1.2.8
    (b"INVITE <sip:a@b> SIP/2.0", 400),         # RFC 4475 3.1.2.7
    (b"INV@TE sip:a@b SIP/2.0", 400),           # method must be a token
    (b"INVITE sip:a@b HTTP/1.1", 400),
    (b"SIP/2.0 4294967301 big", 400),           # RFC 4475 3.1.2.19
    (b"SIP/2.0 20 OK", 400),
    (b"SIP/2.0 099 Low", 400),
    (b"", 400),
])
def test_bad_first_lines(line, status):
    with pytest.raises(SipParseError) as err:
        parse_msg(line + b"\r\nContent-Length: 0\r\n\r\n")
    assert err.value.status == status
    assert err.value.reply_reason


def test_lenient_first_lines():
    msg = parse_msg(b"OPTIONS sip:a@b SIP/2.0  \r\nl: 0\r\n\r\n")
    assert msg.version == "SIP/2.0"              # RFC 4475 3.1.2.10 trws
    msg = parse_msg(b"NEWMETH sip:a@b sip/2.0\r\nl: 0\r\n\r\n")
    assert msg.method_id == METHOD_OTHER
    assert parse_msg(b"SIP/2.0 100\r\nl: 0\r\n\r\n").reason == ""
    assert parse_msg(b"SIP/2.0 100 \r\nl: 0\r\n\r\n").reason == ""
    # methods are case-sensitive (RFC 3261 7.1)
    assert parse_msg(b"invite sip:a SIP/2.0\r\n\r\n").method_id == \
        METHOD_OTHER


def test_header_index_and_compact_forms():
    raw = (b"REGISTER sip:example.com SIP/2.0\r\n"
           b"v: SIP/2.0/UDP h1;branch=z9hG4bK1\r\n"
           b"VIA : SIP/2.0/UDP h2;branch=z9hG4bK2\r\n"
           b"f: <sip:a@example.com>;tag=1\r\nT: sip:a@example.com\r\n"
           b"i: abc@h\r\ncseq: 1 REGISTER\r\nM: <sip:a@h>\r\n"
           b"X-Custom:  keep  this  \r\nl: 0\r\n\r\n")
    msg = parse_msg(raw)
    assert msg.method_id == METHOD_REGISTER
    assert [v.host for v in msg.vias] == ["h1", "h2"]
    assert msg.callid == "abc@h"
    assert msg.get_hdr(HDR_CALLID).name == "i"
    assert msg.get_hdr_by_name("call-id").body == "abc@h"
    assert msg.get_hdr_by_name("CONTACT").type == HDR_CONTACT
    other = msg.get_hdr_by_name("x-custom")
    assert other.type == HDR_OTHER and other.body == "keep  this"
    assert len(msg.get_hdrs(HDR_VIA)) == 2
    assert msg.get_hdr_by_name("X-Absent") is None


def test_header_offsets_are_exact():
    msg = parse_msg(invite(b"X-Foo:bar\r\nSubject:\r\n"))
    assert all(isinstance(h, HdrField) for h in msg.headers)
    pos = msg.first_line_end
    for h in msg.headers:
        assert h.start == pos                   # contiguous, in order
        raw = msg.buf[h.start:h.end].decode("latin-1")
        assert raw.startswith(h.name) and raw.endswith("\r\n")
        value = msg.buf[h.body_start:h.body_start + len(h.body)]
        assert value.decode("latin-1") == h.body
        pos = h.end
    assert pos + 2 == msg.body_offset
    assert msg.get_hdr_by_name("Subject").body == ""


def test_folding_keeps_offsets():
    raw = (b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
           b" ;branch=z9hG4bKx\r\nSubject: one\r\n\ttwo\r\n"
           b"To: <sip:a@b>\r\nl: 0\r\n\r\n")
    msg = parse_msg(raw)
    assert msg.via1.branch == "z9hG4bKx"
    subj = msg.get_hdr_by_name("subject")
    assert subj.body.split() == ["one", "two"]
    assert len(msg.buf[subj.body_start:subj.end].rstrip()) == len(subj.body)
    assert msg.get_hdr_by_name("to").start == subj.end


def test_unknown_headers_and_buffer_untouched():
    raw = invite(b"x-Odd!%*_+`'~.: caf\xc3\xa9 \xa0\r\n")
    msg = parse_msg(raw)
    assert msg.buf == raw
    h = msg.get_hdrs(HDR_OTHER)[0]
    assert msg.buf[h.start:h.end] == b"x-Odd!%*_+`'~.: caf\xc3\xa9 \xa0\r\n"
    assert h.body.encode("latin-1") == b"caf\xc3\xa9 \xa0"
    assert msg.get_hdr_by_name("X-ODD!%*_+`'~.") is h
    with pytest.raises(SipParseError):        # names are tokens
        parse_msg(invite(b"X-\xc3\xa9t\xc3\xa9: x\r\n"))


def test_bad_header_lines():
    for bad in (b"NoColonHere\r\n", b"Bad Name: x\r\n", b": x\r\n",
                b"Via\r\n"):
        with pytest.raises(SipParseError):
            parse_msg(invite(bad))
    with pytest.raises(SipParseError):
        parse_msg(b"OPTIONS sip:a SIP/2.0\r\n folded-first\r\n\r\n")


def test_udp_framing():
    assert parse_msg(invite()).body == SDP
    # missing Content-Length on UDP: the rest of the datagram
    raw = invite().replace(b"Content-Length: %d\r\n" % len(SDP), b"")
    msg = parse_msg(raw)
    assert msg.body == SDP and msg.content_length is None
    # extra bytes after the body are ignored (RFC 3261 18.3)
    msg = parse_msg(invite() + b"garbage")
    assert msg.body == SDP and msg.buf == invite()
    # stream: missing Content-Length means no body
    assert parse_msg(raw, stream=True).body == b""
    # equal duplicates are fine
    msg = parse_msg(invite(b"l: %d\r\n" % len(SDP)))
    assert msg.content_length == len(SDP)


@pytest.mark.parametrize("clen", [b"9999", b"-1", b"abc", b"1 2", b"",
                                  b"99999999999999999999", b"\xb2"])
def test_bad_content_length(clen):
    with pytest.raises(SipParseError):
        parse_msg(invite(clen=clen))


def test_conflicting_content_length():
    with pytest.raises(SipParseError):
        parse_msg(invite(b"l: 3\r\n"))          # RFC 4475 3.3.9 mcl01


def test_header_block_ends():
    lf_sdp = SDP.replace(b"\r\n", b"\n")
    lf = invite(body=lf_sdp).replace(b"\r\n", b"\n")
    msg = parse_msg(lf)
    assert msg.callid.startswith("a84b") and msg.body.startswith(b"v=0\n")
    msg = parse_msg(b"\r\n\r\nOPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n")
    assert msg.method == "OPTIONS"
    with pytest.raises(SipParseError):
        parse_msg(b"OPTIONS sip:a SIP/2.0\r\nl: 0\r\n")   # no empty line
    for junk in (b"", b"\r\n", b"\r\n\r\n", b"\x00" * 10):
        with pytest.raises(SipParseError):
            parse_msg(junk)
    # an earlier bare-LF empty line ends the headers
    msg = parse_msg(b"OPTIONS sip:a SIP/2.0\r\nl: 2\n\nhi\r\n\r\n")
    assert msg.body == b"hi"


def test_limits():
    with pytest.raises(SipParseError) as err:
        parse_msg(invite(body=b"x" * MAX_MSG_SIZE))
    assert err.value.status == 413
    many = b"X-A: b\r\n" * (MAX_HEADERS + 1)
    with pytest.raises(SipParseError):
        parse_msg(b"OPTIONS sip:a SIP/2.0\r\n" + many + b"\r\n")
    with pytest.raises(SipParseError):
        parse_msg(invite(b"X-Long: " + b"a" * 9000 + b"\r\n"))
    with pytest.raises(SipParseError) as err:
        parse_msg(invite(first=b"INVITE sip:" + b"a" * 5000 + b" SIP/2.0"))
    assert err.value.status == 414


def test_lazy_and_cached():
    msg = parse_msg(invite())
    assert msg.via1 is msg.via1 and msg.to is msg.to
    assert msg.vias[0] is msg.via1
    hf = msg.get_hdr(HDR_VIA)
    assert hf.parsed[0] is msg.via1          # parsed before the field
    fresh = parse_msg(invite())
    hf = fresh.get_hdr(HDR_VIA)
    assert hf.parsed is None
    fresh.via1
    assert hf.parsed[0] is fresh.via1        # field created before parse


def test_accessors():
    msg = parse_msg(invite(b"Expires: 60\r\nRequire: 100rel\r\n"
                           b"Supported: timer, path\r\n"
                           b"Record-Route: <sip:rr@x;lr>\r\n"))
    assert msg.via1.branch == "z9hG4bK776a"
    assert msg.via2.received == "1.2.3.4" and msg.via2.port == 5070
    assert msg.from_.tag == "1928301774" and msg.from_.display == "Alice"
    assert msg.to.tag is None and msg.to.uri == "sip:bob@biloxi.example.com"
    assert (msg.cseq.num, msg.cseq.method) == (314159, "INVITE")
    assert msg.max_forwards == 70 and msg.expires == 60
    assert [r.uri for r in msg.routes] == ["sip:p1.example.com;lr",
                                           "sip:p2.example.com;lr"]
    assert msg.record_routes[0].uri == "sip:rr@x;lr"
    assert msg.require == ["100rel"] and msg.supported == ["timer", "path"]
    assert msg.proxy_require == [] and msg.authorization == []
    assert msg.contacts.contacts[0].uri == "sip:alice@pc33.atlanta.example.com"
    assert msg.content_type.mime == "application/sdp"
    assert msg.content_length == len(SDP)
    assert msg.parts() == []
    msg.ctx["k"] = 1
    assert msg.ctx == {"k": 1}
    assert msg.rcv is None and msg.new_uri is None and msg.flags == 0
    msg.parse_all()


def test_absent_headers():
    msg = parse_msg(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n")
    for name in ("via1", "via2", "from_", "to", "callid", "cseq",
                 "max_forwards", "expires", "contacts", "content_type",
                 "content_length"):
        assert getattr(msg, name) is None, name
    assert msg.vias == [] and msg.routes == [] and msg.require == []
    with pytest.raises(SipParseError):
        msg.parse_all()                        # mandatory headers missing


def test_cseq_rules():
    with pytest.raises(SipParseError):       # RFC 4475 3.1.2.17 mismatch01
        parse_msg(invite().replace(b"314159 INVITE", b"1 OPTIONS")).cseq
    with pytest.raises(SipParseError):       # RFC 4475 3.1.2.4 scalar02
        parse_msg(invite().replace(b"314159", b"4294967296")).cseq
    assert parse_msg(invite().replace(b"314159", b"4294967295")).cseq.num \
        == 2 ** 32 - 1


def test_parse_all_duplicates_and_missing():
    with pytest.raises(SipParseError):
        parse_msg(invite(b"Call-ID: other\r\n")).parse_all()
    with pytest.raises(SipParseError):
        parse_msg(invite(b"Max-Forwards: 5\r\n")).parse_all()
    with pytest.raises(SipParseError):
        parse_msg(invite().replace(b"From:", b"X-From:")).parse_all()
    parse_msg(REPLY).parse_all()


def test_parsed_ruri():
    pytest.importorskip("openser_py.parser.parse_uri")
    msg = parse_msg(invite())
    uri = msg.parsed_ruri
    assert (uri.scheme, uri.user, uri.host) == (
        "sip", "bob", "biloxi.example.com")
    assert msg.parsed_ruri is uri
    bad = parse_msg(invite(first=b"INVITE nobody:opaque SIP/2.0"))
    with pytest.raises(SipParseError) as err:      # RFC 4475 3.3.2 unkscm
        bad.parsed_ruri
    assert err.value.status == 416
    assert parse_msg(REPLY).parsed_ruri is None


def test_input_types():
    raw = invite()
    assert parse_msg(bytearray(raw)).callid == parse_msg(raw).callid
    assert SipMsg(memoryview(raw), False).buf == raw


# -- robustness -------------------------------------------------------

PATHOLOGICAL = [
    b"To: " + b'"' * 60000,
    b"To: " + b'"\\' * 30000,
    b"To: " + b"a " * 30000,
    b"Route: " + b"<sip:a>," * 7000,
    b"Contact: " + b'"\\",' * 15000,
    b"Via: SIP/2.0/UDP h" + b";a" * 30000,
    b"Via: SIP/2.0/UDP h " + b"(" * 60000,
    b"Authorization: Digest " + b'a="\\' * 15000,
    b"X: " + b"\r\n " * 20000,
    b"v:" + b" " * 60000 + b"SIP/2.0/UDP h",
]


@pytest.mark.parametrize("line", PATHOLOGICAL, ids=range(len(PATHOLOGICAL)))
def test_pathological_inputs_finish(line):
    raw = (b"OPTIONS sip:a@b SIP/2.0\r\n" + line[:60000] + b"\r\n"
           b"l: 0\r\n\r\n")
    t0 = time.perf_counter()
    try:
        parse_msg(raw).parse_all()
    except SipParseError:
        pass
    assert time.perf_counter() - t0 < 1.0


def _mutate(rnd, data):
    if rnd.random() < 0.5:                    # often keep only the headers
        end = data.find(b"\r\n\r\n")
        data = data[:end + 4]
    b = bytearray(data)
    for _ in range(rnd.randint(1, 6)):
        if not b:
            break
        i = rnd.randrange(len(b))
        op = rnd.randrange(5)
        if op == 0:
            b[i] = rnd.randrange(256)
        elif op == 1:
            b[i:i] = bytes([rnd.choice(b' \t\r\n:;,<>"\\/=@%[]()0')]) * 2
        elif op == 2:
            del b[i:i + rnd.randint(1, 12)]
        elif op == 3:
            del b[i:]
        else:
            j = rnd.randrange(len(b))
            b[i:i] = b[j:j + rnd.randint(1, 40)]
    return bytes(b)


ACCESSORS = ("via1", "via2", "vias", "from_", "to", "callid", "cseq",
             "max_forwards", "expires", "contacts", "routes",
             "record_routes", "path", "require", "proxy_require",
             "supported", "unsupported", "authorization",
             "proxy_authorization", "content_type", "date", "headers")


def test_fuzz_only_sip_parse_errors():
    seeds = [invite(), REPLY, invite(b"Authorization: Digest username=\"a\","
                                     b" realm=\"r\", nonce=\"n\", uri=\"u\","
                                     b" response=\"x\"\r\n"),
             invite(body=b"").replace(b"\r\n", b"\n")]
    rnd = random.Random(4475)
    parsed = 0
    for _ in range(3000):
        data = _mutate(rnd, rnd.choice(seeds))
        try:
            msg = parse_msg(data, stream=rnd.random() < 0.3)
        except SipParseError:
            continue
        parsed += 1
        for name in ACCESSORS:
            try:
                getattr(msg, name)
            except SipParseError:
                pass
        for call in (msg.parse_all, msg.parts):
            try:
                call()
            except SipParseError:
                pass
    assert parsed > 300           # the fuzz reaches the accessors
