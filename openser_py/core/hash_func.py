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


def hash_sum(s):
    """``core_hash``'s sum for one string (str as latin-1, or bytes), not
    yet reduced mod 2**32."""
    if isinstance(s, str):
        b = s.encode("latin-1", "replace")
    else:
        b = bytes(s)
    n = len(b) & ~3
    if b.isascii():                     # unsigned == signed: fast path
        st = _WORDS.get(n)
        if st is None:
            st = _WORDS[n] = struct.Struct(">%dI" % (n >> 2))
        h = sum([v ^ (v >> 3) for v in st.unpack_from(b)])
        v = int.from_bytes(b[n:], "big")
        return h + (v ^ (v >> 3))
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
