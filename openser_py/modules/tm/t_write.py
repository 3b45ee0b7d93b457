"""t_write_req / t_write_unix: a request for an external application.

Theory of operation
-------------------
OpenSER 1.3's ``tm/t_fifo.c``.  A voicemail or media server (SEMS ...)
gets the request as 20 text lines, written to a FIFO (``t_write_req``) or
sent as one datagram to a unix socket (``t_write_unix``); it answers
later through the MI command ``t_reply`` with the ``hash:label`` of
line 15.  :func:`assemble` builds the lines (no I/O); the lines are::

     0 0.3                        10 To header body
     1 sip_request.<action>       11 Call-ID
     2 method                     12 From tag
     3 R-URI user                 13 To tag ("" if none)
     4 R-URI host                 14 CSeq number
     5 receiving socket address   15 hash_index:label
     6 its port, "." for 5060     16 route set or "."
     7 R-URI (current)            17 next hop or "."
     8 next R-URI or "."          18 P-MsgFlags + tw_append block, then "."
     9 From header body           19 body (INVITE / append asks) or "."

Line 8 is the first Contact's URI (the From URI without Contact).  With
Record-Route headers whose first URI is loose-routing (``;lr``) the route
set is every Record-Route URI (``<uri>`` joined by ``,``) and the next hop
the first; with a strict first router the route set is the others plus
the Contact URI, and line 8 becomes the first Record-Route URI.

``P-MsgFlags`` carries OpenSER's *core* message flags (``msg_flags``:
FL_FORCE_RPORT = 1 after ``force_rport()``), in reverse hex -- not the
script flags; SEMS reads FL_FORCE_ACTIVE (2) there.

``tw_append`` definitions (``name:title=$pv;...``, the short element
``$rb`` adding the body) are checked for their syntax by the modparam,
and their pseudo-variables are parsed by the fixup of a ``t_write_*``
naming them and by ``mod_init`` (every definition).

After a successful write :func:`add_blind_uac` adds a branch that is sent
nowhere: only its final-response timer runs (``fr_timer``, as OpenSER's
``start_retr`` arms FR_TIMER_LIST for it), so an application that never
answers gives the caller a local 408 through the usual path (failure
route included).  As in OpenSER the transaction is made "noisy"
(``T_NOISY_CTIMER``) so that it is always answered.
"""
import errno
import os
import select
import socket
import time

from openser_py.core import pv_core
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.exports import FixupError
from openser_py.core.pvar import PvError, parse_pv_spec_at, pv_str
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import fsm
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.t_branch import int2reverse_hex
from openser_py.modules.tm.t_state import bound, now, rctx, rt
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HDR_FROM, HDR_TO
from openser_py.parser.methods import METHOD_INVITE

__all__ = ["TWRITE_VERSION", "TWRITE_PARAMS", "FL_FORCE_RPORT", "TwAppend",
           "TwInfo", "check_tw_append", "parse_tw_append", "find_tw_append",
           "definitions", "check_definitions",
           "fixup_t_write", "assemble", "core_msg_flags", "write_to_fifo",
           "write_to_unixsock", "add_blind_uac", "w_t_write_req",
           "w_t_write_unix"]

TWRITE_VERSION = "0.3"
TWRITE_PARAMS = 20
FL_FORCE_RPORT = 1              # OpenSER's core msg_flags bit
_INVITE = int(METHOD_INVITE)
_EMPTY = "."
_WS = " \t\r\n"


class TwAppend:
    """One ``tw_append`` definition: ``elems`` = [(title, PvSpec)]."""

    __slots__ = ("name", "add_body", "elems")

    def __init__(self, name, add_body, elems):
        self.name, self.add_body, self.elems = name, add_body, elems


class TwInfo:
    """The fixed-up ``info`` parameter: the action and its append."""

    __slots__ = ("action", "append")

    def __init__(self, action, append=None):
        self.action, self.append = action, append


# -- tw_append ----------------------------------------------------------------

def check_tw_append(value, defined):
    """Split a ``tw_append`` modparam into ``(name, elements)``.

    ``defined``: the ``(name, elements)`` pairs set so far.  Raises
    ValueError for a missing name or elements, or a name defined twice
    (names compare case-insensitively).
    """
    name, sep, elems = value.partition(":")
    name, elems = name.strip(_WS), elems.strip(_WS)
    if not sep or not name or not elems:
        raise ValueError("expected name:element[;element...], got %r"
                         % value)
    if any(c in _WS for c in name):
        raise ValueError("bad tw_append name %r" % name)
    low = name.lower()
    if any(old.lower() == low for old, _e in defined):
        raise ValueError("duplicated tw_append name <%s>" % name)
    return name, elems


_owner = [None]          # the config the definitions in cfg.tw_append are of


def definitions():
    """The ``(name, elements)`` pairs set by the config being loaded.

    ``cfg.tw_append`` is a module-level list: when another config is
    loaded in the same process (tests, tools) the earlier one's
    definitions are dropped on first use.
    """
    from openser_py.core import cfgload
    from openser_py.modules.tm import cfg
    if _owner[0] is not cfgload.current_script:
        _owner[0] = cfgload.current_script
        del cfg.tw_append[:]
    return cfg.tw_append


def _skip_ws(text, pos):
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def parse_tw_append(name, text):
    """Parse the elements of definition ``name``; a :class:`TwAppend`.

    ``element = title=pseudo-variable | $rb`` (the short form: add the
    body), separated by ``;``.  Raises ValueError.
    """
    elems, add_body, pos, n = [], False, 0, len(text)
    while pos < n:
        pos = _skip_ws(text, pos)
        if pos == n:
            break
        start = pos
        while pos < n and text[pos] not in "=;" and text[pos] not in _WS:
            pos += 1
        title = text[start:pos]
        pos = _skip_ws(text, pos)
        if pos < n and text[pos] == "=":
            if not title:
                raise ValueError("empty title at %d in %r" % (start, text))
            pos = _skip_ws(text, pos + 1)
        else:
            title, pos = None, start       # a short element: reparse as PV
        try:
            spec, pos = parse_pv_spec_at(text, pos)
        except PvError as exc:
            raise ValueError("bad element at %d in %r: %s"
                             % (start, text, exc)) from None
        if title is None:
            if spec.name != "rb":
                raise ValueError("short element %r unknown (only the "
                                 "body, $rb, may have no title)" % spec.text)
            add_body = True
        else:
            elems.append((title, spec))
        pos = _skip_ws(text, pos)
        if pos < n:
            if text[pos] != ";":
                raise ValueError("';' expected at %d in %r" % (pos, text))
            pos += 1
    return TwAppend(name, add_body, elems)


def find_tw_append(name, defined):
    """The parsed definition called ``name`` (case-insensitive) or None."""
    low = name.lower()
    for dname, elems in defined:
        if dname.lower() == low:
            return parse_tw_append(dname, elems)
    return None


def check_definitions():
    """``mod_init``: parse every definition; 0, or -1 (logged)."""
    for name, elems in definitions():
        try:
            parse_tw_append(name, elems)
        except ValueError as exc:
            LM_ERR("tw_append <%s>: %s", name, exc)
            return -1
    return 0


def fixup_t_write(value, param_no):
    """Param 1: the FIFO / socket path; param 2: ``action[/append]``."""
    if param_no == 1:
        if not value:
            raise FixupError("empty FIFO / socket name")
        return value
    action, sep, app = value.partition("/")
    if not action:
        raise FixupError("empty action name")
    if not sep:
        return TwInfo(action)
    if not app:
        raise FixupError("empty append name")
    try:
        append = find_tw_append(app, definitions())
    except ValueError as exc:
        raise FixupError("tw_append <%s>: %s" % (app, exc)) from None
    if append is None:
        raise FixupError("unknown append name <%s>" % app)
    return TwInfo(action, append)


# -- the 20 lines -------------------------------------------------------------

def _route_info(msg):
    """(next R-URI, route set, next hop): lines 8, 16, 17."""
    contacts = msg.contacts
    if contacts is not None and contacts.contacts:
        str_uri = contacts.contacts[0].uri
    else:
        str_uri = msg.from_.uri
    rrs = msg.record_routes
    if not rrs:
        return str_uri, _EMPTY, _EMPTY
    first = rrs[0].uri
    if _has_lr(rrs[0]):
        route = ",".join("<%s>" % rr.uri for rr in rrs)
        return str_uri, route, first
    # strict first router: it becomes the next R-URI, the Contact goes last
    route = ",".join("<%s>" % u for u in [rr.uri for rr in rrs[1:]]
                     + [str_uri])
    return first, route, _EMPTY


def _has_lr(nameaddr):
    return nameaddr.parsed_uri().lr is not None


def _append_block(msg, msg_flags, append):
    lines = ["P-MsgFlags: %s" % int2reverse_hex(msg_flags)]
    if append is not None:
        for title, spec in append.elems:
            value = pv_str(spec.get(msg))
            if value is not None:           # a null value adds nothing
                lines.append("%s: %s" % (title, value))
    lines.append(_EMPTY)
    return "\n".join(lines)


def assemble(msg, action, append, hash_index, label, msg_flags=0):
    """The 20 lines (without their ``\\n``) for request ``msg``.

    ``append``: a :class:`TwAppend` or None; ``msg_flags``: the core
    message flags (:func:`core_msg_flags`).  Raises SipParseError or
    ValueError when a needed header is missing or malformed.
    """
    if not msg.is_request:
        raise ValueError("not a SIP request")
    ruri = pv_core.current_ruri(msg)
    frm, to, cseq = msg.from_, msg.to, msg.cseq
    if frm is None or to is None or cseq is None or msg.callid is None:
        raise ValueError("From, To, Call-ID or CSeq missing")
    rcv = msg.rcv
    if rcv is None:
        raise ValueError("no receive information")
    sock = rcv.sock
    ip, port = (sock.ip, sock.port) if sock is not None else \
        (rcv.dst_ip, rcv.dst_port)
    # port 5060 is written "."; a failure route's faked request has no
    # dst_port: its socket's port counts
    dst_port = rcv.dst_port or port
    next_ruri, route, next_hop = _route_info(msg)
    if msg.method_id == _INVITE or (append is not None and append.add_body):
        body = msg.body.decode("latin-1")
    else:
        body = _EMPTY
    return [
        TWRITE_VERSION,
        "sip_request." + action,
        msg.method,
        ruri.user,
        ruri.host,
        ip,
        _EMPTY if dst_port == 5060 else str(port),
        msg.new_uri if msg.new_uri is not None else msg.ruri,
        next_ruri or _EMPTY,
        msg.hdr_body(HDR_FROM),
        msg.hdr_body(HDR_TO),
        msg.callid,
        frm.tag or "",
        to.tag or "",
        cseq.num_str,
        "%d:%d" % (hash_index, label),
        route,
        next_hop,
        _append_block(msg, msg_flags, append),
        body,
    ]


def core_msg_flags(msg):
    """OpenSER's ``msg_flags`` of ``msg`` (only FL_FORCE_RPORT exists here)."""
    return FL_FORCE_RPORT if msg.ctx.get("force_rport") else 0


def _to_bytes(lines):
    return "".join(line + "\n" for line in lines).encode("latin-1",
                                                         "replace")


# -- writers ------------------------------------------------------------------

def write_to_fifo(path, data):
    """Write ``data`` to FIFO ``path`` in one non-blocking write; 1 / -1."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            LM_ERR("nobody listening on [%s] fifo for reading!", path)
        else:
            LM_ERR("failed to open [%s] fifo : %s", path, exc.strerror)
        return -1
    try:
        n = os.write(fd, data)
    except OSError as exc:
        LM_ERR("writev failed: %s", exc.strerror)
        return -1
    finally:
        os.close(fd)
    if n != len(data):
        # the reader would get half a request (full pipe): count it failed
        LM_ERR("short write to [%s] fifo: %d of %d bytes", path, n,
               len(data))
        return -1
    LM_DBG("write completed")
    return 1


_unix = [None, 0]               # this process's socket, the pid it is for


def _unix_sock():
    """The process's non-blocking unix datagram socket (made after fork)."""
    s, pid = _unix
    if s is None or pid != os.getpid():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.setblocking(False)
        _unix[0], _unix[1] = s, os.getpid()
    return s


def write_to_unixsock(path, data, timeout):
    """Send ``data`` as one datagram to unix socket ``path``; 1 / -1.

    While the receiver's queue is full the send is retried for at most
    ``timeout`` seconds (``unix_tx_timeout``).
    """
    s = _unix_sock()
    try:
        s.connect(path)
    except OSError as exc:
        LM_ERR("failed to connect: %s", exc.strerror or exc)
        return -1
    deadline = time.monotonic() + timeout
    while True:
        try:
            s.send(data)
            return 1
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                LM_ERR("writev failed: timeout after %ss", timeout)
                return -1
            select.select((), (s,), (), left)
        except OSError as exc:
            LM_ERR("writev failed: %s", exc.strerror or exc)
            return -1


# -- the blind UAC ------------------------------------------------------------

def add_blind_uac(t):
    """A branch sent nowhere, guarded by its FR timer; 1 / -1."""
    br = C.Branch()
    br.flags = C.BR_ACTIVE
    t_now = now()
    wheel = rt.wheel
    with rt.table.edit(*t) as v:
        if v is None:
            return -1
        flags = v.get("flags")
        is_inv = bool(flags & C.T_IS_INVITE)
        br.state = fsm.S_CALLING if is_inv else fsm.S_TRYING
        fr_ms = v.get("fr_timeout")
        fr_s = fsm.fr_interval(rt.timers, is_inv, False,
                               fr_ms / 1000.0 if fr_ms else None) / 1000.0
        b = v.nr_branches()
        handle = wheel.arm(t_now, fr_s, t[0], t[1], b, W.TK_FR) \
            if b < C.MAX_BRANCHES else 0
        if handle:
            br.fr_h, br.fr_due = handle, t_now + fr_s
        idx = v.add_branch(br)
        if idx == b:
            v.or_flags(C.T_NOISY_CTIMER)    # "make sure it will be replied"
        elif handle:
            wheel.disarm(handle)
    if idx != b:
        LM_ERR("add_blind failed: %s", "transaction cancelled or completed"
               if idx == -2 else "maximum number of branches exceeded")
        return -1
    return 1


# -- script functions ---------------------------------------------------------

def _t_write(msg, info, write):
    t = bound(msg) if msg.is_request else None
    if t is None:
        t = rctx.t
    if t is None:
        LM_ERR("failed to assemble_msg: no transaction (use t_newtran "
               "first)")
        return -1
    try:
        data = _to_bytes(assemble(msg, info.action, info.append, t[0], t[1],
                                  core_msg_flags(msg)))
    except (SipParseError, ValueError) as exc:
        LM_ERR("failed to assemble_msg: %s", exc)
        return -1
    if write(data) != 1:
        return -1
    if add_blind_uac(t) != 1:
        return -1
    if bound(msg) == t:
        msg.ctx["tm.branched"] = True   # OpenSER set_kr(REQ_FWDED)
    return 1


def w_t_write_req(msg, fifo, info):
    """``t_write_req(fifo, "action[/append]")``."""
    return _t_write(msg, info, lambda data: write_to_fifo(fifo, data))


def w_t_write_unix(msg, sock, info):
    """``t_write_unix(socket, "action[/append]")``."""
    from openser_py.modules.tm import cfg
    return _t_write(msg, info, lambda data: write_to_unixsock(
        sock, data, cfg.unix_tx_timeout))
