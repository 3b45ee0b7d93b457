"""CSeq header value (RFC 3261 20.16)::

    CSeq = "CSeq" HCOLON 1*DIGIT LWS Method

The number must fit in 32 bits (RFC 3261 8.1.1.5, RFC 4475 3.1.2.4).
"""
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.methods import METHOD_IDS

__all__ = ["CSeqBody", "parse_cseq", "MAX_CSEQ"]

MAX_CSEQ = 2 ** 32 - 1

_CSEQ = re.compile(r"([0-9]{1,32})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)")


class CSeqBody:
    """``num`` (int), ``num_str`` (digits as written), ``method`` (str)."""

    __slots__ = ("num", "num_str", "method")

    def __init__(self, num, num_str, method):
        self.num = num
        self.num_str = num_str
        self.method = method

    def __repr__(self):
        return "CSeqBody(%d, %r)" % (self.num, self.method)


class FastCSeq(CSeqBody):
    """CSeqBody of the fast path (package-internal): created without
    ``__init__`` (cheaper than ``object.__new__``), the caller sets
    ``num_str`` (at most 9 ASCII digits) and ``method``; ``num`` is
    computed when read."""

    __slots__ = ()
    __init__ = object.__init__
    num = property(lambda self: int(self.num_str), doc="CSeq number.")


FastCSeq.__name__ = FastCSeq.__qualname__ = "CSeqBody"


def parse_cseq(body: str) -> CSeqBody:
    """Parse ``"314159 INVITE"``; whitespace between the parts may be any
    LWS (already unfolded by the caller)."""
    num_str, _, method = body.partition(" ")
    if (method in METHOD_IDS and num_str.isdecimal()
            and len(num_str) < 10):
        # fast path: "<short number> <known method>" (no __init__ call)
        cs = FastCSeq()
        cs.num_str = num_str
        cs.method = method
        return cs
    m = _CSEQ.fullmatch(body)
    if m is None:
        raise SipParseError("bad CSeq header")
    num_str, method = m.groups()
    num = int(num_str)
    if num > MAX_CSEQ:
        raise SipParseError("CSeq number too large")
    return CSeqBody(num, num_str, method)
