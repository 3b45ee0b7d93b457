"""``perm_hash``: 1.3's ``core_hash(s, 0, PERM_HASH_SIZE)`` (bucket numbers
shown by the MI dumps)."""
PERM_HASH_SIZE = 128
_M32 = 0xFFFFFFFF


def _sc(b):
    return b - 256 if b > 127 else b


def perm_hash(data):
    """Bucket (0..127) of *data* (str as latin-1, or bytes)."""
    b = data.encode("latin-1", "replace") if isinstance(data, str) else data
    h = 0
    n = len(b) & ~3
    for i in range(0, n, 4):
        v = ((_sc(b[i]) << 24) + (_sc(b[i + 1]) << 16) + (_sc(b[i + 2]) << 8)
             + _sc(b[i + 3])) & _M32
        h += v ^ (v >> 3)
    v = 0
    for i in range(n, len(b)):
        v = ((v << 8) + _sc(b[i])) & _M32
    h = (h + (v ^ (v >> 3))) & _M32
    h = ((h + (h >> 11)) + ((h >> 13) + (h >> 23))) & _M32
    return h & (PERM_HASH_SIZE - 1)
