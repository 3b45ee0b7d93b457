"""Small operations on a cell under its bucket lock (inside ``table.edit``).

Everything here is plain reads/writes of one :class:`CellView` plus
``TimerWheel.arm``/``disarm`` (a leaf lock, allowed under a bucket lock
by the lock order of doc/dev/tm.md): no I/O, no script, no logging that
may block.  Sections are read as raw bytes and decoded with ``marshal``
(the format ``cell.encode_section`` writes).
"""
import marshal

from openser_py.modules.tm import cell as C
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.t_pick import BranchState
from openser_py.modules.tm.t_state import rt

__all__ = ["uas_tuple", "uas_dst_ip", "set_uas_reply", "br_tuple", "set_br", "arm",
           "disarm", "put_on_wait", "stop_branch_timers", "branch_states",
           "UAS_REQUEST", "UAS_REPLY", "UAS_DST_IP", "BR_BUFFER", "BR_URI",
           "BR_DST_IP", "BR_CANCEL", "BR_REPLY"]

# positions in the marshalled UAS / branch sections (cell._UAS_DATA/_BR_DATA)
UAS_REQUEST, UAS_REPLY, UAS_DST_IP = 0, 1, 2
BR_BUFFER, BR_URI, BR_DST_IP, BR_CANCEL, BR_REPLY = 0, 1, 2, 3, 4
_BR_NAMES = ("buffer", "uri", "dst_ip", "cancel", "reply", "dst_uri", "path")


def uas_tuple(v):
    """(request, reply, dst_ip, new_uri, dst_uri, path) of the cell."""
    req, dst_ip, new_uri, dst_uri, path = marshal.loads(v.section(C.SEC_UAS))
    return req, v.reply(), dst_ip, new_uri, dst_uri, path


def uas_dst_ip(v):
    """Only the address UAS replies go to."""
    return marshal.loads(v.section(C.SEC_UAS))[1]


def set_uas_reply(v, data):
    """Store ``data`` as the last reply sent upstream; False if no shm.

    Only the cell's reply tail is rewritten (in place when there is
    room); a reply is one message, bounded like any (``MAX_MSG``).
    """
    if len(data) > C.MAX_MSG:
        raise C.CellError("reply too large: %d > %d bytes"
                          % (len(data), C.MAX_MSG))
    return v.set_reply(data)


def br_tuple(v, b):
    """(buffer, uri, dst_ip, cancel, reply, dst_uri, path) of branch ``b``."""
    return marshal.loads(v.section(C.SEC_BR0 + b))


def set_br(v, b, **changes):
    """Replace some data of branch ``b`` (e.g. ``reply=...``)."""
    br = C.Branch()
    for name, value in zip(_BR_NAMES, br_tuple(v, b)):
        setattr(br, name, changes.get(name, value))
    return v.set_section(C.SEC_BR0 + b, C.encode_section(C.SEC_BR0 + b, br))


def disarm(v, kind, b=0):
    """Stop timer ``kind`` (of branch ``b``) if armed."""
    handle = v.take_timer(kind, b)
    if handle:
        rt.wheel.disarm(handle)


def arm(v, kind, b, delay, now):
    """(Re)arm timer ``kind`` ``delay`` seconds from ``now``; the handle.

    The handle is stored in the cell in this same critical section, so
    the timer process always sees the handle it fires.  0 = pool full
    (the old timer is stopped all the same, and cleared in the cell).
    """
    old = v.timer_handle(kind, b)
    if old:
        rt.wheel.disarm(old)
    handle = rt.wheel.arm(now, delay, v.bucket, v.label, b, kind)
    if handle:
        v.set_timer(kind, b, handle, now + delay)
    elif old:
        v.set_timer(kind, b, 0, 0.0)
    return handle


def put_on_wait(v, now):
    """Completed: stop the UAS timers and start the wait timer."""
    for handle in v.take_timers(_UAS_TIMERS):
        rt.wheel.disarm(handle)
    v.or_flags(C.T_ON_WAIT)
    return arm(v, W.TK_WAIT, 0, rt.timers.wt / 1000.0, now)


def stop_branch_timers(v, b, cancel_too=False):
    """Stop retransmission and FR of branch ``b`` (and its CANCEL's)."""
    for handle in v.take_timers(_BRANCH_TIMERS_ALL if cancel_too
                                else _BRANCH_TIMERS, b):
        rt.wheel.disarm(handle)


# the timers put_on_wait / stop_branch_timers stop, each taken in one call
_UAS_TIMERS = (W.TK_UAS_RETR, W.TK_UAS_FR)
_BRANCH_TIMERS = (W.TK_RETR, W.TK_FR)
_BRANCH_TIMERS_ALL = _BRANCH_TIMERS + (W.TK_CRETR, W.TK_CFR)


def branch_states(v):
    """``t_pick.BranchState`` list of every branch."""
    out = []
    head = v.branch_head
    for b in range(v.nr_branches()):
        status, f = head(b)
        out.append(BranchState(status, bool(f & _BR_ACTIVE),
                               bool(f & _BR_CANCELED)))
    return out


_BR_ACTIVE, _BR_CANCELED = C.BR_ACTIVE, C.BR_CANCELED
