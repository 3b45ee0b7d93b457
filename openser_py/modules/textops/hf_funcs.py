"""textops: header fields (add, insert, remove, test), reply headers,
``is_method`` and ``is_privacy``.

Header text arguments are full header lines and, as the 1.3 README says,
must end in ``\\r\\n``: the text is inserted exactly as given (a missing
CRLF is *not* added, which keeps 1.3's output byte for byte); a fixup
warns at start-up when a constant text does not end in CRLF.

A header name argument (``remove_hf``, ``is_present_hf``, the anchor of
``append_hf``/``insert_hf``) is classified once: a known header matches
under its full and compact forms (``Via`` also matches ``v:``), any other
name is compared case-insensitively.
"""
import time

from openser_py.core import dset
from openser_py.core.actions import fixup_format
from openser_py.core.dprint import LM_ERR, LM_WARN
from openser_py.core.exports import FixupError
from openser_py.core.script_state import state
from openser_py.parser import data_lump
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HdrType, hdr_type, is_token
from openser_py.parser.methods import METHOD_IDS, METHOD_OTHER

_OTHER = HdrType.OTHER
_PRIVACY = HdrType.PRIVACY
_CSEQ = HdrType.CSEQ

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")

#: privacy values (RFC 3323, 3325, 4244) -> bit, as 1.3's parse_privacy
PRIVACY_VALUES = {"user": 1, "header": 2, "session": 4, "none": 8,
                  "critical": 16, "id": 32, "history": 64}


# -- fixups -------------------------------------------------------------------

class HdrName:
    """A header name fixed up once: ``type`` and lower-cased ``name``."""

    __slots__ = ("type", "name", "text")

    def __init__(self, text):
        self.text = text
        self.type = hdr_type(text)
        self.name = text.strip(" \t").lower()

    def find(self, msg):
        """Every header field of the message with this name."""
        if self.type != _OTHER:
            return msg.get_hdrs(self.type)
        name = self.name
        return [hf for hf in msg.get_hdrs(_OTHER) if hf.name.lower() == name]

    def __repr__(self):
        return "HdrName(%r)" % self.text


def fixup_hname(value, param_no):
    """A header name."""
    if not is_token(value.strip(" \t")):
        raise FixupError("%r is not a header name" % value)
    return HdrName(value)


def _warn_crlf(text, what):
    if not text.endswith("\r\n"):
        LM_WARN("%s %r does not end in CRLF: it is inserted as is", what,
                text)


def fixup_hf_text(value, param_no):
    """``append_hf``/``insert_hf``: header text with PVs, then a name."""
    if param_no == 2:
        return fixup_hname(value, param_no)
    _warn_crlf(value, "header text")
    return fixup_format(value, param_no)


def fixup_rpl_text(value, param_no):
    """``append_to_reply``: header text with PVs."""
    _warn_crlf(value, "reply header text")
    return fixup_format(value, param_no)


def fixup_urihf(value, param_no):
    """``append_urihf(prefix, suffix)``: two plain strings."""
    if param_no == 2:
        _warn_crlf(value, "append_urihf suffix")
    return value


def fixup_method(value, param_no):
    """``is_method``: one name, or a ``|`` list of known methods.

    Known names (case-insensitive) become a bitmask; a single unknown name
    is kept for a case-insensitive comparison; an unknown name in a list
    is an error.
    """
    names = [n.strip(" \t") for n in value.split("|")]
    if not all(names):
        raise FixupError("empty method name in %r" % value)
    mask = 0
    for name in names:
        if not is_token(name):
            raise FixupError("bad method name %r" % name)
        mid = METHOD_IDS.get(name.upper())
        if mid is None:
            if len(names) > 1:
                raise FixupError("unknown method %r in list %r - must be "
                                 "only defined methods" % (name, value))
            return name.lower()
        mask |= mid
    return int(mask)


def fixup_privacy(value, param_no):
    """``is_privacy``: one privacy value -> its bit."""
    bit = PRIVACY_VALUES.get(value.strip(" \t").lower())
    if bit is None:
        raise FixupError("bad privacy value %r (one of %s)"
                         % (value, ", ".join(PRIVACY_VALUES)))
    return bit


# -- adding headers -----------------------------------------------------------

def _find_first(msg, hname):
    if hname is None:
        return None
    try:
        found = hname.find(msg)
    except SipParseError:
        return None
    return found[0] if found else None


def add_hf(msg, text, hname, append):
    """Insert header text after (``append``) / before header ``hname``,
    falling back to after the last / before the first header when it is
    absent or not given (1.3 ``add_hf_helper``)."""
    hf = _find_first(msg, hname)
    if append:
        offset = hf.end if hf is not None else data_lump.headers_end(msg)
    elif hf is not None:
        offset = hf.start
    else:
        headers = msg.headers
        offset = headers[0].start if headers else msg.first_line_end
    data_lump.insert_before(msg, offset, text)
    return 1


def w_append_hf(msg, fmt, hname=None):
    """``append_hf(txt[, hdr])``."""
    return add_hf(msg, fmt.format(msg), hname, True)


def w_insert_hf(msg, fmt, hname=None):
    """``insert_hf(txt[, hdr])``."""
    return add_hf(msg, fmt.format(msg), hname, False)


def w_append_urihf(msg, prefix, suffix):
    """``append_urihf(prefix, suffix)``: prefix + current R-URI + suffix."""
    if not msg.is_request:
        return -1
    return add_hf(msg, prefix + dset.get_request_uri(msg) + suffix, None,
                  True)


def w_remove_hf(msg, hname):
    """``remove_hf(name)``: delete every such header; -1 if none."""
    try:
        found = hname.find(msg)
    except SipParseError as exc:
        LM_ERR("cannot parse the headers: %s", exc.reason)
        return -1
    for hf in found:
        data_lump.remove_header(msg, hf)
    return 1 if found else -1


def w_is_present_hf(msg, hname):
    """``is_present_hf(name)``."""
    return 1 if _find_first(msg, hname) is not None else -1


# -- reply headers ------------------------------------------------------------

def w_append_to_reply(msg, fmt):
    """``append_to_reply(txt)``: header for the next local reply."""
    data_lump.add_rpl_lump(msg, fmt.format(msg))
    return 1


def date_header(now):
    """``Date: %a, %d %b %Y %H:%M:%S GMT\\r\\n`` in the C locale."""
    t = time.gmtime(now)
    return "Date: %s, %02d %s %d %02d:%02d:%02d GMT\r\n" % (
        _DAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year,
        t.tm_hour, t.tm_min, t.tm_sec)


def w_append_time(msg):
    """``append_time()``: a Date header for the next local reply."""
    data_lump.add_rpl_lump(msg, date_header(state.now()))
    return 1


# -- method and privacy -------------------------------------------------------

def w_is_method(msg, method):
    """``is_method(m)``: request method, or the CSeq method of a reply."""
    if not msg.is_request:
        try:
            if msg.cseq is None:
                LM_ERR("cannot parse cseq header")
                return -1
        except SipParseError:
            LM_ERR("cannot parse cseq header")
            return -1
    if method.__class__ is int:
        return 1 if msg.method_id & method else -1
    if msg.method_id != METHOD_OTHER:
        return -1
    return 1 if msg.method.lower() == method else -1


def privacy_values(msg):
    """Bits of the first Privacy header, 0 if absent; None if malformed."""
    hf = msg.get_hdr(_PRIVACY)
    if hf is None:
        return 0
    bits = 0
    for token in hf.body.split(";"):
        bit = PRIVACY_VALUES.get(token.strip(" \t").lower())
        if bit is None:
            return None
        bits |= bit
    return bits


def w_is_privacy(msg, bit):
    """``is_privacy(value)``: the Privacy header contains that value."""
    try:
        bits = privacy_values(msg)
    except SipParseError:
        bits = None
    if bits is None:
        LM_ERR("bad Privacy header")
        return -1
    return 1 if bits & bit else -1
