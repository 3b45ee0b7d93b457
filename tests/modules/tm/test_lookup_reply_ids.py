"""lookup_reply decides the common case (CSeq method id = the server
transaction's known method) from the ids alone; every combination must
give what t_lookup.reply_matches gives."""
import functools
import itertools

from openser_py.modules.tm import cell as C
from openser_py.modules.tm import h_table as H
from openser_py.modules.tm.t_lookup import (match_request, reply_matches,
                                            request_key)
from openser_py.parser.methods import METHOD_IDS, METHOD_OTHER

from .conftest import make_cell, req

METHODS = ["INVITE", "BYE", "OPTIONS", "CANCEL", "FOO", "BAR"]


def _mid(name):
    return int(METHOD_IDS.get(name, METHOD_OTHER))


def test_same_decision_as_reply_matches(table):
    seen = set()
    for n, (method, flags, brf) in enumerate(itertools.product(
            METHODS, (None, C.T_NO_UAS, C.T_NO_UAS | C.T_IS_INVITE),
            (C.BR_ACTIVE, C.BR_ACTIVE | C.BR_CANCELED))):
        msg = req(method, callid="c%d@example.com" % n)
        cell = make_cell(msg, flags=flags, branches=2)
        cell.branches[1].flags = brf
        h = H.tm_hash(msg.callid, msg.cseq.num_str)
        res, label = table.lookup_request(
            h, functools.partial(match_request, request_key(msg)),
            C.encode(cell))
        assert res == H.INSERTED
        for name, branch in itertools.product(METHODS, (0, 1, 2)):
            got = table.lookup_reply(h, label, branch, _mid(name), name)
            want = reply_matches(cell.flags, cell.method_id, method, 2,
                                 branch, cell.branches[min(branch, 1)].flags,
                                 _mid(name), name)
            assert got == want, (method, flags, brf, name, branch)
            seen.add(want)
            if got:
                table.unref(h, label)
    assert seen == {True, False}
