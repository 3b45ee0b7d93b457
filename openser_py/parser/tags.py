"""To-tags of locally generated replies (OpenSER ``tags.h`` / ``crc.c``).

OpenSER builds the To-tag it adds to the replies it generates itself from two
parts (reference §17.1):

* a fixed part bound to the server instance: the 32 lowercase hex digits of
  ``MD5(signature + first listen IP string + its port string)``, computed once
  at start-up (:func:`init_tags`); ``signature`` is ``"OpenSER-stateless"``
  for ``sl`` and ``"OpenSER-TM/tags"`` for ``tm``;
* a separator (``.`` for sl, ``-`` for tm) and a variable part bound to the
  request: 4 hex digits of a CRC-16 over the first Via's host, port string
  (as written, empty when absent) and branch value
  (:func:`calc_crc_suffix`).  Because the variable part depends on the Via,
  a request looping through the same server gets a different tag.

CRC variant.  ``crc.c`` uses the *reflected* CCITT polynomial (table for
0x8408 == bit-reversed 0x1021), starts from 0xFFFF and returns the one's
complement.  That is the catalogued **CRC-16/X-25** (a.k.a. CRC-16/IBM-SDLC):
``"123456789"`` -> ``0x906E`` -- *not* CCITT-FALSE (0x29B1).  The 16-bit value
is then printed by ``int2reverse_hex``: lowercase hex, *least significant
nibble first*, zero-padded on the right to 4 characters; e.g. 0x906E is
written ``"e609"``.

Everything here is pure: no sockets, no globals besides the CRC table.
"""
from binascii import crc_hqx
from hashlib import md5

__all__ = [
    "SL_SIGNATURE", "SL_SEPARATOR", "TM_SIGNATURE", "TM_SEPARATOR",
    "MD5_LEN", "CRC16_LEN", "crcitt", "crcitt_string", "crcitt_string_array",
    "reverse_hex", "init_tags", "calc_crc_suffix", "build_totag",
]

SL_SIGNATURE = "OpenSER-stateless"
SL_SEPARATOR = "."
TM_SIGNATURE = "OpenSER-TM/tags"
TM_SEPARATOR = "-"
MD5_LEN = 32
CRC16_LEN = 4

_POLY_REFLECTED = 0x8408   # x^16 + x^12 + x^5 + 1, bit-reversed


def _make_table():
    """Return the 256-entry table for the reflected CCITT polynomial."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY_REFLECTED if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def _crcitt_table(data, crc=0xFFFF):
    """Reference implementation of :func:`crcitt` (one table step a byte)."""
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


# The reflected CRC (poly 0x8408) of some bytes equals the bit-reversed
# MSB-first CRC-CCITT (poly 0x1021, binascii.crc_hqx, C speed) of the same
# bytes with each byte bit-reversed, started from the bit-reversed register.
_REV8 = bytes(int(format(b, "08b")[::-1], 2) for b in range(256))


# The suffix from a crc_hqx register v (bit-reversed bytes): the final
# CRC is ~_rev16(v), printed least significant nibble first; its low byte
# is ~_REV8[v >> 8], its high byte ~_REV8[v & 0xFF], so the four digits are
# _SUFFIX_HEX[v >> 8] + _SUFFIX_HEX[v & 0xFF].
_SUFFIX_HEX = tuple(format(~_REV8[b] & 0xFF, "02x")[::-1] for b in range(256))


def _rev16(v):
    return (_REV8[v & 0xFF] << 8) | _REV8[v >> 8]


def crcitt(data, crc=0xFFFF):
    """Feed ``data`` (bytes) into a running CCITT register ``crc``.

    Returns the new register value (not yet complemented), so several pieces
    can be chained exactly like ``crcitt_string_array`` does in C.  Computed
    with :func:`binascii.crc_hqx` on bit-reversed bytes (see ``_REV8``);
    ``_crcitt_table`` is the byte-loop reference the tests compare against.
    """
    return _rev16(crc_hqx(data.translate(_REV8), _rev16(crc)))


def crcitt_string(data):
    """CRC-16/X-25 of ``data`` (bytes or latin-1 str) as an int 0..0xFFFF."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    return ~crcitt(data) & 0xFFFF


def reverse_hex(value, width):
    """Lowercase hex of ``value``, least significant nibble first.

    Mirrors OpenSER's ``int2reverse_hex`` followed by right padding with
    ``'0'`` up to ``width`` characters (``crcitt_string_array``).
    """
    return format(value, "0%dx" % width)[::-1]


def crcitt_string_array(parts):
    """CRC over the concatenation of ``parts`` as the 4-char suffix string.

    ``parts`` are latin-1 ``str`` (or bytes) values; ``None`` entries are
    skipped.
    """
    crc = 0xFFFF
    for part in parts:
        if part:
            if isinstance(part, str):
                part = part.encode("latin-1")
            crc = crcitt(part, crc)
    return reverse_hex(~crc & 0xFFFF, CRC16_LEN)


def init_tags(prefix, ip, port):
    """Fixed part of the local To-tag: md5 hex of ``prefix + ip + port``.

    ``ip`` is the first listening socket's address string (IPv6 without
    brackets, as OpenSER's ``address_str``), ``port`` its port (int or str).
    Returns 32 lowercase hex characters; the caller appends the separator
    (:data:`SL_SEPARATOR` / :data:`TM_SEPARATOR`).
    """
    text = "%s%s%s" % (prefix, ip or "", "" if port is None else port)
    return md5(text.encode("latin-1")).hexdigest()


def calc_crc_suffix(msg, tag_prefix=""):
    """Return ``tag_prefix`` followed by the 4-char CRC suffix of ``msg``.

    The CRC covers the first Via's host, its port string as written and its
    branch value (when there is a branch parameter).  ``tag_prefix`` is
    typically ``init_tags(...) + separator``; pass ``""`` to get only the
    suffix.  A message without a Via (never a valid request) gets the CRC
    of nothing (``"0000"``), where OpenSER would leave the suffix unchanged.
    """
    via = msg.via1
    if via is None:
        return tag_prefix + crcitt_string_array(())
    # crcitt_string_array((host, port_str, branch)) in one CRC call: the
    # CRC of pieces chained is the CRC of their concatenation
    text = via.host or ""
    port, branch = via.port_str, via.branch
    if port:
        text += port
    if branch:
        text += branch
    v = crc_hqx(text.encode("latin-1").translate(_REV8), 0xFFFF)
    return tag_prefix + _SUFFIX_HEX[v >> 8] + _SUFFIX_HEX[v & 0xFF]


def build_totag(signature, separator, ip, port, msg):
    """Convenience: the complete local To-tag for ``msg``.

    ``build_totag(SL_SIGNATURE, SL_SEPARATOR, "10.0.0.1", 5060, msg)``.
    Callers on the hot path should compute :func:`init_tags` once and use
    :func:`calc_crc_suffix` per message instead.
    """
    return calc_crc_suffix(msg, init_tags(signature, ip, port) + separator)
