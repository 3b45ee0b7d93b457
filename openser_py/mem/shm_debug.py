"""Debug layer of the shm allocator (``DBG_QM_MALLOC`` / ``DBG_F_MALLOC``).

In debug mode every allocation is a fragment whose payload starts with a
64-byte *debug head* and, in guard mode, carries an 8-byte guard right after
the bytes the caller asked for::

    p      : u32 magic (LIVE or FREED), u32 requested size, 56s allocation site
    p + 64 : the caller's bytes (this is the handle returned by malloc)
    p + 64 + size : u32 GUARD1, u32 GUARD2        (guard mode only)

The site is ``dir/file.py:line:function`` of the caller, truncated to 56
bytes.  Sites are computed once per (code object, line) per process.

``free`` checks, under the mem lock, in this order: pointer range; boundary
tags (``_validate``); magic word (FREED -> double free, other -> bad
pointer); guard.  A damaged guard is reported as an overrun; the fragment is
still freed if its neighbours' boundary tags are intact, and *leaked* (never
written through) if the overrun reached the next fragment's header.  All
messages are logged after the lock is released.
"""

import logging
import sys

from openser_py.mem import shm_alloc as sa

LOG = logging.getLogger("openser.mem")


class DebugOps:
    """Mixin for :class:`openser_py.mem.shm_alloc.ShmAllocator`: debug malloc/free."""

    def _site(self, depth):
        """``file:line:function`` of the frame ``depth`` levels up, as bytes."""
        f = sys._getframe(depth + 1)
        key = (f.f_code, f.f_lineno)
        site = self._sites.get(key)
        if site is None:
            code = f.f_code
            parts = code.co_filename.rsplit("/", 2)
            site = b""
            for fname in ("/".join(parts[-2:]), parts[-1]):
                # Prefer dir/file; keep file:line whole, cut the function name.
                site = ("%s:%d:%s" % (fname, f.f_lineno, code.co_name)).encode(
                    "utf-8", "replace")
                if len(site) <= sa.SITE_LEN:
                    break
            site = site[:sa.SITE_LEN]
            self._sites[key] = site
        return site

    def _malloc_dbg(self, size, depth):
        guard = 8 if self.mode == sa.MODE_GUARD else 0
        need = (sa.DBG_HEAD_SIZE + size + guard + 7) & ~7
        site = self._site(depth)
        mm = self._mm
        self._acquire()
        try:
            p = self._take(need)
            if p:
                sa._DBG.pack_into(mm, p, sa.LIVE_MAGIC, size, site)
                if guard:
                    sa._GUARD.pack_into(mm, p + sa.DBG_HEAD_SIZE + size,
                                        sa.GUARD1, sa.GUARD2)
            else:
                self._count_error(sa.ERR_OOM)
        finally:
            self._release()
        if not p:
            LOG.debug("shm_malloc(%d) from %s: out of memory", size, site.decode())
            return 0
        return p + sa.DBG_HEAD_SIZE

    def _free_dbg(self, off, depth):
        p = off - sa.DBG_HEAD_SIZE
        self._acquire()
        try:
            err, note, site = self._free_dbg_locked(p, off)
            if err >= 0:
                self._count_error(err)
        finally:
            self._release()
        if err >= 0:
            self._report(err, off, depth + 1,
                         site.rstrip(b"\0").decode("utf-8", "replace"), note)

    def _free_dbg_locked(self, p, off):
        """Check and free a debug fragment; return (err, note, alloc_site)."""
        mm = self._mm
        if p < self._first or p + sa.DBG_HEAD_SIZE > self._heap_end or p & 7:
            return sa.ERR_BADPTR, "ignored", b""
        sf, _, err = self._validate(p)
        magic, req, site = sa._DBG.unpack_from(mm, p)
        guard_ok = (self.mode != sa.MODE_GUARD
                    or p + sa.DBG_HEAD_SIZE + req + 8 > self._heap_end
                    or sa._GUARD.unpack_from(mm, off + req) == (sa.GUARD1, sa.GUARD2))
        if err == sa.ERR_BADPTR and magic == sa.LIVE_MAGIC and not guard_ok:
            return sa.ERR_OVERRUN, "heap damaged, fragment leaked", site
        if err >= 0 or magic == sa.FREED_MAGIC:
            return (sa.ERR_DOUBLE if magic == sa.FREED_MAGIC else err), "ignored", site
        if magic != sa.LIVE_MAGIC or sa.DBG_HEAD_SIZE + req > sf & sa.SIZE_MASK:
            return sa.ERR_BADPTR, "ignored", b""
        sa._U32.pack_into(mm, p, sa.FREED_MAGIC)
        self._free_locked(p)
        if not guard_ok:
            return sa.ERR_OVERRUN, "fragment freed", site
        return -1, "", site

    def _report(self, err, off, depth, alloc_site="", note="ignored"):
        """Log an allocator error (called with no lock held)."""
        caller = self._site(depth).decode("utf-8", "replace")
        what = {sa.ERR_DOUBLE: "double free", sa.ERR_BADPTR: "free of a bad pointer",
                sa.ERR_OVERRUN: "buffer overrun"}[err]
        extra = " (allocated at %s)" % alloc_site if alloc_site else ""
        LOG.error("shm: %s at offset %d called from %s%s; %s", what, off, caller, extra, note)
