"""The destination sets and their states, shared by every process.

Theory of operation
-------------------
Two shm blocks make one *generation* of the list:

* the **list blob** -- the loaded sets (``ds_list`` tuple) marshalled,
  immutable once published;
* the **state block** -- ``u32`` words every process updates in place:
  per destination ``flags`` (``DS_INACTIVE_DST`` / ``DS_PROBING_DST``) and
  ``failure_count`` (2 words, destinations numbered across all sets in
  list order), then per set the round-robin ``last`` index (1 word).

A 24-byte header holds ``generation, blob offset, state offset``.  One
shm :class:`~openser_py.mem.locking.Lock` guards the header and every
state word: selection (read flags, advance round-robin), marking, probing
results and MI all run their read-modify-write inside it, so a worker
never sees a half-done change and the round-robin counter is exact across
workers.  Nothing but ``struct`` work happens under the lock.

A reload (``mod_init`` in the master, MI ``ds_reload`` in whichever
process runs it) stores the new blob and a zeroed state block first,
swaps the header under the lock (generation + 1), then frees the old
blocks -- every reader checks the generation under the lock before it
touches a state word, so a freed block is never written.  Each process
keeps the decoded list of the generation it last saw and re-reads the
blob only when the generation moved (one 8-byte read per request
otherwise).  As in 1.3 a reload starts every destination active.
"""
import marshal
import struct

from openser_py.mem import shm_mem
from openser_py.mem.locking import Lock

_HDR = struct.Struct("<QQQ")
_GEN = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_DEST = struct.Struct("<II")

DS_INACTIVE_DST = 1
DS_PROBING_DST = 2
DS_RESET_FAIL_DST = 4


class DsSet:
    """One destination set as a process sees it (immutable)."""
    __slots__ = ("id", "pos", "dests", "base")

    def __init__(self, setid, pos, dests, base):
        self.id = setid          # set id
        self.pos = pos           # position in the list (round-robin word)
        self.dests = dests       # ((uri, ip, port), ...)
        self.base = base         # state index of the first destination


class DsView:
    """Access to the state words while the store's lock is held."""
    __slots__ = ("buf", "n_dests")

    def __init__(self, buf, n_dests):
        self.buf = buf
        self.n_dests = n_dests

    def flags(self, k):
        """Flags of destination *k*."""
        return _U32.unpack_from(self.buf, 8 * k)[0]

    def dest(self, k):
        """``(flags, failure_count)`` of destination *k*."""
        return _DEST.unpack_from(self.buf, 8 * k)

    def set_dest(self, k, flags, fails):
        """Store flags and failure count of destination *k*."""
        _DEST.pack_into(self.buf, 8 * k, flags & 0xFFFFFFFF, fails)

    def last(self, s):
        """Round-robin index of set position *s*."""
        return _U32.unpack_from(self.buf, 8 * self.n_dests + 4 * s)[0]

    def set_last(self, s, value):
        """Store the round-robin index of set position *s*."""
        _U32.pack_into(self.buf, 8 * self.n_dests + 4 * s, value)


class DsStore:
    """The shared list; create in ``mod_init`` (before fork)."""

    def __init__(self):
        off = shm_mem.shm_malloc(_HDR.size)
        if not off:
            raise MemoryError("no shm for the dispatcher list")
        self._off = off
        self._hdr = shm_mem.shm_buf(off, _HDR.size)
        _HDR.pack_into(self._hdr, 0, 0, 0, 0)
        self.lock = Lock()
        self._seen = -1
        self._sets = ()
        self._by_id = {}
        self._n_dests = 0
        self._state = (0, None)

    # -- publishing -------------------------------------------------------

    def replace(self, sets):
        """Publish *sets* (``ds_list`` tuple) as a new generation, every
        destination active; False when shm is short."""
        blob = shm_mem.shm_put_bytes(marshal.dumps(sets))
        if not blob:
            return False
        n_dests = sum(len(d) for _s, d in sets)
        size = max(8, 8 * n_dests + 4 * len(sets))
        state = shm_mem.shm_malloc(size)
        if not state:
            shm_mem.shm_free(blob)
            return False
        buf = shm_mem.shm_buf(state, size)
        buf[:] = bytes(size)
        buf.release()
        with self.lock:
            gen, old_blob, old_state = _HDR.unpack_from(self._hdr, 0)
            _HDR.pack_into(self._hdr, 0, gen + 1, blob, state)
        for o in (old_blob, old_state):
            if o:
                shm_mem.shm_free(o)
        return True

    def generation(self):
        """The current generation (0 = never loaded)."""
        return _GEN.unpack_from(self._hdr, 0)[0]

    # -- reading ----------------------------------------------------------

    def _refresh_locked(self, gen, blob, state):
        sets = marshal.loads(bytes(shm_mem.shm_get_bytes(blob))) \
            if blob else ()
        out, by_id, base = [], {}, 0
        for pos, (setid, dests) in enumerate(sets):
            s = DsSet(setid, pos, dests, base)
            base += len(dests)
            out.append(s)
            by_id.setdefault(setid, s)
        size = max(8, 8 * base + 4 * len(out))
        self._sets, self._by_id, self._n_dests = tuple(out), by_id, base
        self._state = (state, shm_mem.shm_buf(state, size) if state
                       else None)
        self._seen = gen

    def _current_locked(self):
        gen, blob, state = _HDR.unpack_from(self._hdr, 0)
        if gen != self._seen or state != self._state[0]:
            self._refresh_locked(gen, blob, state)

    def sets(self):
        """The sets of the current generation (tuple of DsSet)."""
        if _GEN.unpack_from(self._hdr, 0)[0] != self._seen:
            with self.lock:
                self._current_locked()
        return self._sets

    def get_set(self, setid):
        """The DsSet with id *setid* or None."""
        self.sets()
        return self._by_id.get(setid)

    def locked(self):
        """Context manager: hold the lock, yields ``(sets, by_id, view)``
        for the current generation (view is None when nothing is
        loaded)."""
        return _Locked(self)

    def destroy(self):
        """Free the shm blocks (shutdown)."""
        if not self._off:
            return
        try:
            gen, blob, state = _HDR.unpack_from(self._hdr, 0)
            self._hdr.release()
            for o in (blob, state, self._off):
                if o:
                    shm_mem.shm_free(o)
        except (RuntimeError, ValueError):
            pass
        self._off = 0


class _Locked:
    __slots__ = ("store",)

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        st = self.store
        st.lock.acquire()
        try:
            st._current_locked()
        except BaseException:
            st.lock.release()
            raise
        buf = st._state[1]
        view = DsView(buf, st._n_dests) if buf is not None else None
        return st._sets, st._by_id, view

    def __exit__(self, *exc):
        self.store.lock.release()
        return False
