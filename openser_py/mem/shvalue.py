"""A value shared by all processes: one marshalled blob in shm.

Theory of operation
-------------------
A 16-byte shm header holds ``generation, blob offset``.  :meth:`publish`
(``mod_init`` in the master, MI reloads in whichever process runs them)
stores the new blob, swaps the header under the lock (generation + 1)
and frees the old blob afterwards; :meth:`get` compares the generation
(one 8-byte read, no lock) with the one its process decoded last and only
on a change copies the blob under the lock and rebuilds the process's
private view with the *build* function given to the constructor (so
regexes are compiled once per process and generation).  A reload is seen
by every worker at its next check.
"""
import marshal
import struct

from openser_py.mem import shm_mem
from openser_py.mem.locking import Lock

_HDR = struct.Struct("<QQ")
_GEN = struct.Struct("<Q")


class SharedValue:
    """Shared marshal-able value; create in ``mod_init`` (before fork).

    Used by the domain list (domain), the trusted and address tables
    (permissions); *build* turns the published value into the process's
    private view."""

    def __init__(self, build=lambda v: v, what="a shared value"):
        off = shm_mem.shm_malloc(_HDR.size)
        if not off:
            raise MemoryError("no shm for %s" % what)
        self._off = off
        self._hdr = shm_mem.shm_buf(off, _HDR.size)
        _HDR.pack_into(self._hdr, 0, 0, 0)
        self._lock = Lock()
        self._build = build
        self._seen = -1
        self._raw = None
        self._view = None

    def publish(self, value):
        """Make *value* the current one; False when shm is short."""
        blob = shm_mem.shm_put_bytes(marshal.dumps(value))
        if not blob:
            return False
        with self._lock:
            gen, old = _HDR.unpack_from(self._hdr, 0)
            _HDR.pack_into(self._hdr, 0, gen + 1, blob)
        if old:
            shm_mem.shm_free(old)
        return True

    def _refresh(self):
        if _GEN.unpack_from(self._hdr, 0)[0] == self._seen:
            return
        with self._lock:
            gen, blob = _HDR.unpack_from(self._hdr, 0)
            data = bytes(shm_mem.shm_get_bytes(blob)) if blob else None
        self._raw = marshal.loads(data) if data is not None else None
        self._view = self._build(self._raw) if data is not None else None
        self._seen = gen

    def generation(self):
        """The current generation (0 = never published)."""
        return _GEN.unpack_from(self._hdr, 0)[0]

    def get(self):
        """The process's view of the current value (None before the first
        publish)."""
        self._refresh()
        return self._view

    def raw(self):
        """The current value as published."""
        self._refresh()
        return self._raw

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
