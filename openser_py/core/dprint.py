"""Logging core: OpenSER's ``LM_*`` macros and ``LOG()``.

Levels are OpenSER's (reference §11): ``L_ALERT`` -3 .. ``L_DBG`` 4.  A record
is written when the current ``debug`` level is >= the record's level, so every
``LM_*`` call starts with one integer compare and returns at once when the level
is off.  With ``-DNO_DEBUG`` in ``Makefile.defs`` ``LM_DBG`` is a no-op.

Two sinks, as in OpenSER:

* stderr (``log_stderror=yes`` or ``-E``)::

      Nov 27 12:02:23 [4242] ERROR:tm:t_relay: no branches for forwarding

  written with one ``os.write`` per record, so records from several processes
  never interleave inside a line.  The tag is coloured only when stderr is a
  terminal and ``NO_COLOR`` is not set.
* syslog (the default): ``ERROR:tm:t_relay: ...`` at priority level|facility,
  identity ``log_name``.

The ``module:function`` prefix is taken from the caller: ``core`` for code
outside ``openser_py.modules``, else the module's name.  ``LOG(level, text)``
writes the text raw (no prefix), as ``log()``/``xlog`` need.
"""
import os
import sys
import syslog
import time

from openser_py import buildcfg
from openser_py.core import log_json as _json

L_ALERT = -3
L_CRIT = -2
L_ERR = -1
L_WARN = 1
L_NOTICE = 2
L_INFO = 3
L_DBG = 4

LEVEL_NAMES = {
    L_ALERT: "ALERT", L_CRIT: "CRITICAL", L_ERR: "ERROR", L_WARN: "WARNING",
    L_NOTICE: "NOTICE", L_INFO: "INFO", L_DBG: "DBG",
}
# names accepted by xlog("L_INFO", ...) and friends
LEVEL_BY_NAME = {
    "L_ALERT": L_ALERT, "L_CRIT": L_CRIT, "L_ERR": L_ERR, "L_WARN": L_WARN,
    "L_NOTICE": L_NOTICE, "L_INFO": L_INFO, "L_DBG": L_DBG,
}
_SYSLOG_PRIO = {
    L_ALERT: syslog.LOG_ALERT, L_CRIT: syslog.LOG_CRIT, L_ERR: syslog.LOG_ERR,
    L_WARN: syslog.LOG_WARNING, L_NOTICE: syslog.LOG_NOTICE,
    L_INFO: syslog.LOG_INFO, L_DBG: syslog.LOG_DEBUG,
}
_COLORS = {
    L_ALERT: "\033[31;1m", L_CRIT: "\033[31;1m", L_ERR: "\033[31;1m",
    L_WARN: "\033[34;1m", L_NOTICE: "\033[35;1m", L_INFO: "\033[36;1m",
    L_DBG: "\033[32;1m",
}
_RESET = "\033[0m"

FACILITIES = {
    name: getattr(syslog, name) for name in (
        "LOG_AUTH", "LOG_CRON", "LOG_DAEMON", "LOG_KERN", "LOG_LPR",
        "LOG_MAIL", "LOG_NEWS", "LOG_USER", "LOG_UUCP", "LOG_AUTHPRIV",
        "LOG_SYSLOG", "LOG_LOCAL0", "LOG_LOCAL1", "LOG_LOCAL2", "LOG_LOCAL3",
        "LOG_LOCAL4", "LOG_LOCAL5", "LOG_LOCAL6", "LOG_LOCAL7")
    if hasattr(syslog, name)
}
if hasattr(syslog, "LOG_FTP"):
    FACILITIES["LOG_FTP"] = syslog.LOG_FTP


class _State:
    """Process-wide logging settings (copied into children by fork)."""
    __slots__ = ("debug", "stderr", "facility", "name", "color", "fd",
                 "syslog_open", "saved_debug")

    def __init__(self):
        self.debug = L_NOTICE
        self.stderr = True          # before the config is read: stderr
        self.facility = syslog.LOG_DAEMON
        self.name = "openser"
        self.color = None           # None: decide from isatty + NO_COLOR
        self.fd = 2
        self.syslog_open = False
        self.saved_debug = None


state = _State()


def set_debug(level):
    """Set the process's debug level (values above 4 behave as 4)."""
    state.debug = int(level)


def set_proc_debug(level):
    """``setdebug(n)``: override the level in this process only."""
    if state.saved_debug is None:
        state.saved_debug = state.debug
    state.debug = int(level)


def reset_proc_debug():
    """``setdebug()``: back to the configured level."""
    if state.saved_debug is not None:
        state.debug = state.saved_debug
        state.saved_debug = None


def get_debug():
    """Return the current debug level."""
    return state.debug


def facility_by_name(name):
    """Map ``LOG_LOCAL0`` style names (case-insensitive) to syslog values.

    Raises ``KeyError`` for unknown names.
    """
    return FACILITIES[name.upper()]


def configure(debug=None, log_stderror=None, log_facility=None,
              log_name=None, color=None, log_format=None):
    """Apply the logging related core parameters.

    Called by the master once the config has been read (and again in a child
    if it changes them).  Switching to syslog opens the syslog connection.
    ``log_format`` is ``text`` or ``json`` (see :mod:`.log_json`).
    """
    if log_format is not None:
        _json.set_format(log_format)
    if debug is not None:
        set_debug(debug)
    if log_facility is not None:
        state.facility = (facility_by_name(log_facility)
                          if isinstance(log_facility, str) else log_facility)
    if log_name is not None:
        state.name = log_name
    if color is not None:
        state.color = color
    if log_stderror is not None:
        state.stderr = bool(log_stderror)
    if not state.stderr:
        syslog.openlog(state.name, syslog.LOG_PID | syslog.LOG_NDELAY,
                       state.facility)
        state.syslog_open = True


def _use_color():
    if state.color is None:
        try:
            state.color = (os.isatty(state.fd)
                           and not os.environ.get("NO_COLOR"))
        except OSError:
            state.color = False
    return state.color


def _origin(depth):
    """Return ``module:function`` of the frame *depth* levels up."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return "core:?"
    modname = frame.f_globals.get("__name__", "")
    if modname.startswith("openser_py.modules."):
        mod = modname.split(".", 3)[2]
    elif modname.startswith("openser_ext_"):   # module loaded from mpath
        mod = modname.split(".", 1)[0][len("openser_ext_"):]
    elif modname.startswith(("openser_py.", "__main__")) or not modname:
        mod = "core"
    else:  # third-party module loaded from mpath
        mod = modname.split(".", 1)[0]
    return "%s:%s" % (mod, frame.f_code.co_name)


def _stderr_time():
    # ctime() without weekday and year: "Nov 27 12:02:23"
    return time.strftime("%b %e %H:%M:%S")


def _emit(level, text):
    """Write one already formatted record to the configured sink."""
    if state.stderr:
        line = "%s [%d] %s" % (_stderr_time(), os.getpid(), text)
        if not line.endswith("\n"):
            line += "\n"
        try:
            os.write(state.fd, line.encode("utf-8", "replace"))
        except OSError:
            pass
    else:
        if level > L_DBG:
            level = L_DBG
        prio = _SYSLOG_PRIO.get(level, syslog.LOG_DEBUG)
        syslog.syslog(prio | state.facility, text.rstrip("\n"))


def _log(level, fmt, args, depth=3):
    if args:
        try:
            msg = fmt % args
        except (TypeError, ValueError):
            msg = "%s %r" % (fmt, args)
    else:
        msg = fmt
    if _json.enabled():             # log_format=json: one JSON object
        _json.record(state, level, LEVEL_NAMES.get(level, "DBG"),
                     _SYSLOG_PRIO.get(level, syslog.LOG_DEBUG), msg,
                     _origin(depth), depth)
        return
    tag = LEVEL_NAMES.get(level, "DBG")
    if state.stderr and _use_color():
        tag = "%s%s%s" % (_COLORS.get(level, ""), tag, _RESET)
    _emit(level, "%s:%s: %s" % (tag, _origin(depth), msg))


def is_printable(level):
    """True when a record of *level* would be written (OpenSER is_printable)."""
    return state.debug >= level


def LM_ALERT(fmt, *args):
    """Log at L_ALERT (always printed unless debug < -3)."""
    if state.debug >= L_ALERT:
        _log(L_ALERT, fmt, args)


def LM_CRIT(fmt, *args):
    """Log at L_CRIT."""
    if state.debug >= L_CRIT:
        _log(L_CRIT, fmt, args)


def LM_ERR(fmt, *args):
    """Log at L_ERR."""
    if state.debug >= L_ERR:
        _log(L_ERR, fmt, args)


def LM_WARN(fmt, *args):
    """Log at L_WARN."""
    if state.debug >= L_WARN:
        _log(L_WARN, fmt, args)


def LM_NOTICE(fmt, *args):
    """Log at L_NOTICE."""
    if state.debug >= L_NOTICE:
        _log(L_NOTICE, fmt, args)


def LM_INFO(fmt, *args):
    """Log at L_INFO."""
    if state.debug >= L_INFO:
        _log(L_INFO, fmt, args)


if buildcfg.NO_DEBUG:
    def LM_DBG(fmt, *args):  # noqa: D401 - compiled out by NO_DEBUG
        """No-op: built with -DNO_DEBUG."""
        return None
else:
    def LM_DBG(fmt, *args):
        """Log at L_DBG."""
        if state.debug >= L_DBG:
            _log(L_DBG, fmt, args)


def LOG(level, text):
    """Write *text* raw (no tag, no module prefix) if *level* is enabled.

    This is what the script's ``log()`` and ``xlog()`` use.
    """
    if state.debug >= level:
        if _json.enabled():
            _json.record(state, level, LEVEL_NAMES.get(level, "DBG"),
                         _SYSLOG_PRIO.get(min(level, L_DBG), syslog.LOG_DEBUG),
                         text, _origin(2), 2)
            return
        _emit(level, text)


def LM_GEN(level, fmt, *args):
    """Log with a level chosen at run time (used by MI/memory dumps)."""
    if state.debug >= level:
        _log(level, fmt, args)
