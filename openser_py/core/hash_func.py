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


def _word_table(n):
    """``(mask, Struct)`` for the first ``n`` bytes (``n`` a multiple of 4)."""
    words = n >> 2
    tab = _WORDS[n] = (int.from_bytes(b"\x1f\xff\xff\xff" * words, "big"),
                       struct.Struct(">%dI" % words))
    return tab


def hash_sum(s):
    """``core_hash``'s sum for one string (str as latin-1, or bytes), not
    yet reduced mod 2**32."""
    if isinstance(s, str):
        b = s.encode("latin-1", "replace")
    else:
        b = bytes(s)
    if b.isascii():
        # unsigned == signed.  All words at once: the string as one big
        # integer x; x ^ (x >> 3) with the 3 bits every word would take
        # from the word before it masked off is every ``v ^ (v >> 3)``,
        # in place; the words of that are summed.
        size = len(b)
        n = size & ~3
        x = int.from_bytes(b, "big")
        t = 0
        if n != size:                   # the tail: a last short word
            shift = (size - n) << 3
            v = x & ((1 << shift) - 1)
            x >>= shift
            t = v ^ (v >> 3)
        if not n:
            return t
        mask, st = _WORDS.get(n) or _word_table(n)
        return sum(st.unpack((x ^ ((x >> 3) & mask)).to_bytes(n, "big"))) + t
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
    h = hash_reduce(h)
    return h & (size - 1) if size else h
