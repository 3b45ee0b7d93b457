"""The list of usrloc domains (OpenSER ``dlist.c``).

``register_udomain(name)`` is what registrar's fixups call for every table
named in ``save()``/``lookup()``/``registered()``: it creates the domain
once (master, before fork) and, in db_mode 1 and 2, preloads it from the
database through a connection that is closed again before the fork.
"""
import time

from openser_py.core.dprint import LM_ERR, LM_INFO
from openser_py.modules.usrloc import ul_mod
from openser_py.modules.usrloc.ucontact import is_valid
from openser_py.modules.usrloc.ul_mod import cfg

__all__ = ["register_udomain", "find_domain", "domains", "reset",
           "get_all_ucontacts", "registered_users"]

_domains = {}


def reset():
    """Forget every domain (mod_init of a new config; tests)."""
    for d in _domains.values():
        if d.table is not None:
            try:
                d.table.destroy()
            except Exception:  # noqa: BLE001 - the arena may be gone
                pass
    _domains.clear()


def domains():
    """The registered domains, in registration order."""
    return list(_domains.values())


def find_domain(name):
    """The domain *name* or None (``get_udomain``)."""
    return _domains.get(name)


def register_udomain(name):
    """Create (once) and return the domain *name*.

    Raises :class:`~openser_py.modules.usrloc.udomain.UlError` when the
    database table has the wrong version or the preload fails (start-up
    then fails, as in 1.3).
    """
    from openser_py.modules.usrloc.udomain import UDomain, UlError
    d = _domains.get(name)
    if d is not None:
        return d
    d = UDomain(name)
    if cfg.db_mode != ul_mod.NO_DB and d.table is not None or \
            cfg.db_mode == ul_mod.DB_ONLY:
        from openser_py.core import cfgload
        if not cfgload.check_only:
            _check_and_preload(d)
    _domains[name] = d
    return d


def _check_and_preload(d):
    from openser_py.modules.usrloc import ul_db
    from openser_py.modules.usrloc.udomain import UlError
    try:
        ver = ul_db.check_version(d.name)
        if ver != ul_db.TABLE_VERSION:
            raise UlError("invalid table version of %s: %s (expected %d)"
                          % (d.name, ver, ul_db.TABLE_VERSION))
        if d.table is not None:
            records = ul_db.load_all(d.name)
            n = 0
            for aor, contacts in records.items():
                d.insert_preloaded(aor, contacts)
                n += len(contacts)
            LM_INFO("usrloc: preloaded %d contacts of %d AORs into %s",
                    n, len(records), d.name)
    except UlError:
        raise
    except Exception as exc:  # noqa: BLE001 - any DbError
        LM_ERR("usrloc: cannot load table %s from %s: %s", d.name,
               ul_db.masked(cfg.db_url), exc)
        raise UlError("cannot load table %s: %s" % (d.name, exc)) from exc
    finally:
        ul_db.close()       # the master's connection is not inherited


def registered_users():
    """``usrloc:registered_users``: records over all domains."""
    return sum(d.st_users.get() for d in _domains.values())


def get_all_ucontacts(flags=0, now=None):
    """Every valid contact of every memory domain (nathelper's pinger).

    Returns ``(contact, received, path, sock, cflags)`` tuples; with a
    non-zero *flags* only contacts whose cflags share a bit with it.
    """
    now = int(time.time()) if now is None else now
    out = []
    for d in _domains.values():
        for rec in d.records():
            for c in rec.contacts:
                if is_valid(c, now) and (not flags or c.cflags & flags):
                    out.append((c.c, c.received, c.path, c.sock, c.cflags))
    return out
