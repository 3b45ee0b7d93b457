"""CellView's batched reads and timer fields: same values as field by field."""

import pytest

from openser_py.modules.tm import cell as C
from openser_py.modules.tm import cell_view as CV
from openser_py.modules.tm import timer_wheel as W

from .conftest import insert_cell


def test_header_matches_get(table):
    h, label = insert_cell(table)
    with table.edit(h, label) as v:
        v.set("uas_status", 180)
        v.set("relayed_branch", -1)
        v.set("on_reply", 3)
        v.set("tmcb_types", 0x40)
        v.set("fr_inv_timeout", 90000)
        v.set("uas_port", 5062)
        hdr = v.header()
        for name, _fmt in C.HDR_FIELDS:
            assert hdr[CV._HIDX[name]] == v.get(name), name
        assert (hdr[CV.H_UAS_STATUS], hdr[CV.H_RELAYED_BRANCH],
                hdr[CV.H_ON_REPLY], hdr[CV.H_TMCB_TYPES],
                hdr[CV.H_FR_INV_TIMEOUT], hdr[CV.H_UAS_PORT]) == \
            (180, -1, 3, 0x40, 90000, 5062)
        v.set("uas_status", 200)                # a snapshot: not updated
        assert hdr[CV.H_UAS_STATUS] == 180


def test_branch_head_matches_bget(table):
    h, label = insert_cell(table)
    with table.edit(h, label) as v:
        v.bset(1, "status", 487)
        v.bset(1, "flags", C.BR_ACTIVE | C.BR_CANCELED)
        v.bset(1, "state", 5)
        for b in range(2):
            assert v.branch_head(b) == (v.bget(b, "status"),
                                        v.bget(b, "flags"))
        assert v.branch_head(1) == (487, C.BR_ACTIVE | C.BR_CANCELED)


@pytest.mark.parametrize("kind", sorted(CV.TIMER_FIELDS))
def test_timer_fields(table, kind):
    hname, dname, per_branch = CV.TIMER_FIELDS[kind]
    h, label = insert_cell(table)
    b = 1 if per_branch else 0
    with table.edit(h, label) as v:
        assert v.timer(kind, b) == (0, 0.0)
        assert v.take_timer(kind, b) == 0
        v.set_timer(kind, b, 7 << 32 | 5, 12.5)
        if per_branch:
            assert (v.bget(b, hname), v.bget(b, dname)) == (7 << 32 | 5, 12.5)
            assert v.bget(0, hname) == 0        # the other branch
        else:
            assert (v.get(hname), v.get(dname)) == (7 << 32 | 5, 12.5)
        assert v.timer(kind, b) == (7 << 32 | 5, 12.5)
        assert v.timer_handle(kind, b) == 7 << 32 | 5
        assert v.take_timer(kind, b) == 7 << 32 | 5
        assert v.timer(kind, b) == (0, 0.0)


def test_disarm_and_rearm_through_the_wheel(table, alloc, monkeypatch):
    from openser_py.modules.tm import t_cellio
    wheel = W.TimerWheel(capacity=2, resolution=0.05, epoch=0.0,
                         allocator=alloc)
    monkeypatch.setattr(t_cellio.rt, "wheel", wheel)
    h, label = insert_cell(table)
    try:
        with table.edit(h, label) as v:
            first = t_cellio.arm(v, W.TK_FR, 1, 1.0, 10.0)
            assert first and v.timer(W.TK_FR, 1) == (first, 11.0)
            second = t_cellio.arm(v, W.TK_FR, 1, 2.0, 10.0)   # re-armed
            assert second and second != first
            assert v.timer(W.TK_FR, 1) == (second, 12.0)
            assert wheel.pending() == 1 and not wheel.disarm(first)
            assert t_cellio.arm(v, W.TK_RETR, 1, 0.5, 10.0)
            assert t_cellio.arm(v, W.TK_WAIT, 0, 5.0, 10.0) == 0   # full
            assert v.timer(W.TK_WAIT) == (0, 0.0)
            t_cellio.disarm(v, W.TK_FR, 1)
            assert v.timer(W.TK_FR, 1) == (0, 0.0)
            assert wheel.pending() == 1
            t_cellio.disarm(v, W.TK_RETR, 1)
            assert wheel.pending() == 0
    finally:
        wheel.destroy()
