"""A usrloc domain (``location``, ``aliases``...): records in shm (``udomain.c``).

Theory of operation
-------------------
Each domain is one :class:`~openser_py.mem.shtable.ShTable` (2^hash_size
buckets, striped locks, created in the master before fork): key = the AOR
(UTF-8), value = the encoded :class:`URecord` (all its contacts, see
``urecord.encode_record``) stamped with a 32-bit version.

Every change is a transaction (:meth:`UDomain.transact`):

0. the AOR's *writer lock* is taken (a stripe of a per-domain
   :class:`LockSet`, distinct from the table's bucket locks): writers of
   one AOR queue up instead of starving each other; readers never take it;
1. *snapshot*: under the bucket lock, copy the record's bytes out;
2. *change*: decode and let the caller change the Python copy -- the
   bucket lock is not held, so lookups go on meanwhile; the change
   function only edits the record (no I/O, no script, no DB);
3. *commit*: under the bucket lock, write the new bytes only if the
   version is still the one read in 1 (else start again from 1, at most
   ``MAX_TRIES`` times: a safety net for writers that bypass the writer
   lock).  The bucket lock covers plain reads and writes only.
4. after the commit, outside any lock (the writer lock is released):
   statistics, and in db_mode 1 the database writes, then a second small
   transaction marks the written contacts ``CS_SYNC`` (a failed write leaves them ``CS_NEW``/``CS_DIRTY``
   for the timer to retry; a failed delete leaves a tombstone).

This is 1.3's ``lock_udomain``/``unlock_udomain`` around a save, adapted: a
save of one AOR is atomic with respect to other processes without holding
a lock while the database is called.  An empty record is removed at once.

In db_mode 3 there is no shm table: the snapshot is read from the database
and the changes are written straight back (no cross-process atomicity, as
in 1.3's DB-only mode).
"""
import os
import random
import struct

from openser_py.core import statistics
from openser_py.core.dprint import LM_ERR
from openser_py.core.exports import STAT_NO_RESET
from openser_py.mem import shm
from openser_py.mem.locking import LockSet
from openser_py.mem.shtable import ShTable, key_hash
from openser_py.modules.usrloc import ul_mod
from openser_py.modules.usrloc.ucontact import (CS_DIRTY, CS_NEW, CS_SYNC,
                                                FL_MEM, UL_EXPIRED_TIME)
from openser_py.modules.usrloc.ul_mod import cfg
from openser_py.modules.usrloc.urecord import (URecord, decode_record,
                                               encode_record)

__all__ = ["UDomain", "UlError", "MAX_TRIES"]

MAX_TRIES = 16
WRITER_LOCKS = 64
_VER_LEN = 4
_u32 = struct.Struct("<I").unpack


class UlError(Exception):
    """A usrloc operation failed (no shm, database error, contention).

    ``op`` says which step: ``"get"`` (reading the record) or ``"write"``.
    """

    def __init__(self, message, op="write"):
        super().__init__(message)
        self.op = op


def _fresh_version():
    """A non-zero version for a new record (0 means "no record")."""
    return ((random.getrandbits(31) | 1) ^ (os.getpid() << 8)) & 0xFFFFFFFF or 1


class UDomain:
    """One domain (``udomain_t``); created by ``register_udomain``."""

    def __init__(self, name):
        self.name = name
        self.db_mode = cfg.db_mode
        self.table = self.wlocks = None
        if self.db_mode != ul_mod.DB_ONLY and shm.get_allocator() is not None:
            self.table = ShTable(1 << cfg.hash_size)
            self.wlocks = LockSet(min(WRITER_LOCKS, self.table.n_buckets))
        self.size = 1 << cfg.hash_size
        reg = statistics.register_stat
        self.st_users = reg("usrloc", name + "-users", STAT_NO_RESET)
        self.st_contacts = reg("usrloc", name + "-contacts", STAT_NO_RESET)
        self.st_expires = reg("usrloc", name + "-expires")

    # -- reading --------------------------------------------------------
    def _key(self, aor):
        k = aor.encode("utf-8", "surrogateescape")
        return k, key_hash(k)

    def _snapshot(self, aor):
        """``(URecord, version)``; version 0 = no record."""
        if self.table is None:
            if self.db_mode != ul_mod.DB_ONLY:
                raise UlError("domain %s has no table (shm not initialised)"
                              % self.name, "get")
            from openser_py.modules.usrloc import ul_db
            try:
                contacts = ul_db.load_record(self.name, aor)
            except Exception as exc:  # noqa: BLE001 - any DbError
                raise UlError("database error: %s" % exc, "get") from exc
            rec = URecord(aor, self.name, _order(contacts))
            return rec, 1 if rec.contacts else 0
        k, h = self._key(aor)
        val = self.table.lookup(h, k)
        if val is None:
            return URecord(aor, self.name), 0
        return decode_record(aor, self.name, val)

    def get_urecord(self, aor):
        """A copy of *aor*'s record, or None (``get_urecord``)."""
        rec, ver = self._snapshot(aor)
        return rec if ver else None

    def records(self):
        """Yield a copy of every record, bucket by bucket (memory modes)."""
        if self.table is None:
            return
        for _b, _label, key, val in self.table.items():
            aor = bytes(key).decode("utf-8", "surrogateescape")
            yield decode_record(aor, self.name, val)[0]

    def count_records(self):
        """Number of records (racy sum, for MI/stats)."""
        return self.table.count() if self.table is not None else 0

    def max_slot(self):
        """The largest bucket size (``ul_dump``'s ``max_slot``)."""
        t = self.table
        if t is None:
            return 0
        return max((t.bucket_count(b) for b in range(t.n_buckets)), default=0)

    # -- the transaction --------------------------------------------------
    def transact(self, aor, change, sync=True):
        """Run ``change(record)`` on *aor*'s record and commit it atomically.

        *change* gets a :class:`URecord` (empty if *aor* has none) and
        changes it through its methods; its return value is returned.  It
        may run several times (on contention), so it must not have side
        effects besides the record, and must not start another
        transaction (the writer lock is not recursive).  Raises
        :class:`UlError`.
        """
        if self.table is None:
            rec, ver = self._snapshot(aor)
            result = change(rec)
            if rec.ops:
                self._apply_db_only(rec)
            return result
        table = self.table
        k = aor.encode("utf-8", "surrogateescape")
        h = key_hash(k)
        keep = self.db_mode in (ul_mod.WRITE_THROUGH, ul_mod.WRITE_BACK)
        name = self.name
        wlock = self.wlocks.get(h & (table.n_buckets - 1))
        wlock.acquire()
        try:
            for _ in range(MAX_TRIES):
                # 1. snapshot (``_snapshot`` inlined: the key is ready)
                val = table.lookup(h, k)
                if val is None:
                    rec, ver = URecord(aor, name), 0
                else:
                    rec, ver = decode_record(aor, name, val)
                rec.keep_deleted = keep
                n_old = len(rec.contacts)
                # 2. change
                result = change(rec)
                if not rec.ops:
                    return result
                # 3. commit
                if self._commit_key(k, h, rec, ver):
                    break
            else:
                raise UlError("record %s changed too often meanwhile" % aor)
        finally:
            wlock.release()
        n_new = len(rec.contacts)
        if n_new != n_old:
            self.st_contacts.inc(n_new - n_old)
        if not ver or not n_new:
            self.st_users.inc((1 if n_new else 0) - (1 if ver else 0))
        if sync and self.db_mode == ul_mod.WRITE_THROUGH:
            self.write_through(rec)
        return result

    def _commit(self, aor, rec, ver):
        k, h = self._key(aor)
        return self._commit_key(k, h, rec, ver)

    def _commit_key(self, k, h, rec, ver):
        """Step 3: write *rec* if the stored version is still *ver*."""
        t = self.table
        new_ver = ver % 0xFFFFFFFF + 1 if ver else _fresh_version()
        new_val = encode_record(rec, new_ver) if rec.contacts else None
        lock = t.locked(h)
        lock.acquire()
        try:
            e = t.find_locked(h, k)
            cur = _u32(t.value_head_locked(e, _VER_LEN))[0] if e else 0
            if cur != ver:
                return False
            if new_val is None:
                if e:
                    t.delete_entry_locked(e)
                return True
            if e:
                ok = t.set_value_locked(e, new_val)
            else:
                ok = t.insert_locked(h, k, new_val,
                                     len(new_val) + len(new_val) // 2)[0]
        finally:
            lock.release()
        if not ok:
            raise UlError("no more shm memory for %s"
                          % k.decode("utf-8", "surrogateescape"))
        return True

    def insert_preloaded(self, aor, contacts):
        """Store a preloaded record (master, at start-up)."""
        rec = URecord(aor, self.name, _order(contacts))
        k, h = self._key(aor)
        val = encode_record(rec, _fresh_version())
        if not self.table.insert(h, k, val, len(val) + len(val) // 2):
            raise UlError("no more shm memory while preloading %s" % aor)
        self.st_users.inc()
        self.st_contacts.inc(len(rec.contacts))

    # -- database mirroring ----------------------------------------------
    def write_through(self, rec):
        """db_mode 1: write *rec*'s changes now; mark what worked CS_SYNC."""
        from openser_py.modules.usrloc import ul_db
        written, deleted = [], []
        for action, c in _db_actions(rec.ops):
            try:
                if action == "insert":
                    ul_db.insert(self.name, rec.aor, c)
                elif action == "update":
                    ul_db.update(self.name, rec.aor, c)
                else:
                    ul_db.delete(self.name, rec.aor, c)
            except Exception as exc:  # noqa: BLE001 - any DbError
                LM_ERR("usrloc: %s of contact %s of %s in table %s failed "
                       "(retried by the timer): %s", action, c.c, rec.aor,
                       self.name, exc)
                continue
            (deleted if action == "delete" else written).append(c)
        if written or deleted:
            self.mark_synced(rec.aor, written, deleted)

    def mark_synced(self, aor, written, deleted):
        """After DB writes: unchanged *written* -> CS_SYNC, *deleted* gone."""
        w = {_ident(c) for c in written}
        d = {_ident(c) for c in deleted}

        def change(r):
            for c in list(r.contacts):
                ident = _ident(c)
                if ident in d and c.expires == UL_EXPIRED_TIME:
                    r.contacts.remove(c)
                    r.ops.append(("synced", c, c.state))
                elif ident in w and c.state != CS_SYNC:
                    c.state = CS_SYNC
                    r.ops.append(("synced", c, c.state))
        try:
            self.transact(aor, change, sync=False)
        except UlError as exc:
            LM_ERR("usrloc: cannot mark %s synchronised: %s", aor, exc)

    def _apply_db_only(self, rec):
        from openser_py.modules.usrloc import ul_db
        try:
            for action, c in _db_actions(rec.ops):
                getattr(ul_db, action)(self.name, rec.aor, c)
        except Exception as exc:  # noqa: BLE001 - any DbError
            raise UlError("database error: %s" % exc) from exc


def _ident(c):
    return (c.c, c.callid, c.last_modified, c.cseq)


def _order(contacts):
    """Contacts in record order (preload / DB-only reads)."""
    if cfg.desc_time_order:
        return sorted(contacts, key=lambda c: c.last_modified, reverse=True)
    return sorted(contacts, key=lambda c: c.q, reverse=True)


def _db_actions(ops):
    """Collapse a record's change log into one DB action per contact.

    Returns ``(action, contact)`` pairs in first-change order: a contact
    deleted here is deleted if it has a row (it was not ``CS_NEW`` before
    its first change here); a new contact is inserted (updated when it
    took over a tombstone's row, state ``CS_DIRTY``); a changed contact is
    updated, or inserted when it never had a row.  ``FL_MEM`` contacts are
    skipped; ``synced`` entries (bookkeeping) are ignored.
    """
    seen, order = {}, []
    for op, c, prev in ops:
        if op == "synced":
            continue
        k = id(c)
        if k not in seen:
            seen[k] = [op, prev, c, op == "delete"]
            order.append(k)
        elif op == "delete":
            seen[k][3] = True
    out = []
    for k in order:
        first, prev, c, deleted = seen[k]
        if c.flags & FL_MEM:
            continue
        has_row = first != "insert" and prev != CS_NEW
        if first == "insert" and c.state == CS_DIRTY:
            has_row = True
        if deleted:
            if has_row:
                out.append(("delete", c))
        else:
            out.append(("update" if has_row else "insert", c))
    return out
