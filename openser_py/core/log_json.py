"""Structured logging: ``log_format=json`` (core parameter).

With ``log_format="json"`` every record -- ``LM_*`` lines, ``log()`` and
``xlog()`` output -- is written as one JSON object on one line, to the
same sink as text records (stderr with ``log_stderror=yes``/``-E``, else
syslog).  Each record is built completely and written with a single
``os.write`` (stderr) or a single ``syslog()`` call, so records of
concurrent processes never interleave.

Fields (stable; a field without a value is left out):

============ ================================================================
``time``     UTC, ISO 8601 with milliseconds: ``2026-11-27T14:02:03.123Z``
``level``    ``ALERT CRITICAL ERROR WARNING NOTICE INFO DBG``
``pid``      the writing process
``process``  its description, as MI ``ps`` shows it (``udp receiver ...``)
``module``   ``core`` or the module's name (``tm``, ``xlog`` ...)
``function`` the Python function that logged (LM_* records only)
``message``  the text (trailing newline removed)
``cfg``      ``file:line`` of the script call that is running, e.g. the
             ``xlog()`` call site, whenever a record is written from inside
             a script function
``callid``   Call-ID of the SIP message in hand, when there is one
``method``   its method (for a reply: the CSeq method)
============ ================================================================

How ``cfg``, ``callid`` and ``method`` are found: the script compiler
(:mod:`openser_py.cfg.compile`) turns every call into a closure
``call0/call1/call2/calln(msg)`` that holds its call site ``coord``; the
record's caller frames are searched (at most :data:`MAX_DEPTH` of them,
only in JSON mode) for that closure and for a ``msg`` local that is a
parsed SIP message.  Text mode never pays for this.
"""
import json
import os
import sys
import syslog
import time

__all__ = ["FORMATS", "set_format", "enabled", "set_process", "record"]

FORMATS = ("text", "json")
MAX_DEPTH = 24
_CALL_FRAMES = frozenset(("call0", "call1", "call2", "calln"))


class _Json:
    __slots__ = ("on", "process", "busy", "msg_cls")

    def __init__(self):
        self.on = False
        self.process = None
        self.busy = False
        self.msg_cls = None


_st = _Json()


def set_format(name):
    """``text`` or ``json``; ValueError for anything else."""
    name = (name or "text").lower()
    if name not in FORMATS:
        raise ValueError("log_format must be one of %s, not %r"
                         % (", ".join(FORMATS), name))
    _st.on = name == "json"


def enabled():
    """True in JSON mode."""
    return _st.on


def set_process(desc):
    """This process's description (the ``process`` field)."""
    _st.process = desc


def _iso_now():
    t = time.time()
    return "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)),
                         int(t * 1000) % 1000)


def _msg_class():
    if _st.msg_cls is None:
        from openser_py.parser.msg import SipMsg
        _st.msg_cls = SipMsg
    return _st.msg_cls


def _context(depth):
    """``(coord, msg)`` found in the caller frames (either may be None)."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None, None
    coord = msg = None
    msg_cls = _msg_class()
    for _ in range(MAX_DEPTH):
        if frame is None:
            break
        code = frame.f_code
        if coord is None and code.co_name in _CALL_FRAMES and \
                code.co_filename.endswith("compile.py"):
            local = frame.f_locals
            coord = local.get("coord")
            cand = local.get("msg")
            if msg is None and isinstance(cand, msg_cls):
                msg = cand
            break
        if msg is None:
            cand = frame.f_locals.get("msg")
            if isinstance(cand, msg_cls):
                msg = cand
        frame = frame.f_back
    return coord, msg


def _msg_fields(out, msg):
    try:
        callid = msg.callid
        if callid:
            out["callid"] = str(callid)
        method = msg.method
        if method:
            out["method"] = str(method)
    except Exception:  # noqa: BLE001 - a broken message: no fields
        pass


def build(level_name, level, message, origin, depth=3):
    """The JSON text of one record (no newline)."""
    out = {"time": _iso_now(), "level": level_name, "pid": os.getpid()}
    if _st.process:
        out["process"] = _st.process
    if origin:
        mod, _, func = origin.partition(":")
        out["module"] = mod
        if func:
            out["function"] = func
    out["message"] = message.rstrip("\n")
    if not _st.busy:             # no recursion through lazy header parsing
        _st.busy = True
        try:
            coord, msg = _context(depth + 1)
            if coord is not None:
                out["cfg"] = "%s:%d" % (coord.file, coord.line)
            if msg is not None:
                _msg_fields(out, msg)
        finally:
            _st.busy = False
    return json.dumps(out, ensure_ascii=False, default=str)


def record(state, level, level_name, prio, message, origin, depth=3):
    """Build and write one record to *state*'s sink (dprint's state).

    *prio* is the syslog priority for the level; *depth* the number of
    frames between the caller of ``LM_*``/``LOG`` and this function.
    """
    text = build(level_name, level, message, origin, depth + 1)
    if state.stderr:
        try:
            os.write(state.fd, (text + "\n").encode("utf-8", "replace"))
        except OSError:
            pass
    else:
        syslog.syslog(prio | state.facility, text)
