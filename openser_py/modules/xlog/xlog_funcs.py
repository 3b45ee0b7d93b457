"""xlog: the logic behind ``xlog()``, ``xdbg()`` and ``$C(xy)``.

Everything costly happens once, in the fixups: the level name is turned
into a number, the format is parsed into a
:class:`~openser_py.core.pvar.PvFormat`.  At run time a call first compares
the level with ``debug`` and returns at once when the record would not be
printed -- nothing is formatted then.

With ``-DNO_DEBUG`` (``openser_py.buildcfg.NO_DEBUG``) ``xdbg()`` and
``xlog("L_DBG", ...)`` are compiled out: their fixups still check the
format (a config is valid in both builds) but hand the function the
:data:`COMPILED_OUT` marker, and the function returns 1 straight away.
"""
from openser_py import buildcfg
from openser_py.core import dprint
from openser_py.core.dprint import (L_ALERT, L_CRIT, L_DBG, L_ERR, L_INFO,
                                    L_NOTICE, L_WARN, LM_ERR)
from openser_py.core.exports import FixupError
from openser_py.core.pvar import PvError, parse_pv_format


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """The module parameters (class attributes are the defaults)."""
    buf_size = 4096
    force_color = 0


class _CompiledOut:
    """Marker for a call removed by ``NO_DEBUG``."""

    __slots__ = ()

    def __repr__(self):
        return "<compiled out by NO_DEBUG>"


#: what a fixup returns for a call compiled out by NO_DEBUG
COMPILED_OUT = _CompiledOut()

#: 1.3 looks only at the third letter of the level name
LEVEL_BY_LETTER = {
    "A": L_ALERT, "C": L_CRIT, "E": L_ERR, "W": L_WARN, "N": L_NOTICE,
    "I": L_INFO, "D": L_DBG,
}
LEVEL_NAMES = "L_ALERT, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO, L_DBG"


# -- fixups -------------------------------------------------------------------

def parse_level(text):
    """``"L_INFO"`` -> ``L_INFO``: the third letter decides, as in 1.3."""
    if not isinstance(text, str) or len(text) < 3:
        raise FixupError("wrong log level %r (expected one of %s)"
                         % (text, LEVEL_NAMES))
    level = LEVEL_BY_LETTER.get(text[2])
    if level is None:
        raise FixupError("unknown log level %r (expected one of %s)"
                         % (text, LEVEL_NAMES))
    return level


def parse_format(text):
    """The format string -> PvFormat (FixupError on a bad PV)."""
    if text is None:
        raise FixupError("null format")
    try:
        return parse_pv_format(text)
    except PvError as exc:
        raise FixupError("wrong format %r: %s" % (text, exc)) from None


def fixup_xlog1(value, param_no):
    """``xlog(format)`` / ``xdbg(format)`` without NO_DEBUG."""
    return parse_format(value)


def fixup_xdbg(value, param_no):
    """``xdbg(format)``: compiled out by NO_DEBUG."""
    fmt = parse_format(value)
    return COMPILED_OUT if buildcfg.NO_DEBUG else fmt


def fixup_xlog2(value, param_no):
    """``xlog(level, format)``: level name, then format."""
    if param_no == 1:
        level = parse_level(value)
        if level == L_DBG and buildcfg.NO_DEBUG:
            return COMPILED_OUT
        return level
    return parse_format(value)


# -- run time -----------------------------------------------------------------

def xlog_print(msg, level, fmt):
    """Format *fmt* for *msg* and write it raw at *level*; returns 1.

    Nothing is formatted when *level* is above ``debug``.  The text is cut
    to ``buf_size`` characters (1.3 refused to print an over-long record).
    """
    if dprint.state.debug < level:
        return 1
    text = fmt.format(msg)
    limit = cfg.buf_size
    if len(text) > limit:
        text = text[:limit]
    dprint.LOG(level, text)
    return 1


def w_xlog1(msg, fmt):
    """``xlog(format)``: print at L_ERR."""
    return xlog_print(msg, L_ERR, fmt)


def w_xlog2(msg, level, fmt):
    """``xlog(level, format)``."""
    if level is COMPILED_OUT:
        return 1
    return xlog_print(msg, level, fmt)


def w_xdbg(msg, fmt):
    """``xdbg(format)``: print at L_DBG."""
    if fmt is COMPILED_OUT:
        return 1
    return xlog_print(msg, L_DBG, fmt)


def mod_init():
    """Check the parameters (1.3 allocated its print buffer here)."""
    if not isinstance(cfg.buf_size, int) or cfg.buf_size <= 0:
        LM_ERR("buf_size must be a positive number, not %r", cfg.buf_size)
        return -1
    return 0


# -- $C(xy): ANSI colours -----------------------------------------------------

#: SGR colour number of each letter (foreground 3x, background 4x)
COLOR_CODES = {
    "x": 9,     # terminal default
    "s": 0,     # black
    "r": 1, "g": 2, "y": 3, "b": 4,
    "p": 5,     # purple (magenta)
    "c": 6, "w": 7,
}
FOREGROUNDS = "xsrgybpcwSRGYBPCW"   # upper case (not X) = bold/bright
BACKGROUNDS = "xsrgybpcw"


def parse_color_name(name):
    """``$C(xy)`` name -> the escape sequence, computed once.

    ``x`` is the foreground, ``y`` the background; an upper-case foreground
    letter selects the bold/bright variant.  ValueError for a bad name.
    """
    if name is None or len(name) != 2:
        raise ValueError("color name must have two chars")
    fg, bg = name[0], name[1]
    if fg not in FOREGROUNDS:
        raise ValueError("invalid foreground color %r" % fg)
    if bg not in BACKGROUNDS:
        raise ValueError("invalid background color %r" % bg)
    weight = "1" if fg.isupper() else "0"
    return "\033[%s;3%d;4%dm" % (weight, COLOR_CODES[fg.lower()],
                                 COLOR_CODES[bg])


def pv_get_color(msg, escape):
    """``$C(xy)``: the escape, or "" unless on stderr or force_color."""
    if dprint.state.stderr or cfg.force_color:
        return escape
    return ""
