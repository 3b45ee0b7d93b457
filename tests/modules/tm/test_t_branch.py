"""Our Via branch (z9hG4bK + reverse hex ids) and the tm To-tag."""
import hashlib

import pytest

from openser_py.modules.tm import t_branch as B
from openser_py.parser import tags

from .conftest import req


@pytest.mark.parametrize("nr,text", [
    (0, "0"), (1, "1"), (0xf, "f"), (0x10, "01"), (0x1f3, "3f1"),
    (0xabcd, "dcba"), (0xFFFF, "ffff"), (0x12345678, "87654321")])
def test_int2reverse_hex_least_significant_nibble_first(nr, text):
    assert B.int2reverse_hex(nr) == text
    assert B.reverse_hex2int(text) == nr


def test_reverse_hex2int_accepts_upper_case_rejects_garbage():
    assert B.reverse_hex2int("DCBA") == 0xabcd
    assert B.reverse_hex2int("1g") == -1
    assert B.reverse_hex2int("") == 0
    # like C unsigned arithmetic: only the 8 least significant nibbles stay
    assert B.reverse_hex2int("876543219") == 0x12345678


@pytest.mark.parametrize("h,label,br", [
    (0, 0, 0), (1, 1, 1), (65535, 0xFFFFFFFF, 11), (0x1234, 77, 10),
    (40000, 123456, 5)])
def test_branch_round_trip(h, label, br):
    value = B.branch_value(h, label, br)
    assert value.startswith("z9hG4bK")
    assert B.parse_branch(value) == (h, label, br)


def test_branch_layout_matches_openser():
    # hash 0x1f3 -> "3f1", label 0x2a -> "a2", branch 0 -> "0"
    assert B.branch_value(0x1f3, 0x2a, 0) == "z9hG4bK3f1.a2.0"


@pytest.mark.parametrize("value", [
    None, "", "z9hG4bK", "z9hG4bKabc", "Z9HG4BK1.2.3", "1.2.3",
    "z9hG4bK.1.2", "z9hG4bK1..2", "z9hG4bK1.2.", "z9hG4bK1.2",
    "z9hG4bKx.2.3", "z9hG4bK1.y.3", "z9hG4bK1.2.z", "z9hG4bK1.2.3.4",
    "z9hG4bK00001.2.3",          # hash 0x10000: outside the table
    "z9hG4bK1.2.c",              # branch 12 >= MAX_BRANCHES
    "z9hG4bK1.2.3;x",
])
def test_not_our_branch(value):
    assert B.parse_branch(value) is None


def test_has_cookie():
    assert B.has_cookie("z9hG4bKx")
    assert not B.has_cookie("z9hG4bK")
    assert not B.has_cookie("abc")
    assert not B.has_cookie(None)


def test_tm_totag_is_md5_dash_crc():
    msg = req()
    md5 = hashlib.md5(b"OpenSER-TM/tags10.0.0.15060").hexdigest()
    crc = tags.crcitt_string_array(("192.0.2.99", "5062", "z9hG4bKabc123"))
    expected = md5 + "-" + crc
    assert B.tm_totag("10.0.0.1", 5060, msg) == expected
    assert B.TmTagger("10.0.0.1", 5060).totag(msg) == expected
    # another Via gives another suffix, same prefix
    other = B.TmTagger("10.0.0.1", 5060).totag(
        req(via="SIP/2.0/UDP 192.0.2.98;branch=z9hG4bKzz"))
    assert other[:33] == expected[:33] and other != expected
