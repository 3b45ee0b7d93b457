"""The destination set (OpenSER ``dset.c``, ``qvalue.c``).

Besides the Request-URI (branch 0, carried by the message itself), a request
may have up to ``MAX_BRANCHES - 1`` extra branches added by
``append_branch()``, ``lookup()``, ``$br = ...``...  Each :class:`Branch`
has a URI, a destination URI (``$du`` of that branch), a Path vector, a q
value (int 0..1000, :data:`Q_UNSPECIFIED` = -1), branch flags and a forced
send socket.

As in OpenSER the set is process-global: the engine calls
:func:`clear_branches` before each message, tm reads it with
:func:`get_branches` when forking.  The q value of the R-URI branch
(``ruri_q``) is global too; the branch flags of branch 0 are kept on the
message (see :mod:`openser_py.core.flags`).

:func:`print_dset` builds the ``Contact:`` header of a 3xx reply.
"""
from openser_py.core.errors import (
    E_TOO_MANY_BRANCHES, E_UNSPEC, E_Q_INV_CHAR, E_Q_EMPTY, E_Q_TOO_BIG,
    E_Q_DEC_MISSING)

__all__ = [
    "MAX_BRANCHES", "MAX_URI_SIZE", "MAX_PATH_SIZE", "MAX_REDIRECTION_LEN",
    "Q_UNSPECIFIED", "MAX_Q", "MIN_Q", "Branch", "QValueError",
    "append_branch", "clear_branches", "get_branch", "get_branches",
    "nr_branches", "set_ruri_q", "get_ruri_q", "print_dset", "q2str",
    "str2q", "sort_by_q", "get_request_uri", "rewrite_uri",
    "branch_uri2dset", "save_dset", "restore_dset",
]

MAX_BRANCHES = 12           # R-URI + 11 appended (config.h)
MAX_URI_SIZE = 1024
MAX_PATH_SIZE = 255
MAX_REDIRECTION_LEN = 512   # longest Contact header print_dset builds

Q_UNSPECIFIED = -1
MAX_Q = 1000
MIN_Q = 0

_CONTACT = "Contact: "
_DELIM = ", "


class QValueError(ValueError):
    """A malformed q value; ``code`` is OpenSER's ``E_Q_*`` error."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


class Branch:
    """One additional branch of the destination set."""

    __slots__ = ("uri", "dst_uri", "path", "q", "flags", "force_socket")

    def __init__(self, uri, dst_uri=None, path=None, q=Q_UNSPECIFIED,
                 flags=0, force_socket=None):
        self.uri = uri
        self.dst_uri = dst_uri or None
        self.path = path or None
        self.q = q
        self.flags = flags
        self.force_socket = force_socket

    def copy(self):
        """An independent copy."""
        return Branch(self.uri, self.dst_uri, self.path, self.q, self.flags,
                      self.force_socket)

    def __eq__(self, other):
        if not isinstance(other, Branch):
            return NotImplemented
        return (self.uri, self.dst_uri, self.path, self.q, self.flags,
                self.force_socket) == (other.uri, other.dst_uri, other.path,
                                       other.q, other.flags,
                                       other.force_socket)

    __hash__ = None

    def __repr__(self):
        return "Branch(%r, dst_uri=%r, path=%r, q=%d, flags=0x%x)" % (
            self.uri, self.dst_uri, self.path, self.q, self.flags)


_branches = []
_ruri_q = Q_UNSPECIFIED


def get_request_uri(msg):
    """The current R-URI: ``msg.new_uri`` if rewritten, else the original."""
    return msg.new_uri if msg.new_uri is not None else msg.ruri


def rewrite_uri(msg, uri):
    """Replace the whole R-URI (``rewrite_uri``); returns 1."""
    msg.new_uri = uri
    return 1


def append_branch(msg, uri=None, dst_uri=None, path=None, q=Q_UNSPECIFIED,
                  flags=0, force_socket=None):
    """Add a branch; without *uri* the current R-URI of *msg* is taken.

    Returns 1, :data:`E_TOO_MANY_BRANCHES` when the set is full, or
    ``E_UNSPEC`` (-1) for an over-long URI/destination/path.
    """
    if len(_branches) >= MAX_BRANCHES - 1:
        return E_TOO_MANY_BRANCHES
    if not uri:
        uri = get_request_uri(msg)
    if not uri or len(uri) > MAX_URI_SIZE - 1:
        return E_UNSPEC
    if dst_uri and len(dst_uri) > MAX_URI_SIZE - 1:
        return E_UNSPEC
    if path and len(path) > MAX_PATH_SIZE - 1:
        return E_UNSPEC
    _branches.append(Branch(uri, dst_uri, path, q, flags, force_socket))
    return 1


def clear_branches():
    """Empty the set and forget the R-URI's q (before each message)."""
    global _ruri_q
    del _branches[:]
    _ruri_q = Q_UNSPECIFIED


def get_branch(idx):
    """Appended branch number *idx* (0-based) or None."""
    if 0 <= idx < len(_branches):
        return _branches[idx]
    return None


def get_branches():
    """The appended branches (a new list; the Branch objects are shared)."""
    return list(_branches)


def nr_branches():
    """How many branches were appended."""
    return len(_branches)


def set_ruri_q(q):
    """Set the q value of the R-URI branch."""
    global _ruri_q
    _ruri_q = q


def get_ruri_q():
    """The q value of the R-URI branch (:data:`Q_UNSPECIFIED` if none)."""
    return _ruri_q


def branch_uri2dset(new_uri):
    """Move each branch URI to its destination and set *new_uri* instead."""
    if len(new_uri) + 1 > MAX_URI_SIZE:
        return E_UNSPEC
    for br in _branches:
        br.dst_uri = br.uri
        br.uri = new_uri
    return 0


def save_dset():
    """Snapshot of the whole set (branches and R-URI q), for tm."""
    return ([b.copy() for b in _branches], _ruri_q)


def restore_dset(saved):
    """Put back a :func:`save_dset` snapshot."""
    global _ruri_q
    branches, q = saved
    _branches[:] = [b.copy() for b in branches]
    _ruri_q = q


# -- q values ---------------------------------------------------------------

def q2str(q):
    """Print a q value as OpenSER: ``1``, ``0``, ``0.5``, ``0.25``, ``0.125``.

    :data:`Q_UNSPECIFIED` gives ``""``.
    """
    if q == Q_UNSPECIFIED:
        return ""
    if q >= MAX_Q:
        return "1"
    if q <= MIN_Q:
        return "0"
    text = "0.%03d" % q
    return text.rstrip("0")


def str2q(text):
    """Parse a q value (``"0.5"``, ``"1.0"``, ``".7"``) into 0..1000.

    The state machine of OpenSER's ``str2q``: leading blanks are skipped,
    digits after the third decimal are ignored.  Raises
    :class:`QValueError` carrying the ``E_Q_*`` code for an empty value, a
    bad character, a value above 1 or a missing decimal part.
    """
    state = "start"
    q = 0
    order = 100
    for ch in text:
        if state == "start":
            if ch in " \t":
                continue
            if ch == "0":
                q, state = 0, "0"
            elif ch == "1":
                q, state = MAX_Q, "1"
            elif ch == ".":
                state = "0."
            else:
                break
        elif state == "0":
            if ch == "0":
                continue
            if ch == ".":
                state = "0."
            elif ch == "1":
                q, state = MAX_Q, "1"
            elif "2" <= ch <= "9":
                raise QValueError("q value too big %r" % text, E_Q_TOO_BIG)
            else:
                break
        elif state == "1":
            if ch == ".":
                state = "1."
            elif "0" <= ch <= "9":
                raise QValueError("q value too big %r" % text, E_Q_TOO_BIG)
            else:
                break
        elif state in ("1.", "1.0"):
            if ch == "0":
                state = "1.0"
            elif "1" <= ch <= "9":
                raise QValueError("q value too big %r" % text, E_Q_TOO_BIG)
            else:
                break
        else:   # "0." and "0.n"
            if not "0" <= ch <= "9":
                break
            q = q + (ord(ch) - 48) * order if state == "0.n" else \
                (ord(ch) - 48) * order
            order //= 10
            state = "0.n"
    else:
        if state == "start":
            raise QValueError("empty q value", E_Q_EMPTY)
        if state in ("0.", "1."):
            raise QValueError("decimal part missing in q %r" % text,
                              E_Q_DEC_MISSING)
        return q
    raise QValueError("invalid character in q %r" % text, E_Q_INV_CHAR)


def sort_by_q(items, key=None):
    """Stable sort, highest q first; an unspecified q (-1) sorts last.

    *key* extracts the q from an item (default: the item's ``q``).
    """
    if key is None:
        return sorted(items, key=lambda it: it.q, reverse=True)
    return sorted(items, key=key, reverse=True)


# -- printing ---------------------------------------------------------------

def _contact_entry(uri, q):
    if q == Q_UNSPECIFIED:
        return uri
    return "<%s>;q=%s" % (uri, q2str(q))


def print_dset(msg):
    """``Contact: <uri>;q=x, ...\\r\\n`` for a redirect reply, or None.

    As OpenSER, the R-URI is listed first only if it was rewritten
    (``msg.new_uri``); None when there is nothing to list or the header
    would exceed :data:`MAX_REDIRECTION_LEN`.
    """
    entries = []
    if msg.new_uri is not None:
        entries.append(_contact_entry(msg.new_uri, _ruri_q))
    for br in _branches:
        entries.append(_contact_entry(br.uri, br.q))
    if not entries:
        return None
    text = _CONTACT + _DELIM.join(entries) + "\r\n"
    if len(text) + 1 > MAX_REDIRECTION_LEN:
        return None
    return text
