"""One registered contact (OpenSER ``ucontact.c``) and its shm encoding.

A :class:`UContact` is a plain Python object; in shm a contact is a fixed
struct followed by its strings (length-prefixed, UTF-8)::

    <q i i I I I q B>  expires, q, cseq, flags, cflags, methods,
                       last_modified, state
    <H H H H H H>      lengths of contact, callid, user_agent, received,
                       path, socket
    bytes              the six strings in that order

Times are absolute UNIX seconds.  ``expires == 0`` means permanent (added
by ``ul_add`` with expires 0); :data:`UL_EXPIRED_TIME` marks a contact
deleted in memory whose database row still has to go (write-back mode, or a
failed write-through delete): the timer removes it.

Contact state (``state``) says how the memory copy relates to the DB row:
``CS_NEW`` (no row yet), ``CS_SYNC`` (row up to date), ``CS_DIRTY`` (row
outdated).  Theory of operation: insert -> CS_NEW; a successful DB insert
or update -> CS_SYNC; any change of a CS_SYNC contact -> CS_DIRTY; the
timer (db_mode 1 and 2) writes every CS_NEW/CS_DIRTY contact and moves it
to CS_SYNC.
"""
import struct

__all__ = ["UContact", "CS_NEW", "CS_SYNC", "CS_DIRTY", "STATE_NAMES",
           "FL_MEM", "FL_PERMANENT", "UL_EXPIRED_TIME", "ALL_METHODS",
           "Q_UNSPECIFIED", "is_valid", "encode_contact", "decode_contact"]

CS_NEW, CS_SYNC, CS_DIRTY = 0, 1, 2
STATE_NAMES = {CS_NEW: "CS_NEW", CS_SYNC: "CS_SYNC", CS_DIRTY: "CS_DIRTY"}

FL_MEM = 1 << 0          # never written to the database (save flag 0x01)
FL_PERMANENT = 1 << 7    # informational: added with expires 0
UL_EXPIRED_TIME = 10     # "deleted": gone from memory at the next timer run
ALL_METHODS = 0xFFFFFFFF
Q_UNSPECIFIED = -1

_FIXED = struct.Struct("<qiiIIIqB6H")
_FIXED_SIZE = _FIXED.size
_new = object.__new__


class UContact:
    """A contact binding of an AOR (``ucontact_t``)."""

    __slots__ = ("c", "expires", "q", "callid", "cseq", "flags", "cflags",
                 "user_agent", "received", "path", "sock", "methods",
                 "last_modified", "state")

    def __init__(self, c="", expires=0, q=Q_UNSPECIFIED, callid="",
                 cseq=0, flags=0, cflags=0, user_agent="", received="",
                 path="", sock="", methods=ALL_METHODS, last_modified=0,
                 state=CS_NEW):
        self.c = c
        self.expires = expires
        self.q = q
        self.callid = callid
        self.cseq = cseq
        self.flags = flags
        self.cflags = cflags
        self.user_agent = user_agent or ""
        self.received = received or ""
        self.path = path or ""
        self.sock = sock or ""
        self.methods = methods & ALL_METHODS
        self.last_modified = last_modified
        self.state = state

    def copy(self):
        """An independent copy."""
        c = _new(UContact)
        c.c = self.c
        c.expires = self.expires
        c.q = self.q
        c.callid = self.callid
        c.cseq = self.cseq
        c.flags = self.flags
        c.cflags = self.cflags
        c.user_agent = self.user_agent
        c.received = self.received
        c.path = self.path
        c.sock = self.sock
        c.methods = self.methods
        c.last_modified = self.last_modified
        c.state = self.state
        return c

    def key(self):
        """What identifies the contact's DB row: (contact, callid)."""
        return (self.c, self.callid)

    def __eq__(self, other):
        if not isinstance(other, UContact):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n)
                   for n in self.__slots__)

    __hash__ = None

    def __repr__(self):
        return "UContact(%r, expires=%d, q=%d, callid=%r, cseq=%d)" % (
            self.c, self.expires, self.q, self.callid, self.cseq)


def is_valid(c, now):
    """``VALID_CONTACT``: permanent, or not expired at *now*."""
    return c.expires == 0 or c.expires > now


def encode_contact(c, out):
    """Append the shm encoding of contact *c* to the list *out* (bytes
    pieces the caller joins).

    The six strings are encoded in one go; when that gives one byte per
    character (ASCII: the usual case) their lengths are the character
    counts, else each is encoded on its own.
    """
    s_c, callid, ua, rcv, path, sock = (c.c, c.callid, c.user_agent,
                                        c.received, c.path, c.sock)
    text = s_c + callid + ua + rcv + path + sock
    blob = text.encode("utf-8", "surrogateescape")
    if len(blob) == len(text):
        lens = (len(s_c), len(callid), len(ua), len(rcv), len(path),
                len(sock))
    else:
        blobs = [x.encode("utf-8", "surrogateescape")
                 for x in (s_c, callid, ua, rcv, path, sock)]
        lens = tuple(map(len, blobs))
        blob = b"".join(blobs)
    if len(blob) > 0xFFFF:
        for n in lens:
            if n > 0xFFFF:
                raise ValueError("contact field too long (%d bytes)" % n)
    out += (_FIXED.pack(c.expires, c.q, c.cseq, c.flags & 0xFFFFFFFF,
                        c.cflags & 0xFFFFFFFF, c.methods & 0xFFFFFFFF,
                        c.last_modified, c.state, *lens), blob)


def decode_contact(buf, off):
    """Decode the contact at *off* of *buf*; return ``(UContact, next_off)``."""
    (expires, q, cseq, flags, cflags, methods, lm, state,
     l1, l2, l3, l4, l5, l6) = _FIXED.unpack_from(buf, off)
    off += _FIXED_SIZE
    end = off + l1 + l2 + l3 + l4 + l5 + l6
    raw = buf[off:end]
    text = (raw if raw.__class__ is bytes else bytes(raw)).decode(
        "utf-8", "surrogateescape")
    u = _new(UContact)
    if len(text) == end - off:      # ASCII: characters are bytes
        a = l1
        b = a + l2
        d = b + l3
        e = d + l4
        f = e + l5
        u.c = text[:a]
        u.callid = text[a:b]
        u.user_agent = text[b:d]
        u.received = text[d:e]
        u.path = text[e:f]
        u.sock = text[f:]
    else:
        strs = []
        for n in (l1, l2, l3, l4, l5, l6):
            strs.append(bytes(buf[off:off + n]).decode("utf-8",
                                                       "surrogateescape"))
            off += n
        (u.c, u.callid, u.user_agent, u.received, u.path,
         u.sock) = strs
    u.expires = expires
    u.q = q
    u.cseq = cseq
    u.flags = flags
    u.cflags = cflags
    u.methods = methods
    u.last_modified = lm
    u.state = state
    return u, end
