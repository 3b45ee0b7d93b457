"""Nonces and nonce-count replay protection (OpenSER ``auth/nonce.c``).

Theory of operation
-------------------
A nonce is 48 lowercase hex characters::

    EEEEEEEE IIIIIIII MMMMMMMM...(32)
    expiry   index    HMAC-MD5(secret, "EEEEEEEEIIIIIIII")

* ``expiry`` -- big-endian 32-bit Unix time at which the nonce turns stale
  (now + ``nonce_expire``), as in 1.3 (reference §7.1);
* ``index`` -- a 32-bit number taken from a counter in shm, unique among
  the nonces of one server start, naming the nonce's slot in the
  nonce-count table (below);
* the MAC -- RFC 2104 HMAC-MD5 keyed with the module's ``secret`` over the
  first 16 characters.  1.3 uses MD5(expiry ‖ secret) and 40 characters;
  the HMAC and the index are this port's additions (forgery resistance and
  nc tracking).  The secret is random per start unless set, and is chosen
  in ``mod_init`` (before fork), so every worker accepts every worker's
  nonces.

A nonce is *invalid* when its length, its hex digits or its MAC are wrong
(forged, from another server or a previous start) and *stale* when valid
but past its expiry.

Nonce-count (RFC 2617 §3.2.2, qop=auth): a client sends ``nc`` = 1, 2, 3
... for the requests it authenticates with one nonce.  :class:`NcTable` is
an array of ``size`` slots in shm, slot ``index % size`` holding
``(index, highest nc seen)``.  A challenge claims a new index and resets its
slot to ``(index, 0)``; an authorization with qop is accepted only when
the slot still belongs to that index and ``nc`` is higher than the highest
seen, which then becomes ``nc``.  So a replayed (or re-ordered, lower) nc is
rejected, and so is a nonce whose slot was reused after ``size`` newer
challenges (it is treated as stale: the client is simply re-challenged).
Slots are protected by a striped :class:`~openser_py.mem.locking.LockSet`
and the index counter by its own lock; nothing else is done while a lock is
held.
"""
import hashlib
import hmac
import os
import string
import struct
import time

from openser_py.mem import shm
from openser_py.mem.locking import Lock, LockSet

NONCE_LEN = 48
_HEX = frozenset("0123456789abcdef")

# check_nonce results
NONCE_OK = 0
NONCE_INVALID = 1
NONCE_STALE = 2

# nc_check results
NC_OK = 0
NC_REPLAY = 1       # nc not higher than the highest seen for this nonce
NC_TOO_OLD = 2      # the nonce's slot was reused (or never existed)

_SLOT = struct.Struct("<II")
_CTR = struct.Struct("<I")


def random_secret(n=32):
    """``n`` random printable characters (1.3's default secret)."""
    alphabet = string.ascii_letters + string.digits
    raw = os.urandom(n)
    return "".join(alphabet[b % len(alphabet)] for b in raw)


def _mac(secret, head):
    key = secret.encode("latin-1") if isinstance(secret, str) else secret
    return hmac.new(key, head.encode("ascii"), hashlib.md5).hexdigest()


def calc_nonce(expires, index, secret):
    """The nonce for absolute *expires* time and slot *index*."""
    head = "%08x%08x" % (int(expires) & 0xFFFFFFFF, index & 0xFFFFFFFF)
    return head + _mac(secret, head)


def parse_nonce(nonce):
    """``(expires, index)`` of a well-formed nonce, else None (no MAC check)."""
    if nonce is None or len(nonce) != NONCE_LEN or not _HEX.issuperset(nonce):
        return None
    return int(nonce[0:8], 16), int(nonce[8:16], 16)


def nonce_mac_ok(nonce, secret):
    """True when *nonce* is well formed and carries our MAC."""
    if parse_nonce(nonce) is None:
        return False
    return hmac.compare_digest(_mac(secret, nonce[:16]), nonce[16:])


def check_nonce(nonce, secret, now=None):
    """``NONCE_OK``, ``NONCE_INVALID`` (format/MAC) or ``NONCE_STALE``."""
    if not nonce_mac_ok(nonce, secret):
        return NONCE_INVALID
    parsed = parse_nonce(nonce)
    if now is None:
        now = time.time()
    if parsed[0] < int(now):
        return NONCE_STALE
    return NONCE_OK


def is_nonce_stale(nonce, now=None):
    """True when the (well-formed) nonce's expiry time has passed."""
    parsed = parse_nonce(nonce)
    if parsed is None:
        return True
    return parsed[0] < int(time.time() if now is None else now)


def parse_nc(nc):
    """nc-value = 8LHEX (RFC 2617 §3.2.2) -> int, None if malformed."""
    if nc is None or len(nc) != 8 or not _HEX.issuperset(nc.lower()):
        return None
    return int(nc, 16)


class NcTable:
    """Nonce indexes and their highest nonce-count, in shm (see above).

    Create it in ``mod_init`` (before fork).  ``size`` slots of 8 bytes.
    Raises MemoryError when shm is short.
    """

    def __init__(self, size=65536, n_locks=64, allocator=None):
        a = allocator or shm.get_allocator()
        if a is None:
            raise RuntimeError("shm is not initialised")
        if size < 1:
            raise ValueError("nc table size must be >= 1")
        nbytes = 8 + _SLOT.size * size
        off = a.malloc(nbytes, 2)
        if not off:
            raise MemoryError("not enough shm for %d nonce slots" % size)
        a.view[off:off + nbytes] = bytes(nbytes)
        self._alloc, self._off, self._nbytes = a, off, nbytes
        self._view = a.view[off:off + nbytes]
        self.size = size
        self._ctr_lock = Lock()
        self._locks = LockSet(min(n_locks, size))
        _CTR.pack_into(self._view, 0, 1)        # index 0 is never used

    def new_index(self):
        """Claim the next nonce index and reset its slot (nc = 0)."""
        view = self._view
        with self._ctr_lock:
            idx = _CTR.unpack_from(view, 0)[0]
            nxt = idx + 1 if idx < 0xFFFFFFFF else 1
            _CTR.pack_into(view, 0, nxt)
        slot = idx % self.size
        with self._locks.get(slot):
            _SLOT.pack_into(view, 8 + _SLOT.size * slot, idx, 0)
        return idx

    def check(self, index, nc):
        """Record *nc* for nonce *index*: ``NC_OK``, ``NC_REPLAY`` or
        ``NC_TOO_OLD`` (the slot belongs to another nonce now)."""
        slot = index % self.size
        pos = 8 + _SLOT.size * slot
        view = self._view
        with self._locks.get(slot):
            owner, highest = _SLOT.unpack_from(view, pos)
            if owner != index or index == 0:
                return NC_TOO_OLD
            if nc <= highest:
                return NC_REPLAY
            _SLOT.pack_into(view, pos, index, nc)
        return NC_OK

    def destroy(self):
        """Give the shm block back (shutdown)."""
        if self._off:
            self._view.release()
            self._alloc.free(self._off, 2)
            self._off = 0
