"""openser_py.core.dns.message: RFC 1035 encoding/decoding, no sockets.

The packets are written byte by byte from the RFC 1035 §4.1 layout
(header, question, resource records, §4.1.4 compression pointers).
"""
import struct

import pytest

from openser_py.core.dns import message as M

# "_sip._udp.ex.test" at offset 12: labels at 12 (_sip), 17 (_udp),
# 22 (ex), 25 (test), root at 30
QNAME = b"\x04_sip\x04_udp\x02ex\x04test\x00"


def header(qid, flags, qd, an, ns, ar):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def srv_reply():
    """SRV answer (target compressed into the question) + additional A."""
    pkt = header(0xBEEF, 0x8580, 1, 1, 0, 1)
    pkt += QNAME + b"\x00\x21\x00\x01"                  # QTYPE SRV, IN
    assert len(pkt) == 35
    target = b"\x04sip1" + b"\xc0\x16"                   # sip1 + ptr "ex.test"
    rdata = b"\x00\x0a" + b"\x00\x14" + b"\x13\xce" + target
    pkt += b"\xc0\x0c" + b"\x00\x21\x00\x01" + b"\x00\x00\x01\x2c" + \
        struct.pack("!H", len(rdata)) + rdata
    assert pkt[53:58] == b"\x04sip1"
    pkt += b"\xc0\x35" + b"\x00\x01\x00\x01" + b"\x00\x00\x00\x3c" + \
        b"\x00\x04" + bytes([127, 0, 0, 2])
    return pkt


def test_decode_hand_built_srv_reply():
    msg = M.decode_message(srv_reply())
    h = msg.header
    assert (h.id, h.qr, h.opcode, h.aa, h.tc, h.rd, h.ra, h.rcode) == \
        (0xBEEF, 1, 0, 1, 0, 1, 1, 0)
    assert msg.questions == [M.Question("_sip._udp.ex.test", M.SRV, 1)]
    (ans,) = msg.answers
    assert ans.name == "_sip._udp.ex.test" and ans.ttl == 300
    assert ans.data == M.Srv(10, 20, 5070, "sip1.ex.test")
    (add,) = msg.additional
    assert (add.name, add.rtype, add.ttl, add.data) == \
        ("sip1.ex.test", M.A, 60, "127.0.0.2")


def test_decode_naptr_aaaa_cname_soa():
    pkt = header(7, 0x8180, 1, 3, 1, 0) + b"\x02ex\x04test\x00" + \
        b"\x00\x23\x00\x01"                              # NAPTR? ex.test
    # NAPTR 10 100 "s" "SIP+D2U" "" _sip._udp.ex.test (replacement 0-ended)
    rdata = b"\x00\x0a\x00\x64" + b"\x01s" + b"\x07SIP+D2U" + b"\x00" + \
        b"\x04_sip\x04_udp\xc0\x0c"
    pkt += b"\xc0\x0c\x00\x23\x00\x01\x00\x00\x0e\x10" + \
        struct.pack("!H", len(rdata)) + rdata
    v6 = bytes(range(16))
    pkt += b"\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x05\x00\x10" + v6
    cname = b"\x03www\xc0\x0c"
    pkt += b"\x05alias\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x05" + \
        struct.pack("!H", len(cname)) + cname
    soa = b"\x02ns\xc0\x0c\x02hm\xc0\x0c" + struct.pack("!IIIII", 9, 1, 2,
                                                        3, 4)
    pkt += b"\xc0\x0c\x00\x06\x00\x01\x00\x00\x00\x64" + \
        struct.pack("!H", len(soa)) + soa
    msg = M.decode_message(pkt)
    naptr, aaaa, cn = (r.data for r in msg.answers)
    assert naptr == M.Naptr(10, 100, "s", "SIP+D2U", "", "_sip._udp.ex.test")
    assert aaaa == "1:203:405:607:809:a0b:c0d:e0f"
    assert msg.answers[2].name == "alias.ex.test" and cn == "www.ex.test"
    assert msg.authority[0].data == M.Soa("ns.ex.test", "hm.ex.test", 9, 1,
                                          2, 3, 4)


def test_build_query_exact_bytes():
    q = M.build_query(0x1234, "_sip._udp.ex.test", M.SRV)
    assert q == header(0x1234, 0x0100, 1, 0, 0, 0) + QNAME + \
        b"\x00\x21\x00\x01"


def test_encoder_compresses_names_and_round_trips():
    query = M.decode_message(M.build_query(0xBEEF, "_sip._udp.ex.test",
                                           M.SRV))
    reply = M.make_reply(query, answers=[
        M.RR("_sip._udp.ex.test", M.SRV, 1, 300,
             M.Srv(10, 20, 5070, "sip1.ex.test"))], additional=[
        M.RR("sip1.ex.test", M.A, 1, 60, "127.0.0.2")])
    data = M.encode_message(reply)
    # answer owner is a pointer to the question name (offset 12)
    assert data[35:37] == b"\xc0\x0c"
    # the additional owner "sip1.ex.test": label + pointer to "ex.test" (22)
    assert b"\x04sip1\xc0\x16\x00\x01\x00\x01" in data
    again = M.decode_message(data)
    assert again.answers == reply.answers
    assert again.additional == reply.additional
    assert again.header.qr == 1 and again.header.aa == 1


def test_round_trip_every_type():
    rrs = [M.RR("a.t", M.A, 1, 1, "10.0.0.1"),
           M.RR("a.t", M.AAAA, 1, 2, "2001:db8::1"),
           M.RR("c.t", M.CNAME, 1, 3, "a.t"),
           M.RR("1.0.0.10.in-addr.arpa", M.PTR, 1, 4, "a.t"),
           M.RR("t", M.NAPTR, 1, 5, M.Naptr(1, 2, "S", "SIPS+D2T", "",
                                            "_sips._tcp.t")),
           M.RR("t", M.SOA, 1, 6, M.Soa("ns.t", "hm.t", 1, 2, 3, 4, 5))]
    query = M.decode_message(M.build_query(1, "t", M.A))
    msg = M.decode_message(M.encode_message(M.make_reply(query, rrs)))
    assert msg.answers == rrs


@pytest.mark.parametrize("bad", [
    b"\x00\x01\x81\x80",                                    # short header
    header(1, 0x8180, 1, 0, 0, 0) + b"\x04ab",              # label past end
    header(1, 0x8180, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01",  # self ptr
    header(1, 0x8180, 1, 0, 0, 0) + b"\x01a\xc0\x0c\x00\x01\x00\x01",  # loop
    header(1, 0x8180, 1, 0, 0, 0) + b"\x01a\xc0\x40\x00\x01\x00\x01",  # fwd
    header(1, 0x8180, 1, 0, 0, 0) + b"\x41a\x00\x00\x01\x00\x01",  # label type
    header(1, 0x8180, 0, 1, 0, 0) + b"\x00\x00\x01\x00\x01\x00\x00\x00\x01"
    b"\x00\x05\x01\x02\x03\x04\x05",                        # A of 5 octets
    header(1, 0x8180, 0, 1, 0, 0) + b"\x00\x00\x01\x00\x01\x00\x00\x00\x01"
    b"\x00\x09\x01\x02",                                    # rdata past end
])
def test_malformed_messages_raise(bad):
    with pytest.raises(M.DnsFormatError):
        M.decode_message(bad)


def test_truncated_reply_decodes_what_it_can():
    full = srv_reply()
    cut = bytearray(full[:40])
    cut[2] |= 0x02                                   # TC
    msg = M.decode_message(bytes(cut))
    assert msg.header.tc and msg.questions and msg.answers == []


def test_bad_names_refused_by_encoder():
    with pytest.raises(M.DnsFormatError):
        M.encode_name("a" * 64 + ".test")
    with pytest.raises(M.DnsFormatError):
        M.encode_name("a..test")
    with pytest.raises(M.DnsFormatError):
        M.encode_name(".".join(["abcdefghi"] * 30))


def test_name_length_limit_on_decode():
    long_name = b"".join(b"\x3f" + b"a" * 63 for _ in range(5)) + b"\x00"
    pkt = header(1, 0, 1, 0, 0, 0) + long_name + b"\x00\x01\x00\x01"
    with pytest.raises(M.DnsFormatError):
        M.decode_message(pkt)
