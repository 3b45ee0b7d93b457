"""Local To-tags (openser_py.parser.tags): MD5 prefix + CRC-16 suffix.

OpenSER's crc.c is the reflected CCITT CRC (table for 0x8408), init 0xFFFF,
result complemented: the catalogued CRC-16/X-25, check value 0x906E for
"123456789" (CCITT-FALSE would give 0x29B1).  The suffix is printed
least-significant nibble first.
"""
import hashlib

import pytest

from openser_py.parser import tags
from openser_py.parser.msg import parse_msg


def x25_bitwise(data):
    """Independent bit-at-a-time CRC-16/X-25 (no table)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def test_catalogue_check_value():
    assert tags.crcitt_string(b"123456789") == 0x906E
    assert tags.crcitt_string("123456789") == 0x906E
    assert tags.crcitt_string(b"123456789") != 0x29B1   # not CCITT-FALSE


@pytest.mark.parametrize("data, value", [
    (b"", 0x0000),
    (b"A", 0xA3F5),
    (b"10.0.0.1", 0x6F8B),
    (b"\xe9\xff", 0x3EBE),
])
def test_known_values(data, value):
    assert tags.crcitt_string(data) == value
    assert x25_bitwise(data) == value


@pytest.mark.parametrize("data", [
    b"z9hG4bK776asdhds", bytes(range(256)), b"\x00" * 17, b"\xff\xfe",
])
def test_table_matches_bitwise(data):
    assert tags.crcitt_string(data) == x25_bitwise(data)


def test_reverse_hex_is_nibble_reversed_and_padded():
    assert tags.reverse_hex(0x906E, 4) == "e609"
    assert tags.reverse_hex(0x0012, 4) == "2100"
    assert tags.reverse_hex(0x1230, 4) == "0321"
    assert tags.reverse_hex(0, 4) == "0000"


def test_string_array_equals_concatenation():
    assert tags.crcitt_string_array(["123", "", None, "456789"]) == "e609"
    assert tags.crcitt_string_array([]) == "0000"


def test_init_tags_md5_of_prefix_ip_port():
    expected = hashlib.md5(b"OpenSER-stateless192.168.0.15060").hexdigest()
    assert expected == "20449e3a4eebea4d5942c52f0e76723e"
    assert tags.init_tags(tags.SL_SIGNATURE, "192.168.0.1", 5060) == expected
    assert tags.init_tags(tags.SL_SIGNATURE, "192.168.0.1", "5060") == \
        expected
    assert tags.init_tags(tags.TM_SIGNATURE, "192.168.0.1", 5060) == \
        "3312d492cfcb608e5ab438181f7f03b7"


BASE = (b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP %s\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.77;branch=z9hG4bKother\r\n"
        b"From: <sip:a@example.com>;tag=1\r\n"
        b"To: <sip:bob@example.com>\r\n"
        b"Call-ID: c\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Content-Length: 0\r\n\r\n")


@pytest.mark.parametrize("sent_by, suffix", [
    # CRC over host "10.0.0.1", port string "5060", branch value
    (b"10.0.0.1:5060;branch=z9hG4bK776asdhds", "2bff"),       # 0xFFB2
    # no port: empty port string
    (b"10.0.0.1;branch=z9hG4bK776asdhds", "0f78"),            # 0x87F0
    # no branch parameter: host + port only
    (b"10.0.0.1", "b8f6"),                                    # 0x6F8B
    # IPv6 host keeps its brackets
    (b"[2001:db8::1]:5070;branch=z9hG4bKabc", "4f06"),        # 0x60F4
])
def test_calc_crc_suffix(sent_by, suffix):
    m = parse_msg(BASE % sent_by)
    assert tags.calc_crc_suffix(m) == suffix
    assert tags.calc_crc_suffix(m, "pfx.") == "pfx." + suffix


def test_suffix_depends_only_on_first_via():
    a = parse_msg(BASE % b"10.0.0.1:5060;branch=z9hG4bK776asdhds")
    b = parse_msg((BASE % b"10.0.0.1:5060;branch=z9hG4bK776asdhds")
                  .replace(b"z9hG4bKother", b"z9hG4bKdifferent"))
    assert tags.calc_crc_suffix(a) == tags.calc_crc_suffix(b)


def test_build_totag_sl_and_tm():
    m = parse_msg(BASE % b"10.0.0.1:5060;branch=z9hG4bK776asdhds")
    assert tags.build_totag(tags.SL_SIGNATURE, tags.SL_SEPARATOR,
                            "192.168.0.1", 5060, m) == \
        "20449e3a4eebea4d5942c52f0e76723e.2bff"
    assert tags.build_totag(tags.TM_SIGNATURE, tags.TM_SEPARATOR,
                            "192.168.0.1", 5060, m) == \
        "3312d492cfcb608e5ab438181f7f03b7-2bff"


def test_fast_crcitt_equals_the_byte_loop_reference():
    import random
    from openser_py.parser import tags
    rnd = random.Random(1234)
    for _ in range(2000):
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 80)))
        start = rnd.randrange(0x10000)
        assert tags.crcitt(data, start) == tags._crcitt_table(data, start)
