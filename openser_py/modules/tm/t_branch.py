"""tm's Via branch parameter and To-tag (reference §5.1, RFC 3261 §8.1.1.7).

Every request tm forwards carries a Via of ours whose branch names the
transaction and the branch inside it (``syn_branch=1``, OpenSER's default)::

    z9hG4bK <rhex(hash_index)> . <rhex(label)> . <rhex(branch_no)>

``z9hG4bK`` is the RFC 3261 magic cookie (§8.1.1.7), so a reply is matched
by decoding its first Via's branch (§17.1.3) without comparing any header.
``rhex`` is OpenSER's ``int2reverse_hex``: lowercase hexadecimal written
*least significant nibble first*, no padding, ``0`` for zero (``0x1f3`` is
``"3f1"``).  The decoder mirrors ``reverse_hex2int`` + ``t_reply_matching``:
upper-case digits are accepted, the three parts must be non-empty, the
hash must be below the table size and the branch below ``MAX_BRANCHES``.
Like the C ``unsigned int`` arithmetic, digits beyond the eighth overflow
out of the value (only the eight least significant nibbles count).

``syn_branch=0`` (an MD5 of the transaction key as the middle part) is not
implemented: the module always writes labels, as OpenSER 1.3 does by
default.  CANCELs tm builds reuse the branch of the INVITE branch they
cancel (§9.1), and hop-by-hop ACKs to negative replies reuse it too
(§17.1.1.3).

The To-tag of stateful local replies (t_reply, faked 408/487) is
``md5("OpenSER-TM/tags" + first listen ip + port) + "-" + crc16(Via1)``
(:mod:`openser_py.parser.tags`, reference §17.1); :class:`TmTagger`
computes the fixed part once.
"""
import re

from openser_py.parser.tags import (TM_SEPARATOR, TM_SIGNATURE, build_totag,
                                    calc_crc_suffix, init_tags)

__all__ = ["MCOOKIE", "BRANCH_SEPARATOR", "MAX_BRANCHES", "TABLE_ENTRIES",
           "int2reverse_hex", "reverse_hex2int", "branch_value",
           "parse_branch", "has_cookie", "TmTagger", "tm_totag"]

#: RFC 3261 magic cookie (§8.1.1.7).
MCOOKIE = "z9hG4bK"
MCOOKIE_LEN = len(MCOOKIE)
BRANCH_SEPARATOR = "."
#: OpenSER's MAX_BRANCHES: forks per transaction.
MAX_BRANCHES = 12
#: OpenSER's TM_TABLE_ENTRIES (2^16).
TABLE_ENTRIES = 1 << 16

_MASK32 = 0xFFFFFFFF
_HEXVAL = {c: int(c, 16) for c in "0123456789abcdefABCDEF"}
# cookie, then three non-empty runs of hex digits separated by dots
_BRANCH_RE = re.compile(r"z9hG4bK([0-9a-fA-F]+)\.([0-9a-fA-F]+)\."
                        r"([0-9a-fA-F]+)").fullmatch


def int2reverse_hex(nr):
    """``nr`` (>= 0) in lowercase hex, least significant nibble first."""
    if nr < 0:
        raise ValueError("negative number %d" % nr)
    return format(nr, "x")[::-1]


def reverse_hex2int(text):
    """Decode a reverse-hex string; -1 if it holds a non-hex character.

    The value wraps at 32 bits like OpenSER's ``unsigned int``.  An empty
    string decodes to 0 (callers reject empty parts themselves).
    """
    res = 0
    hexval = _HEXVAL
    for ch in reversed(text):
        digit = hexval.get(ch)
        if digit is None:
            return -1
        res = ((res << 4) + digit) & _MASK32
    return res


def branch_value(hash_index, label, branch_no):
    """The branch parameter value for ``(hash_index, label, branch_no)``."""
    return "%s%s.%s.%s" % (MCOOKIE, format(hash_index, "x")[::-1],
                           format(label, "x")[::-1],
                           format(branch_no, "x")[::-1])


def has_cookie(branch):
    """True if ``branch`` starts with the magic cookie and is longer than it."""
    return (branch is not None and len(branch) > MCOOKIE_LEN
            and branch.startswith(MCOOKIE))


def parse_branch(branch, table_entries=TABLE_ENTRIES,
                 max_branches=MAX_BRANCHES):
    """Decode one of our branch values.

    Returns ``(hash_index, label, branch_no)``, or None when ``branch`` is
    not one of ours (no cookie, wrong shape, bad digit, out of range) --
    the reply is then forwarded statelessly by the core (reference §5.2).
    """
    # every reply is decoded here: one regex and int() per part instead
    # of splitting and decoding digit by digit (reverse_hex2int's result:
    # the digits reversed, wrapped at 32 bits)
    m = _BRANCH_RE(branch) if branch is not None else None
    if m is None:
        return None
    hashs, labels, brs = m.groups()
    hash_index = int(hashs[::-1], 16) & _MASK32
    branch_no = int(brs[::-1], 16) & _MASK32
    if hash_index >= table_entries or branch_no >= max_branches:
        return None
    return hash_index, int(labels[::-1], 16) & _MASK32, branch_no


class TmTagger:
    """Builds tm To-tags; the MD5 part is computed once per server.

    ``TmTagger("10.0.0.1", 5060).totag(msg)`` is
    ``build_totag(TM_SIGNATURE, TM_SEPARATOR, "10.0.0.1", 5060, msg)``.
    """

    __slots__ = ("prefix",)

    def __init__(self, ip, port):
        self.prefix = init_tags(TM_SIGNATURE, ip, port) + TM_SEPARATOR

    def totag(self, msg):
        """The tag tm adds to a local reply to ``msg`` (To without tag)."""
        return calc_crc_suffix(msg, self.prefix)


def tm_totag(ip, port, msg):
    """One-shot tm To-tag for ``msg`` (see :class:`TmTagger`)."""
    return build_totag(TM_SIGNATURE, TM_SEPARATOR, ip, port, msg)
