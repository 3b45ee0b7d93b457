"""``perm_hash``: 1.3's ``core_hash(s, 0, PERM_HASH_SIZE)`` (bucket numbers
shown by the MI dumps)."""
from openser_py.core.hash_func import core_hash

PERM_HASH_SIZE = 128


def perm_hash(data):
    """Bucket (0..127) of *data* (str as latin-1, or bytes)."""
    return core_hash(data, None, PERM_HASH_SIZE)
