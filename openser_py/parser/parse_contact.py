"""Contact header values (RFC 3261 20.10)::

    Contact        = ("Contact" / "m" ) HCOLON
                     ( STAR / (contact-param *(COMMA contact-param)))
    contact-param  = (name-addr / addr-spec) *(SEMI contact-params)
    contact-params = c-p-q / c-p-expires / contact-extension

``q`` is converted to an integer 0..1000 like OpenSER's ``str2q``.
"""
import re

from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_misc import MAX_EXPIRES
from openser_py.parser.parse_nameaddr import NameAddr, parse_nameaddr_list
from openser_py.parser.parse_param import WS

__all__ = ["Contact", "ContactList", "parse_contacts", "parse_q"]

_Q = re.compile(r"([0-9]*)(?:\.([0-9]*))?")


def parse_q(value) -> int:
    """qvalue (RFC 3261 25.1) -> int 0..1000 ("0.33" -> 330).

    Errors use OpenSER's texts (reference 17.3)."""
    if not value:
        raise SipParseError("Empty q parameter")
    m = _Q.fullmatch(value)
    if m is None:
        raise SipParseError("Invalid character in q parameter")
    whole, frac = m.groups()
    if not whole:
        raise SipParseError("Decimal part missing in q")
    if len(whole.lstrip("0")) > 1 or int(whole) > 1:
        raise SipParseError("q parameter too big")
    frac = frac or ""
    if len(frac) > 3:
        raise SipParseError("Invalid character in q parameter")
    q = int(whole) * 1000 + int(frac.ljust(3, "0"))
    if q > 1000:
        raise SipParseError("q parameter too big")
    return q


def _expires(value):
    if value is None or not (value.isascii() and value.isdigit()):
        raise SipParseError("bad Contact expires parameter")
    if len(value.lstrip("0")) > 12 or int(value) > MAX_EXPIRES:
        raise SipParseError("Contact expires parameter too large")
    return int(value)


class Contact(NameAddr):
    """One contact: NameAddr plus ``expires`` (int or None) and ``q``
    (int 0..1000 or None)."""

    __slots__ = ("expires", "q")

    def __init__(self, display, uri, params, uri_start, uri_end, tag=None):
        NameAddr.__init__(self, display, uri, params, uri_start, uri_end)
        expires = q = None
        for n, v in self.params:
            low = n.lower()
            if low == "expires":
                expires = _expires(v)
            elif low == "q":
                q = parse_q(v)
        self.expires = expires
        self.q = q


class ContactList:
    """``star``: a ``Contact: *`` was present; ``contacts``: every other
    contact in order (over all Contact header fields)."""

    __slots__ = ("star", "contacts")

    def __init__(self, star=False, contacts=None):
        self.star = star
        self.contacts = contacts if contacts is not None else []

    def __len__(self):
        return len(self.contacts)

    def __iter__(self):
        return iter(self.contacts)

    def __repr__(self):
        return "ContactList(star=%r, %r)" % (self.star, self.contacts)


def parse_contacts(body: str) -> ContactList:
    """Parse one Contact header value (``*`` or a list of contacts)."""
    if body.strip(WS) == "*":
        return ContactList(True, [])
    return ContactList(False, parse_nameaddr_list(body, Contact))
