"""core_hash against an independent C-semantics model (ctypes uint32/int8)."""
import random

import pytest

from openser_py.core.hash_func import core_hash, hash_reduce, hash_sum
from tests.modules.dispatcher.dsutil import c_core_sum


def c_core_hash(s1, s2, size):
    h = c_core_sum(s1) + (c_core_sum(s2) if s2 is not None else 0)
    h &= 0xFFFFFFFF
    h = ((h + (h >> 11)) + ((h >> 13) + (h >> 23))) & 0xFFFFFFFF
    return h & (size - 1)


@pytest.mark.parametrize("data", [
    b"", b"a", b"abc", b"abcd", b"abcde", b"3848276298220188511@atlanta",
    b"\xff\xfe\x80caf\xe9", bytes(range(256))])
def test_sum_matches_c_semantics(data):
    assert hash_sum(data) & 0xFFFFFFFF == c_core_sum(data)
    assert hash_sum(data.decode("latin-1")) & 0xFFFFFFFF == c_core_sum(data)


def test_core_hash_matches_c_semantics_on_random_strings():
    rnd = random.Random(7)
    for _ in range(300):
        a = bytes(rnd.randrange(256) for _ in range(rnd.randrange(40)))
        b = bytes(rnd.randrange(256) for _ in range(rnd.randrange(12)))
        for size in (128, 65536):
            assert core_hash(a, b, size) == c_core_hash(a, b, size)
        assert core_hash(a, None, 128) == c_core_hash(a, None, 128)


def test_full_word_and_reduce():
    assert core_hash(b"x") == hash_reduce(hash_sum(b"x"))
    assert 0 <= core_hash(b"Call-ID-1", b"1") <= 0xFFFFFFFF
