"""RFC 1035 DNS messages: pure encoding and decoding (no sockets).

Layout (RFC 1035 §4.1)::

    header   12 bytes: ID, flags (QR|Opcode|AA|TC|RD|RA|Z|RCODE),
             QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT
    question QNAME QTYPE QCLASS                      x QDCOUNT
    answer / authority / additional: resource records
             NAME TYPE CLASS TTL RDLENGTH RDATA      x the counts

Names are sequences of length-prefixed labels ending with the root label
(0); a label length byte with the two top bits set is a 14-bit pointer to
an earlier name in the message (§4.1.4, compression).  The decoder follows
pointers only backwards and at most :data:`MAX_POINTERS` times, so a
malicious message cannot loop; every length is checked against the end of
the message (:class:`DnsFormatError`).

RDATA decoded: A / AAAA (address text), CNAME / NS / PTR (name), SRV
(RFC 2782: priority, weight, port, target), NAPTR (RFC 3403 §4.1: order,
preference, flags, services, regexp, replacement), SOA (§3.3.13; its
MINIMUM bounds negative caching, RFC 2308 §5).  Other types keep their
raw bytes.  The encoder writes the same types (compressing names in
records it writes), which is what tests and the fake servers use.
"""
import ipaddress
import struct
from collections import namedtuple

__all__ = ["DnsFormatError", "Header", "Question", "RR", "Srv", "Naptr",
           "Soa", "Message", "encode_name", "decode_name", "encode_message",
           "decode_message", "build_query", "make_reply", "TYPE_NAMES",
           "A", "NS", "CNAME", "SOA", "PTR", "AAAA", "SRV", "NAPTR",
           "CLASS_IN", "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
           "NOTIMP", "REFUSED"]

A, NS, CNAME, SOA, PTR, AAAA, SRV, NAPTR = 1, 2, 5, 6, 12, 28, 33, 35
TYPE_NAMES = {A: "A", NS: "NS", CNAME: "CNAME", SOA: "SOA", PTR: "PTR",
              AAAA: "AAAA", SRV: "SRV", NAPTR: "NAPTR"}
CLASS_IN = 1
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5

MAX_POINTERS = 32        # compression pointers followed while decoding a name
MAX_NAME = 255           # octets of an encoded name (RFC 1035 §2.3.4)
_HDR = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")
_QTAIL = struct.Struct("!HH")

Question = namedtuple("Question", "name qtype qclass")
RR = namedtuple("RR", "name rtype rclass ttl data")
Srv = namedtuple("Srv", "priority weight port target")
Naptr = namedtuple("Naptr", "order preference flags services regexp "
                            "replacement")
Soa = namedtuple("Soa", "mname rname serial refresh retry expire minimum")


class DnsFormatError(ValueError):
    """A message (or name) that does not follow RFC 1035."""


class Header(namedtuple("Header", "id qr opcode aa tc rd ra rcode")):
    """The decoded flags word plus the ID (§4.1.1)."""

    def pack_flags(self):
        return ((self.qr & 1) << 15 | (self.opcode & 0xF) << 11
                | (self.aa & 1) << 10 | (self.tc & 1) << 9
                | (self.rd & 1) << 8 | (self.ra & 1) << 7
                | (self.rcode & 0xF))

    @classmethod
    def unpack_flags(cls, qid, flags):
        return cls(qid, flags >> 15 & 1, flags >> 11 & 0xF, flags >> 10 & 1,
                   flags >> 9 & 1, flags >> 8 & 1, flags >> 7 & 1,
                   flags & 0xF)


class Message(namedtuple("Message", "header questions answers authority "
                                    "additional")):
    """A whole DNS message; the sections are lists."""

    @property
    def rcode(self):
        return self.header.rcode


# --- names -------------------------------------------------------------------
def _labels(name):
    name = name.rstrip(".")
    if not name:
        return []
    labels = name.split(".")
    for label in labels:
        if not label or len(label.encode("ascii")) > 63:
            raise DnsFormatError("bad label in name %r" % name)
    return labels


def encode_name(name, buf=None, table=None):
    """The wire form of *name*; with *buf*/*table*, compressed (§4.1.4).

    *buf* is the message built so far (the name is appended at
    ``len(buf)``) and *table* maps lower-case name suffixes already in
    *buf* to their offsets; it is updated.  Returns the encoded bytes.
    """
    try:
        labels = _labels(name)
    except UnicodeEncodeError:
        raise DnsFormatError("non-ASCII name %r" % name)
    out = bytearray()
    base = len(buf) if buf is not None else 0
    for i in range(len(labels)):
        suffix = ".".join(labels[i:]).lower()
        if table is not None and suffix in table:
            out += struct.pack("!H", 0xC000 | table[suffix])
            return bytes(out)
        if table is not None and base + len(out) < 0x4000:
            table[suffix] = base + len(out)
        raw = labels[i].encode("ascii")
        out.append(len(raw))
        out += raw
    out.append(0)
    if len(out) > MAX_NAME:
        raise DnsFormatError("name too long: %r" % name)
    return bytes(out)


def decode_name(data, off):
    """``(name, next_offset)`` of the name at *off* in message *data*."""
    labels, end, jumps, total = [], None, 0, 0
    limit = len(data)
    while True:
        if off >= limit:
            raise DnsFormatError("name runs past the end of the message")
        length = data[off]
        if length & 0xC0 == 0xC0:
            if off + 1 >= limit:
                raise DnsFormatError("truncated compression pointer")
            ptr = (length & 0x3F) << 8 | data[off + 1]
            if end is None:
                end = off + 2
            if ptr >= off or jumps >= MAX_POINTERS:
                raise DnsFormatError("bad compression pointer at %d" % off)
            jumps += 1
            off = ptr
            continue
        if length & 0xC0:
            raise DnsFormatError("unknown label type 0x%02x" % length)
        off += 1
        if length == 0:
            break
        if off + length > limit:
            raise DnsFormatError("label runs past the end of the message")
        total += length + 1
        if total > MAX_NAME:
            raise DnsFormatError("name longer than %d octets" % MAX_NAME)
        labels.append(data[off:off + length].decode("ascii", "replace"))
        off += length
    return ".".join(labels), (end if end is not None else off)


# --- rdata -------------------------------------------------------------------
def _char_string(data, off, end):
    if off >= end:
        raise DnsFormatError("truncated character-string")
    n = data[off]
    if off + 1 + n > end:
        raise DnsFormatError("character-string runs past its RDATA")
    return data[off + 1:off + 1 + n].decode("ascii", "replace"), off + 1 + n


def _decode_rdata(data, rtype, off, rdlen):
    end = off + rdlen
    if rtype == A:
        if rdlen != 4:
            raise DnsFormatError("A record of %d octets" % rdlen)
        return str(ipaddress.IPv4Address(bytes(data[off:end])))
    if rtype == AAAA:
        if rdlen != 16:
            raise DnsFormatError("AAAA record of %d octets" % rdlen)
        return str(ipaddress.IPv6Address(bytes(data[off:end])))
    if rtype in (CNAME, NS, PTR):
        name, nxt = decode_name(data, off)
        if nxt > end:
            raise DnsFormatError("name runs past its RDATA")
        return name
    if rtype == SRV:
        if rdlen < 7:
            raise DnsFormatError("short SRV record")
        prio, weight, port = struct.unpack_from("!HHH", data, off)
        target, nxt = decode_name(data, off + 6)
        if nxt > end:
            raise DnsFormatError("SRV target runs past its RDATA")
        return Srv(prio, weight, port, target)
    if rtype == NAPTR:
        if rdlen < 7:
            raise DnsFormatError("short NAPTR record")
        order, pref = struct.unpack_from("!HH", data, off)
        p = off + 4
        flags, p = _char_string(data, p, end)
        services, p = _char_string(data, p, end)
        regexp, p = _char_string(data, p, end)
        repl, nxt = decode_name(data, p)
        if nxt > end:
            raise DnsFormatError("NAPTR replacement runs past its RDATA")
        return Naptr(order, pref, flags, services, regexp, repl)
    if rtype == SOA:
        mname, p = decode_name(data, off)
        rname, p = decode_name(data, p)
        if p + 20 > end:
            raise DnsFormatError("short SOA record")
        return Soa(mname, rname, *struct.unpack_from("!IIIII", data, p))
    return bytes(data[off:end])


def _encode_rdata(rtype, value, start, table):
    """RDATA bytes; *start* is their offset in the message."""
    if rtype == A:
        return ipaddress.IPv4Address(value).packed
    if rtype == AAAA:
        return ipaddress.IPv6Address(value).packed
    if rtype in (CNAME, NS, PTR):
        return encode_name(value, _Pad(start), table)
    if rtype == SRV:
        head = struct.pack("!HHH", value.priority, value.weight, value.port)
        # RFC 2782: the target is not compressed
        return head + encode_name(value.target)
    if rtype == NAPTR:
        out = bytearray(struct.pack("!HH", value.order, value.preference))
        for text in (value.flags, value.services, value.regexp):
            raw = text.encode("ascii")
            if len(raw) > 255:
                raise DnsFormatError("character-string too long")
            out.append(len(raw))
            out += raw
        return bytes(out + encode_name(value.replacement))
    if rtype == SOA:
        out = encode_name(value.mname, _Pad(start), table)
        out += encode_name(value.rname, _Pad(start + len(out)), table)
        return out + struct.pack("!IIIII", value.serial, value.refresh,
                                 value.retry, value.expire, value.minimum)
    return bytes(value)


class _Pad:
    """Stands in for the message buffer: only its length is used."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


# --- messages ----------------------------------------------------------------
def encode_message(msg):
    """The wire form of :class:`Message` *msg* (names compressed)."""
    h = msg.header
    buf = bytearray(_HDR.pack(h.id, h.pack_flags(), len(msg.questions),
                              len(msg.answers), len(msg.authority),
                              len(msg.additional)))
    table = {}
    for q in msg.questions:
        buf += encode_name(q.name, buf, table)
        buf += _QTAIL.pack(q.qtype, q.qclass)
    for rr in list(msg.answers) + list(msg.authority) + list(msg.additional):
        buf += encode_name(rr.name, buf, table)
        rdata = _encode_rdata(rr.rtype, rr.data, len(buf) + _RR_FIXED.size,
                              table)
        buf += _RR_FIXED.pack(rr.rtype, rr.rclass, rr.ttl, len(rdata))
        buf += rdata
    return bytes(buf)


def _decode_rrs(data, off, count):
    out = []
    for _ in range(count):
        name, off = decode_name(data, off)
        if off + _RR_FIXED.size > len(data):
            raise DnsFormatError("truncated resource record")
        rtype, rclass, ttl, rdlen = _RR_FIXED.unpack_from(data, off)
        off += _RR_FIXED.size
        if off + rdlen > len(data):
            raise DnsFormatError("RDATA runs past the end of the message")
        out.append(RR(name, rtype, rclass, ttl & 0x7FFFFFFF,
                      _decode_rdata(data, rtype, off, rdlen)))
        off += rdlen
    return out, off


def decode_message(data):
    """Parse *data*; :class:`Message`, or raise :class:`DnsFormatError`.

    A truncated (TC) reply decodes as far as its sections are complete:
    the caller retries over TCP anyway.
    """
    if len(data) < _HDR.size:
        raise DnsFormatError("message shorter than a header")
    qid, flags, qd, an, ns, ar = _HDR.unpack_from(data, 0)
    header = Header.unpack_flags(qid, flags)
    off = _HDR.size
    questions = []
    for _ in range(qd):
        name, off = decode_name(data, off)
        if off + 4 > len(data):
            raise DnsFormatError("truncated question")
        qtype, qclass = _QTAIL.unpack_from(data, off)
        off += 4
        questions.append(Question(name, qtype, qclass))
    sections = []
    for count in (an, ns, ar):
        try:
            rrs, off = _decode_rrs(data, off, count)
        except DnsFormatError:
            if not header.tc:
                raise
            rrs = []
        sections.append(rrs)
    return Message(header, questions, *sections)


def build_query(qid, name, qtype, rd=True):
    """A standard query for *name*/*qtype* (class IN) as bytes."""
    header = Header(qid, 0, 0, 0, 0, 1 if rd else 0, 0, 0)
    return encode_message(Message(header, [Question(name, qtype, CLASS_IN)],
                                  [], [], []))


def make_reply(query, answers=(), authority=(), additional=(),
               rcode=NOERROR, aa=True, tc=False):
    """A reply :class:`Message` to decoded *query* (servers and tests)."""
    h = query.header
    header = Header(h.id, 1, h.opcode, 1 if aa else 0, 1 if tc else 0,
                    h.rd, 1, rcode)
    return Message(header, list(query.questions), list(answers),
                   list(authority), list(additional))
