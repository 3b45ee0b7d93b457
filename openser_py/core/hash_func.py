"""OpenSER's ``core_hash`` (``hash_func.h``), shared by every module that
hashes strings into buckets the way 1.3 does (tm's transaction table,
dispatcher's selection, permissions' tables), so bucket numbers and
dispatcher choices match a C OpenSER's.

``core_hash(s1, s2, size)`` sums, over each string, the big-endian 32-bit
words ``v ^ (v >> 3)`` (the tail bytes form a last short word), reduces the
sum with ``h + (h>>11) + (h>>13) + (h>>23)`` and keeps ``size - 1`` bits.
Bytes are C ``char``, i.e. signed, as on the x86 builds.
"""
import struct

M32 = 0xFFFFFFFF
_WORDS = {}


def _sc(c):
    """A byte as a signed C char."""
    return c - 256 if c > 127 else c


def _word_table(size):
    """``(n, tail bits, tail mask, word mask, unpack)`` for a ``size`` bytes
    string: ``n`` bytes of whole words, then the tail (a short word)."""
    n = size & ~3
    words = n >> 2
    bits = (size - n) << 3
    tab = _WORDS[size] = (n, bits, (1 << bits) - 1,
                          int.from_bytes(b"\x1f\xff\xff\xff" * words, "big"),
                          struct.Struct(">%dI" % words).unpack)
    return tab


def hash_sum(s):
    """``core_hash``'s sum for one string (str as latin-1, or bytes), not
    yet reduced mod 2**32."""
    # tm hashes every request's Call-ID and CSeq number: ASCII str first,
    # few calls (each C call costs as much as the arithmetic)
    if s.__class__ is str and s.isascii():
        b = s.encode()
    else:
        b = s.encode("latin-1", "replace") if isinstance(s, str) \
            else bytes(s)
        if not b.isascii():
            return _signed_sum(b)
    # unsigned == signed from here
    size = len(b)
    if size < 4:                        # one short word (a CSeq number)
        v = 0
        for c in b:
            v = (v << 8) + c
        return v ^ (v >> 3)
    # All words at once: the string as one big integer x; x ^ (x >> 3)
    # with the 3 bits every word would take from the word before it
    # masked off is every ``v ^ (v >> 3)``, in place; the words of that
    # are summed.
    n, bits, tmask, mask, unpack = _WORDS.get(size) or _word_table(size)
    x = int.from_bytes(b, "big")
    if not bits:
        return sum(unpack((x ^ ((x >> 3) & mask)).to_bytes(n, "big")))
    v = x & tmask                       # the tail: a last short word
    x >>= bits
    return sum(unpack((x ^ ((x >> 3) & mask)).to_bytes(n, "big"))) \
        + (v ^ (v >> 3))


def _signed_sum(b):
    """:func:`hash_sum` of bytes that are not all ASCII (signed chars)."""
    n = len(b) & ~3
    h = 0
    for i in range(0, n, 4):
        v = ((_sc(b[i]) << 24) + (_sc(b[i + 1]) << 16) + (_sc(b[i + 2]) << 8)
             + _sc(b[i + 3])) & M32
        h += v ^ (v >> 3)
    v = 0
    for c in b[n:]:
        v = ((v << 8) + _sc(c)) & M32
    return h + (v ^ (v >> 3))


def hash_reduce(h):
    """The final mixing step on a (32-bit wrapped) sum."""
    h &= M32
    return ((h + (h >> 11)) + ((h >> 13) + (h >> 23))) & M32


def core_hash(s1, s2=None, size=0):
    """``core_hash(s1, s2, size)``; *size* a power of two (0 = full word)."""
    h = hash_sum(s1)
    if s2 is not None:
        h += hash_sum(s2)
    h &= M32                            # hash_reduce, inlined
    h = (h + (h >> 11) + (h >> 13) + (h >> 23)) & M32
    return h & (size - 1) if size else h
