"""hash_sum's ASCII fast path (all words at once) against the word loop."""
import random

from openser_py.core.hash_func import core_hash, hash_sum
from tests.modules.dispatcher.dsutil import c_core_sum


def word_loop_sum(data):
    """The plain ``core_hash`` sum (bytes < 0x80: signed == unsigned)."""
    n = len(data) & ~3
    h = 0
    for i in range(0, n, 4):
        v = int.from_bytes(data[i:i + 4], "big")
        h += v ^ (v >> 3)
    v = int.from_bytes(data[n:], "big")
    return h + (v ^ (v >> 3))


def test_ascii_sum_is_exact_for_every_length():
    rnd = random.Random(11)
    for size in range(0, 130):
        for _ in range(20):
            data = bytes(rnd.randrange(128) for _ in range(size))
            assert hash_sum(data) == word_loop_sum(data)
            assert hash_sum(data.decode("ascii")) == word_loop_sum(data)
            assert hash_sum(data) & 0xFFFFFFFF == c_core_sum(data)


def test_ascii_extremes():
    for data in (b"\x7f" * 33, b"\x00" * 9, b"\x07\x00\x00\x00" * 5,
                 b"1", b"12345", b"3848276298220188511@atlanta"):
        assert hash_sum(data) == word_loop_sum(data)


def test_call_id_bucket_unchanged():
    # what a C OpenSER computes for this Call-ID / CSeq number
    a, b = b"123-1@127.0.0.1", b"1"
    h = (c_core_sum(a) + c_core_sum(b)) & 0xFFFFFFFF
    h = ((h + (h >> 11)) + ((h >> 13) + (h >> 23))) & 0xFFFFFFFF
    assert core_hash(a.decode(), b.decode(), 65536) == h & 0xFFFF
