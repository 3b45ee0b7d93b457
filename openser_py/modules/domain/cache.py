"""The domain list shared by all processes (OpenSER ``domain/hash.c``).

Theory of operation
-------------------
The list lives in shm as one length-prefixed blob (the domains as written
in the table, ``\\n``-separated, latin-1) plus a 16-byte header::

    u64 generation    incremented by every reload
    u64 blob offset   the current list (0 = never loaded)

The header and the blob pointer are changed only under the cache's shm
lock.  :meth:`DomainCache.replace` (``mod_init`` in the master, or MI
``domain_reload`` in whichever process runs it) stores the new blob first,
then swaps the pointer and bumps the generation under the lock, and frees
the old blob after releasing it -- a reader copies the blob while holding
the lock, so the old one is never read after the swap.

Every process keeps a private ``frozenset`` of the lower-cased domains and
the generation it was built from.  A lookup reads the generation (one
aligned 8-byte load, no lock); only when it changed does the process take
the lock, copy the blob and rebuild its set.  So a reload becomes visible
to every worker at its next lookup, and lookups stay lock-free otherwise.
"""
import struct

from openser_py.mem import shm_mem
from openser_py.mem.locking import Lock

_HDR = struct.Struct("<QQ")
_GEN = struct.Struct("<Q")


class DomainCache:
    """Shared domain list; create in ``mod_init`` (before fork)."""

    def __init__(self):
        off = shm_mem.shm_malloc(_HDR.size)
        if not off:
            raise MemoryError("no shm for the domain cache")
        self._off = off
        self._hdr = shm_mem.shm_buf(off, _HDR.size)
        _HDR.pack_into(self._hdr, 0, 0, 0)
        self._lock = Lock()
        self._seen = -1
        self._names = ()
        self._set = frozenset()

    def replace(self, domains):
        """Publish *domains* (iterable of str); False when shm is short."""
        names = [d for d in domains if d]
        blob = shm_mem.shm_put_bytes("\n".join(names).encode("latin-1"))
        if not blob:
            return False
        with self._lock:
            gen, old = _HDR.unpack_from(self._hdr, 0)
            _HDR.pack_into(self._hdr, 0, gen + 1, blob)
        if old:
            shm_mem.shm_free(old)
        return True

    def generation(self):
        """The current generation (0 = never loaded)."""
        return _GEN.unpack_from(self._hdr, 0)[0]

    def _refresh(self):
        gen = _GEN.unpack_from(self._hdr, 0)[0]
        if gen == self._seen:
            return
        with self._lock:
            gen, blob = _HDR.unpack_from(self._hdr, 0)
            data = bytes(shm_mem.shm_get_bytes(blob)) if blob else b""
        text = data.decode("latin-1")
        self._names = tuple(text.split("\n")) if text else ()
        self._set = frozenset(n.lower() for n in self._names)
        self._seen = gen

    def contains(self, domain):
        """Case-insensitive membership (after catching up with reloads)."""
        self._refresh()
        return domain.lower() in self._set

    def domains(self):
        """The domains as written in the table (current generation)."""
        self._refresh()
        return self._names

    def destroy(self):
        """Free the shm blocks (shutdown)."""
        if not self._off:
            return
        try:
            blob = _HDR.unpack_from(self._hdr, 0)[1]
            self._hdr.release()
            if blob:
                shm_mem.shm_free(blob)
            shm_mem.shm_free(self._off)
        except (RuntimeError, ValueError):
            pass
        self._off = 0
