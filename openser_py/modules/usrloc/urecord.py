"""An AOR's record: its ordered contact list (OpenSER ``urecord.c``).

Everything here is pure: a :class:`URecord` is a Python copy of what shm
(or the database, in db_mode 3) holds, changed in memory and written back
by :class:`~openser_py.modules.usrloc.udomain.UDomain`.  Every change is
also appended to ``record.ops`` (``("insert"|"update"|"delete", contact)``)
so the domain can mirror it to the database after the shm write, outside
any lock.

Ordering (reference 6.1): by q, highest first, a new contact after the
existing ones with the same q; with ``desc_time_order`` new contacts go to
the head.  Contact matching: ``matching_mode`` 0 compares the contact URI
string, 1 the URI and the Call-ID.
"""
import struct

from openser_py.modules.usrloc.ucontact import (
    CS_DIRTY, CS_NEW, CS_SYNC, FL_MEM, UL_EXPIRED_TIME, UContact, decode_contact,
    encode_contact, is_valid)

__all__ = ["URecord", "UContact", "CONTACT_ONLY", "CONTACT_CALLID", "encode_record",
           "decode_record", "record_version",
           "UL_FOUND", "UL_NOT_FOUND", "UL_INVALID_CSEQ", "UL_RETRANS"]

CONTACT_ONLY, CONTACT_CALLID = 0, 1
# get_ucontact() results (1.3's return values of get_ucontact)
UL_FOUND, UL_NOT_FOUND, UL_INVALID_CSEQ, UL_RETRANS = 0, 1, -1, -2

_HDR = struct.Struct("<IH")
_HDR_SIZE = _HDR.size
_new = object.__new__


class URecord:
    """The contacts of one AOR (``urecord_t``), plus a change log."""

    __slots__ = ("aor", "domain", "contacts", "ops", "keep_deleted")

    def __init__(self, aor, domain="", contacts=None):
        self.aor = aor
        self.domain = domain
        self.contacts = list(contacts or [])
        #: ``(op, contact, state before)`` for every change, in order
        self.ops = []
        #: db_mode 1/2: deleted contacts with a DB row stay as tombstones
        self.keep_deleted = False

    # -- queries ----------------------------------------------------------
    def valid_contacts(self, now):
        """Contacts that are permanent or not yet expired, in order."""
        # is_valid() inlined
        return [c for c in self.contacts if c.expires == 0 or c.expires > now]

    def find(self, uri, callid=None):
        """The first contact with this URI (and Call-ID when given), or None."""
        for c in self.contacts:
            if c.c == uri and (callid is None or c.callid == callid):
                return c
        return None

    def get_ucontact(self, uri, callid, cseq, now, matching_mode=CONTACT_ONLY,
                     cseq_delay=20):
        """Find the contact a REGISTER refers to; return ``(rc, contact)``.

        ``rc``: :data:`UL_FOUND`, :data:`UL_NOT_FOUND`, :data:`UL_INVALID_CSEQ`
        (same Call-ID, lower CSeq, or equal CSeq older than *cseq_delay*)
        or :data:`UL_RETRANS` (same Call-ID and CSeq within *cseq_delay*).
        Deleted ("expired-time") contacts are not matched.
        """
        c = None
        for x in self.contacts:
            if x.expires == UL_EXPIRED_TIME or x.c != uri:
                continue
            if matching_mode == CONTACT_CALLID and x.callid != callid:
                continue
            c = x
            break
        if c is None:
            return UL_NOT_FOUND, None
        if c.callid == callid:
            if cseq < c.cseq:
                return UL_INVALID_CSEQ, c
            if cseq == c.cseq:
                if c.last_modified + cseq_delay > now:
                    return UL_RETRANS, c
                return UL_INVALID_CSEQ, c
        return UL_FOUND, c

    # -- changes ----------------------------------------------------------
    def insert_ucontact(self, uri, ci, desc_time_order=0):
        """Add a contact built from the template *ci*; return it."""
        c = ci.copy()
        c.c = uri
        c.state = CS_NEW
        lst = self.contacts
        if not lst:         # the first contact: nothing to match or order
            lst.append(c)
            self.ops.append(("insert", c, None))
            return c
        for x in lst:
            if x.expires == UL_EXPIRED_TIME and x.c == uri:
                # its DB row is still there: the new contact takes it over
                lst.remove(x)
                c.state = CS_DIRTY if x.state != CS_NEW else CS_NEW
                break
        self._place(c, desc_time_order)
        self.ops.append(("insert", c, None))
        return c

    def update_ucontact(self, c, ci, desc_time_order=0):
        """Copy *ci*'s values into contact *c* (keeps its URI); reorder."""
        old_state = c.state
        for name in ("expires", "q", "callid", "cseq", "flags", "cflags",
                     "user_agent", "received", "path", "sock", "methods",
                     "last_modified"):
            setattr(c, name, getattr(ci, name))
        c.state = CS_DIRTY if old_state == CS_SYNC else old_state
        self.contacts.remove(c)
        self._place(c, desc_time_order)
        self.ops.append(("update", c, old_state))
        return c

    def delete_ucontact(self, c):
        """Remove contact *c* from the record.

        With ``keep_deleted`` (db_mode 1/2) a contact that has a DB row
        stays as a tombstone (``expires = UL_EXPIRED_TIME``: invalid, shown
        as "deleted") until its row is gone.
        """
        self.ops.append(("delete", c, c.state))
        if (self.keep_deleted and c.state != CS_NEW
                and not c.flags & FL_MEM):
            c.expires = UL_EXPIRED_TIME
        else:
            self.contacts.remove(c)

    def expire(self, now):
        """Drop every expired contact; return them (timer, pure)."""
        gone = [c for c in self.contacts if not is_valid(c, now)]
        if gone:
            self.contacts = [c for c in self.contacts if is_valid(c, now)]
        return gone

    def _place(self, c, desc_time_order):
        lst = self.contacts
        if desc_time_order:
            lst.insert(0, c)
            return
        for i, x in enumerate(lst):
            if x.q < c.q:
                lst.insert(i, c)
                return
        lst.append(c)

    def __repr__(self):
        return "URecord(%r, %r)" % (self.aor, self.contacts)


def encode_record(rec, version):
    """The shm value of *rec*: ``<version u32><n u16>`` + contacts."""
    contacts = rec.contacts
    out = [_HDR.pack(version & 0xFFFFFFFF, len(contacts))]
    for c in contacts:
        encode_contact(c, out)
    return b"".join(out)


def record_version(buf):
    """The version stamp of an encoded record."""
    return _HDR.unpack_from(buf, 0)[0]


def decode_record(aor, domain, buf):
    """``(URecord, version)`` from an encoded record."""
    version, n = _HDR.unpack_from(buf, 0)
    off = _HDR_SIZE
    contacts = []
    for _ in range(n):
        c, off = decode_contact(buf, off)
        contacts.append(c)
    rec = _new(URecord)
    rec.aor = aor
    rec.domain = domain
    rec.contacts = contacts
    rec.ops = []
    rec.keep_deleted = False
    return rec, version
