"""Fixtures for the tm tests: private shm arenas, SIP messages, fork helper."""

import functools

import pytest

from openser_py.mem.shm import Arena
from openser_py.mem.shm_alloc import ShmAllocator
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import h_table as H
from openser_py.modules.tm.h_table import TransTable
from openser_py.modules.tm.t_lookup import match_request, request_key
from openser_py.parser.msg import parse_msg

VIA = "SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKabc123"
FROM = '"Alice" <sip:alice@example.com>;tag=a1'
TO = "<sip:bob@example.com>"
RURI = "sip:bob@example.com"
CALLID = "c1@example.com"


def req(method="INVITE", ruri=RURI, via=VIA, frm=FROM, to=TO, callid=CALLID,
        cseq=None, body=""):
    """A parsed request; every header can be overridden."""
    cseq = cseq or "7 %s" % method
    text = ("%s %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: %s\r\n"
            "To: %s\r\nCall-ID: %s\r\nCSeq: %s\r\nContent-Length: %d\r\n\r\n%s"
            % (method, ruri, via, frm, to, callid, cseq, len(body), body))
    return parse_msg(text.encode("latin-1"))


def rpl(code=200, reason="OK", via=VIA, cseq="7 INVITE", to=TO + ";tag=b2"):
    """A parsed reply whose first Via is ``via``."""
    text = ("SIP/2.0 %d %s\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
            "CSeq: %s\r\nContent-Length: 0\r\n\r\n"
            % (code, reason, via, FROM, to, CALLID, cseq))
    return parse_msg(text.encode("latin-1"))


def make_cell(msg, flags=None, branches=0, local_totag=""):
    """A Cell for request ``msg`` with ``branches`` empty active branches."""
    c = C.Cell()
    c.match = request_key(msg, local_totag)
    c.method_id = int(msg.method_id)
    c.flags = (C.T_IS_INVITE if c.method_id == 1 else 0) if flags is None \
        else flags
    c.request = msg.buf
    c.dst_ip = "192.0.2.99"
    for i in range(branches):
        b = C.Branch()
        b.flags = C.BR_ACTIVE
        b.uri = "sip:bob@10.0.0.%d" % (i + 1)
        b.buffer = b"INVITE %s SIP/2.0\r\n\r\n" % b.uri.encode()
        c.branches.append(b)
    return c


@pytest.fixture
def alloc():
    """A private 32 MiB shm arena (inherited by forked children)."""
    a = ShmAllocator(Arena(32 << 20), debug=False)
    yield a
    a.arena.close()


@pytest.fixture
def table(alloc):
    """A TransTable with 64 lock stripes in the private arena."""
    t = TransTable(n_locks=64, allocator=alloc)
    yield t
    t.destroy()


from tests.forking import reap, run_forked, spawn  # noqa: E402,F401
from tests.modules.tm.conftest_proxy import proxy_factory  # noqa: E402,F401


def insert_cell(table, branches=2, callid=CALLID):
    """Insert the cell of an INVITE (``branches`` branches) into ``table``
    through ``lookup_request``; its ``(hash, label)``."""
    msg = req(callid=callid)
    h = H.tm_hash(msg.callid, msg.cseq.num_str)
    value = C.encode(make_cell(msg, branches=branches))
    res, label = table.lookup_request(
        h, functools.partial(match_request, request_key(msg)), value)
    assert res == H.INSERTED
    return h, label
