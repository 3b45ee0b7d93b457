"""Branch timers are armed with the branch record (t_fwd._send_branch)."""
from openser_py.modules.tm import cell_view
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.t_state import rt
from tests.modules.tm.proxy_util import first_line, request


def test_branch_record_holds_its_timer_handles(proxy_factory):
    p = proxy_factory()
    sent = p.uac(request())
    assert [first_line(s[3]) for s in sent][-1].startswith("INVITE")
    (h, label), = [(h, lb) for h in range(rt.table.n_buckets)
                   for lb in rt.table.labels(h)]
    with rt.table.edit(h, label) as v:
        retr, retr_due = v.timer(W.TK_RETR, 0)
        fr, fr_due = v.timer(W.TK_FR, 0)
    assert retr and fr and retr_due < fr_due
    assert rt.wheel.due_of(retr) is not None
    assert rt.wheel.due_of(fr) is not None


def test_refused_branch_leaves_no_timer(proxy_factory, monkeypatch):
    p = proxy_factory()
    before = rt.wheel.pending()
    monkeypatch.setattr(cell_view.CellView, "add_branch",
                        lambda self, br, refuse=0: -2)
    sent = p.uac(request())
    assert not [s for s in sent if first_line(s[3]).startswith("INVITE")]
    monkeypatch.undo()
    # only the transaction's own timers are left (no branch timer leaked)
    (h, label), = [(h, lb) for h in range(rt.table.n_buckets)
                   for lb in rt.table.labels(h)]
    with rt.table.edit(h, label) as v:
        assert v.nr_branches() == 0
        own = sum(1 for k in (W.TK_UAS_RETR, W.TK_UAS_FR, W.TK_WAIT)
                  if v.timer_handle(k))
    assert rt.wheel.pending() == before + own
