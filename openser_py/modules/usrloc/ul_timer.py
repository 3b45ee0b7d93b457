"""usrloc's timer: expiry and database synchronisation (``ul_timer``).

Theory of operation (every ``timer_interval`` seconds, timer process):

* db_mode 0: expired contacts are removed from memory (``D-expires`` += n).
* db_mode 1 and 2: for each record, from a snapshot taken without holding
  any lock, contacts that are ``CS_NEW``/``CS_DIRTY`` are written (insert
  or update) and expired/deleted ones that have a row are deleted; then one
  transaction marks what was written ``CS_SYNC`` and removes the expired
  contacts whose row is gone -- only if they did not change meanwhile.  A
  database error leaves them as they are: the next run retries.
* db_mode 3: one ``DELETE ... WHERE expires < now`` per table.

Everything takes ``now`` as an argument (:func:`synchronize_domain`), so
tests drive expiry without waiting.
"""
import time

from openser_py.core.dprint import LM_ERR
from openser_py.modules.usrloc import dlist, ul_mod
from openser_py.modules.usrloc.ucontact import (CS_NEW, CS_SYNC, FL_MEM,
                                                UL_EXPIRED_TIME, is_valid)
from openser_py.modules.usrloc.udomain import UlError, _ident

__all__ = ["ul_timer", "synchronize_domain", "synchronize_all", "flush_all"]


def ul_timer(ticks, param):
    """The registered timer function."""
    synchronize_all(int(time.time()))


def synchronize_all(now):
    """Run :func:`synchronize_domain` on every domain."""
    for d in dlist.domains():
        try:
            synchronize_domain(d, now)
        except Exception as exc:  # noqa: BLE001 - next domain, next run
            LM_ERR("usrloc: timer failed on table %s: %s", d.name, exc)


def flush_all(now=None):
    """``ul_flush``: write every pending change now (db_mode 1/2)."""
    synchronize_all(int(time.time()) if now is None else now)


def synchronize_domain(d, now):
    """Expire and synchronise domain *d* at time *now* (see module doc)."""
    mode = d.db_mode
    if mode == ul_mod.DB_ONLY:
        from openser_py.modules.usrloc import ul_db
        try:
            ul_db.delete_expired(d.name, now)
        except Exception as exc:  # noqa: BLE001 - any DbError
            LM_ERR("usrloc: deleting expired contacts of %s failed: %s",
                   d.name, exc)
        return
    for rec in list(d.records()):
        expired = [c for c in rec.contacts if not is_valid(c, now)]
        pending = [c for c in rec.contacts if is_valid(c, now)
                   and c.state != CS_SYNC and not c.flags & FL_MEM] \
            if mode != ul_mod.NO_DB else []
        if not expired and not pending:
            continue
        written, gone = _write(d, rec.aor, pending, expired) \
            if mode != ul_mod.NO_DB else ([], expired)
        _settle(d, rec.aor, written, gone)


def _write(d, aor, pending, expired):
    """DB writes for one record, no lock held; return what succeeded."""
    from openser_py.modules.usrloc import ul_db
    written, gone = [], []
    for c in pending:
        try:
            if c.state == CS_NEW:
                ul_db.insert(d.name, aor, c)
            else:
                ul_db.update(d.name, aor, c)
            written.append(c)
        except Exception as exc:  # noqa: BLE001 - retried next run
            LM_ERR("usrloc: writing contact %s of %s failed: %s",
                   c.c, aor, exc)
    for c in expired:
        if c.state == CS_NEW or c.flags & FL_MEM:
            gone.append(c)              # never had a row
            continue
        try:
            ul_db.delete(d.name, aor, c)
            gone.append(c)
        except Exception as exc:  # noqa: BLE001 - retried next run
            LM_ERR("usrloc: deleting contact %s of %s failed: %s",
                   c.c, aor, exc)
    return written, gone


def _settle(d, aor, written, gone):
    """One transaction: mark *written* synced, drop *gone* (if unchanged)."""
    w = {_ident(c): c.state for c in written}
    g = {_ident(c): c.expires for c in gone}
    expired_count = [0]

    def change(r):
        expired_count[0] = 0
        for c in list(r.contacts):
            ident = _ident(c)
            if ident in g and g[ident] == c.expires:
                r.contacts.remove(c)
                r.ops.append(("synced", c, c.state))
                if c.expires != UL_EXPIRED_TIME:
                    expired_count[0] += 1
            elif ident in w and w[ident] == c.state:
                c.state = CS_SYNC
                r.ops.append(("synced", c, c.state))
    try:
        d.transact(aor, change, sync=False)
    except UlError as exc:
        LM_ERR("usrloc: timer cannot update %s: %s", aor, exc)
        return
    if expired_count[0]:
        d.st_expires.inc(expired_count[0])
