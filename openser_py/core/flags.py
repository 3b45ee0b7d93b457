"""Message, branch and script flags (OpenSER ``flags.c``, ``dset.c``).

Three kinds of flags, 32 of each (numbers 0..31):

* **message flags** -- ``setflag(n)``: bits of ``msg.flags``; tm stores them
  with the transaction (``$mf``);
* **branch flags** -- ``setbflag([branch,] n)``: per branch; branch 0 is the
  R-URI branch, whose flags live on the message (``msg.ctx["bflags0"]``,
  ``$bf``); branches 1.. are the appended branches of
  :mod:`openser_py.core.dset`;
* **script flags** -- ``setsflag(n)``: process state, cleared at the start of
  every top-level route run, never stored (``$sf``).

The ``is*`` tests return 1 or -1 and the setters 1, as the script functions
do.  Flag numbers are checked once, when the script is compiled:
:func:`check_flag` raises :class:`FlagError`; the run-time helpers take the
number as is.
"""
from openser_py.core import dset
from openser_py.core.script_state import state as _state

__all__ = [
    "MAX_FLAG", "FlagError", "check_flag", "flag_in_range", "flag_mask",
    "setflag", "resetflag", "isflagset", "getflags",
    "setbflag", "resetbflag", "isbflagset", "getb0flags", "setb0flags",
    "setsflag", "resetsflag", "issflagset", "getsflags", "setsflags",
]

MAX_FLAG = 31
_BFLAGS0 = "bflags0"


class FlagError(ValueError):
    """A flag number outside 0..31 (a configuration error)."""


def flag_in_range(flag):
    """True for a valid flag number (0..31)."""
    return isinstance(flag, int) and 0 <= flag <= MAX_FLAG


def check_flag(flag):
    """Return *flag* as an int if it is 0..31, else raise :class:`FlagError`.

    Accepts the numeric strings script parameters arrive as.
    """
    try:
        num = int(flag)
    except (TypeError, ValueError):
        raise FlagError("flag %r is not a number" % (flag,)) from None
    if isinstance(flag, bool) or not 0 <= num <= MAX_FLAG:
        raise FlagError("flag (%s) out of range 0..%d" % (flag, MAX_FLAG))
    return num


def flag_mask(flag):
    """``1 << flag`` after :func:`check_flag`."""
    return 1 << check_flag(flag)


# -- message flags ----------------------------------------------------------

def setflag(msg, flag):
    """Set message flag *flag*; returns 1."""
    msg.flags = (msg.flags or 0) | (1 << flag)
    return 1


def resetflag(msg, flag):
    """Clear message flag *flag*; returns 1."""
    msg.flags = (msg.flags or 0) & ~(1 << flag)
    return 1


def isflagset(msg, flag):
    """1 if message flag *flag* is set, else -1."""
    return 1 if (msg.flags or 0) & (1 << flag) else -1


def getflags(msg):
    """All message flags as an int."""
    return msg.flags or 0


# -- branch flags -----------------------------------------------------------

def getb0flags(msg):
    """Branch flags of the R-URI branch (branch 0)."""
    return msg.ctx.get(_BFLAGS0, 0)


def setb0flags(msg, flags):
    """Replace the branch-0 flags (tm restores them for failure routes)."""
    msg.ctx[_BFLAGS0] = flags
    return 0


def _bflags_get(msg, branch):
    if branch == 0:
        return msg.ctx.get(_BFLAGS0, 0)
    br = dset.get_branch(branch - 1)
    return None if br is None else br.flags


def _bflags_put(msg, branch, value):
    if branch == 0:
        msg.ctx[_BFLAGS0] = value
    else:
        dset.get_branch(branch - 1).flags = value


def setbflag(msg, flag, branch=0):
    """Set branch flag *flag* of *branch*; 1, or -1 if no such branch."""
    cur = _bflags_get(msg, branch)
    if cur is None:
        return -1
    _bflags_put(msg, branch, cur | (1 << flag))
    return 1


def resetbflag(msg, flag, branch=0):
    """Clear branch flag *flag* of *branch*; 1, or -1 if no such branch."""
    cur = _bflags_get(msg, branch)
    if cur is None:
        return -1
    _bflags_put(msg, branch, cur & ~(1 << flag))
    return 1


def isbflagset(msg, flag, branch=0):
    """1 if branch flag *flag* of *branch* is set, else -1."""
    cur = _bflags_get(msg, branch)
    if cur is None:
        return -1
    return 1 if cur & (1 << flag) else -1


# -- script flags -----------------------------------------------------------

def setsflag(flag):
    """Set script flag *flag*; returns 1."""
    _state.sflags |= 1 << flag
    return 1


def resetsflag(flag):
    """Clear script flag *flag*; returns 1."""
    _state.sflags &= ~(1 << flag)
    return 1


def issflagset(flag):
    """1 if script flag *flag* is set, else -1."""
    return 1 if _state.sflags & (1 << flag) else -1


def getsflags():
    """All script flags as an int."""
    return _state.sflags


def setsflags(flags):
    """Replace all script flags."""
    _state.sflags = flags
    return 1
