"""The usrloc API for other modules (OpenSER ``usrloc_api_t``, ``bind_usrloc``).

``load_module_api("usrloc")`` returns :data:`API`::

    ul = load_module_api("usrloc")
    d = ul.register_udomain("location")           # fixup time, before fork
    rec = ul.get_urecord(d, "alice")              # a copy, or None
    def change(r):                                # lock_udomain .. unlock_udomain
        rc, c = ul.get_ucontact(r, uri, callid, cseq, now)
        ...  r.insert_ucontact(uri, ci) / r.update_ucontact(c, ci) / r.delete_ucontact(c)
    ul.update_urecord(d, "alice", change)         # atomic commit, then DB

In 1.3 a caller brackets its reads and changes with ``lock_udomain`` /
``unlock_udomain``; here the bracket is the *change* function given to
:meth:`UsrlocApi.update_urecord`, committed atomically (see
``udomain.py``) so no lock is ever held while registrar or the database
runs.  The one-shot functions (``insert_ucontact`` ...) are transactions
of their own.  Errors raise :class:`UlError`.
"""
import time

from openser_py.modules.usrloc import dlist, ul_mod
from openser_py.modules.usrloc.ucontact import (
    ALL_METHODS, CS_DIRTY, CS_NEW, CS_SYNC, FL_MEM, Q_UNSPECIFIED, UContact,
    is_valid)
from openser_py.modules.usrloc.udomain import UlError
from openser_py.modules.usrloc.urecord import (
    UL_FOUND, UL_INVALID_CSEQ, UL_NOT_FOUND, UL_RETRANS, URecord)


class UsrlocApi:
    """Bound usrloc functions."""

    UContact = UContact
    URecord = URecord
    UlError = UlError
    UL_FOUND, UL_NOT_FOUND = UL_FOUND, UL_NOT_FOUND
    UL_INVALID_CSEQ, UL_RETRANS = UL_INVALID_CSEQ, UL_RETRANS
    CS_NEW, CS_SYNC, CS_DIRTY = CS_NEW, CS_SYNC, CS_DIRTY
    FL_MEM = FL_MEM
    ALL_METHODS = ALL_METHODS
    Q_UNSPECIFIED = Q_UNSPECIFIED

    @property
    def use_domain(self):
        """The ``use_domain`` modparam."""
        return ul_mod.cfg.use_domain

    @property
    def db_mode(self):
        """The ``db_mode`` modparam."""
        return ul_mod.cfg.db_mode

    @property
    def desc_time_order(self):
        """The ``desc_time_order`` modparam."""
        return ul_mod.cfg.desc_time_order

    @property
    def nat_flag(self):
        """The ``nat_bflag`` modparam (-1 = unset)."""
        return ul_mod.cfg.nat_bflag

    @staticmethod
    def register_udomain(name):
        """Create/return the domain *name* (before fork)."""
        return dlist.register_udomain(name)

    @staticmethod
    def get_udomain(name):
        """The registered domain *name* or None."""
        return dlist.find_domain(name)

    @staticmethod
    def get_urecord(d, aor):
        """A copy of *aor*'s record or None; raises UlError (db_mode 3)."""
        return d.get_urecord(aor)

    @staticmethod
    def insert_urecord(d, aor):
        """An empty record for *aor* (stored with its first contact)."""
        return d.get_urecord(aor) or URecord(aor, d.name)

    @staticmethod
    def delete_urecord(d, aor):
        """Remove every contact of *aor*; return how many there were."""
        def change(r):
            n = 0
            for c in list(r.contacts):
                if c.expires != 10:
                    n += 1
                r.delete_ucontact(c)
            return n
        return d.transact(aor, change)

    @staticmethod
    def update_urecord(d, aor, change):
        """``lock_udomain``; ``change(record)``; ``unlock_udomain`` (atomic)."""
        return d.transact(aor, change)

    @staticmethod
    def get_ucontact(rec, uri, callid, cseq, now=None):
        """``(rc, contact)`` per ``matching_mode``/``cseq_delay``."""
        now = int(time.time()) if now is None else now
        cfg = ul_mod.cfg
        return rec.get_ucontact(uri, callid, cseq, now, cfg.matching_mode,
                                cfg.cseq_delay)

    @staticmethod
    def insert_ucontact(d, aor, uri, ci):
        """Add contact *uri* (values from template *ci*) to *aor*."""
        order = ul_mod.cfg.desc_time_order
        return d.transact(aor, lambda r: r.insert_ucontact(uri, ci, order))

    @staticmethod
    def update_ucontact(d, aor, uri, callid, ci):
        """Update *aor*'s contact *uri* (and *callid* if not None); False if absent."""
        order = ul_mod.cfg.desc_time_order

        def change(r):
            c = r.find(uri, callid)
            if c is None:
                return False
            r.update_ucontact(c, ci, order)
            return True
        return d.transact(aor, change)

    @staticmethod
    def delete_ucontact(d, aor, uri, callid=None):
        """Delete *aor*'s contact *uri*; False if it was not there."""
        def change(r):
            c = r.find(uri, callid)
            if c is None or c.expires == 10:
                return False
            r.delete_ucontact(c)
            return True
        return d.transact(aor, change)

    @staticmethod
    def valid_contacts(rec, now=None):
        """The valid contacts of a record copy, in order."""
        return rec.valid_contacts(int(time.time()) if now is None else now)

    @staticmethod
    def is_valid(c, now):
        """``VALID_CONTACT``."""
        return is_valid(c, now)

    @staticmethod
    def get_all_ucontacts(flags=0, now=None):
        """``(contact, received, path, sock, cflags)`` of every valid contact."""
        return dlist.get_all_ucontacts(flags, now)


#: the object ``load_module_api("usrloc")`` returns
API = UsrlocApi()
