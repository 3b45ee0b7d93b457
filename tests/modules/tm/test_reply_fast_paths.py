"""Reply-side shortcuts give what the general path gives.

* ``t_reply._decision`` (``should_relay`` kept per distinct input) answers
  like ``should_relay`` on a fresh snapshot, over many varied cells, with
  the kept decisions carried from one case to the next;
* ``CellView.branch_heads`` is the branches' ``branch_head`` records;
* ``CellView.take_timers`` (``stop_branch_timers`` / ``put_on_wait``) does
  what ``take_timer`` does kind by kind, and the wheel loses those timers;
* ``t_stats.inc`` with its kept counters counts where ``get_stat`` points,
  across a registry reset, and not at all with ``enable_stats=0``.
"""
import itertools
import random

import pytest

from openser_py.core import statistics
from openser_py.modules.tm import cell as C
from openser_py.modules.tm import cell_view as CV
from openser_py.modules.tm import t_cellio, t_reply, t_stats
from openser_py.modules.tm import timer_wheel as W
from openser_py.modules.tm.t_cellio import branch_states
from openser_py.modules.tm.t_pick import Snapshot, should_relay

from .conftest import insert_cell


def _general(v, b, code):
    """``should_relay`` on a snapshot read field by field."""
    flags = v.get("flags")
    snap = Snapshot(bool(flags & C.T_IS_INVITE), v.get("uas_status"),
                    v.get("method_id") == t_reply._CANCEL,
                    bool(flags & C.T_CANCELED), v.get("first_branch"),
                    branch_states(v))
    return should_relay(snap, b, code)


def test_kept_decisions_match_should_relay(table, monkeypatch):
    """Every combination of a small grid of inputs, kept decisions carried
    over: an input missing from the key would return the decision of a
    case that differs only in it."""
    monkeypatch.setattr(t_reply, "_DECISIONS", {})
    monkeypatch.setattr(t_reply, "_DECISIONS_MAX", 1 << 20)   # keep all
    head = list(itertools.product((0, 180, 200, 486),
                                  (C.BR_ACTIVE, C.BR_ACTIVE | C.BR_CANCELED,
                                   0)))
    checked = 0
    for nrb in (1, 2):
        h, label = insert_cell(table, nrb, "c%d@example.com" % nrb)
        with table.edit(h, label) as v:
            for flags, uas, mid, first, heads, b, code in itertools.product(
                    (0, C.T_IS_INVITE, C.T_IS_INVITE | C.T_CANCELED,
                     C.T_CANCELED),
                    (0, 180, 200), (1, t_reply._CANCEL), range(nrb),
                    itertools.product(head, repeat=nrb), range(nrb),
                    (180, 200, 487, 603)):
                v.set("flags", flags)
                v.set("uas_status", uas)
                v.set("method_id", mid)
                v.set("first_branch", first)
                for i, (status, brf) in enumerate(heads):
                    v.bset(i, "status", status)
                    v.bset(i, "flags", brf)
                got = t_reply._decision(v, v.header(), b, code)
                assert got == _general(v, b, code)
                checked += 1
    assert checked > 10000 and len(t_reply._DECISIONS) == checked


def test_kept_decisions_are_bounded(table, monkeypatch):
    monkeypatch.setattr(t_reply, "_DECISIONS", {})
    monkeypatch.setattr(t_reply, "_DECISIONS_MAX", 8)
    h, label = insert_cell(table, 1, "bound@example.com")
    with table.edit(h, label) as v:
        for code in range(180, 200):
            assert t_reply._decision(v, v.header(), 0, code) == \
                _general(v, 0, code)
            assert len(t_reply._DECISIONS) <= 8


@pytest.mark.parametrize("branches", [0, 1, 2, 4])
def test_branch_heads_are_the_branch_records(table, branches):
    h, label = insert_cell(table, branches, "heads@example.com")
    with table.edit(h, label) as v:
        for i in range(branches):
            v.bset(i, "status", 180 + i)
            v.bset(i, "flags", C.BR_ACTIVE | (C.BR_CANCELED if i % 2 else 0))
        heads = v.branch_heads()
        assert isinstance(heads, bytes)
        assert heads == b"".join(CV._BR_HEAD.pack(*v.branch_head(i))
                                 for i in range(branches))


_KIND_SETS = [(W.TK_RETR, W.TK_FR), (W.TK_RETR, W.TK_FR, W.TK_CRETR,
                                     W.TK_CFR), (W.TK_UAS_RETR, W.TK_UAS_FR)]


@pytest.mark.parametrize("kinds", _KIND_SETS)
@pytest.mark.parametrize("armed", [0, 1, 2, 3])
def test_take_timers_is_take_timer_per_kind(table, kinds, armed):
    per_branch = CV.TIMER_FIELDS[kinds[0]][2]
    b, other = (1, 0) if per_branch else (0, None)
    h, label = insert_cell(table, 2, "timers@example.com")
    rnd = random.Random(armed)
    with table.edit(h, label) as v:
        handles = {}
        for n, kind in enumerate(kinds):
            for i in (b, other) if per_branch else (b,):
                hd = (n + 1) << 32 | (i + 1) if rnd.random() < armed / 3 \
                    else 0
                v.set_timer(kind, i, hd, 3.5 if hd else 0.0)
                handles[kind, i] = hd
        got = v.take_timers(kinds, b)
        assert got == [handles[k, b] for k in kinds if handles[k, b]]
        for kind in kinds:
            assert v.timer(kind, b) == (0, 0.0)
            if per_branch:              # the other branch keeps its own
                hd = handles[kind, other]
                assert v.timer(kind, other) == ((hd, 3.5) if hd
                                                else (0, 0.0))


def test_stop_branch_timers_and_put_on_wait_free_the_wheel(table, alloc,
                                                           monkeypatch):
    wheel = W.TimerWheel(capacity=16, resolution=0.05, epoch=0.0,
                         allocator=alloc)
    monkeypatch.setattr(t_cellio.rt, "wheel", wheel)
    h, label = insert_cell(table, 2, "wheel@example.com")
    try:
        with table.edit(h, label) as v:
            for kind in (W.TK_RETR, W.TK_FR, W.TK_CRETR, W.TK_CFR):
                for b in (0, 1):
                    assert t_cellio.arm(v, kind, b, 1.0, 10.0)
            assert wheel.pending() == 8
            t_cellio.stop_branch_timers(v, 1)
            assert wheel.pending() == 6
            assert v.timer_handle(W.TK_CRETR, 1)
            t_cellio.stop_branch_timers(v, 1, cancel_too=True)
            assert wheel.pending() == 4
            assert all(v.timer(k, 1) == (0, 0.0) for k in
                       (W.TK_RETR, W.TK_FR, W.TK_CRETR, W.TK_CFR))
            t_cellio.arm(v, W.TK_UAS_RETR, 0, 0.5, 10.0)
            t_cellio.arm(v, W.TK_UAS_FR, 0, 30.0, 10.0)
            assert wheel.pending() == 6
            assert t_cellio.put_on_wait(v, 10.0)
            assert wheel.pending() == 5             # 4 branch + wait
            assert v.timer(W.TK_UAS_RETR) == (0, 0.0)
            assert v.timer(W.TK_UAS_FR) == (0, 0.0)
            assert v.get("flags") & C.T_ON_WAIT
    finally:
        wheel.destroy()


@pytest.fixture
def tm_stats(monkeypatch):
    """A fresh registry with the tm group; statistics enabled."""
    monkeypatch.setattr(t_stats.cfg, "enabled", 1)
    statistics.reset_registry()
    statistics.register_module_stats(t_stats.GROUP, t_stats.STAT_EXPORTS)
    yield
    statistics.reset_registry()


def _value(name):
    return statistics.get_stat(name, t_stats.GROUP).get()


def test_stats_count_where_get_stat_points(tm_stats):
    for _ in range(3):
        t_stats.inc("received_replies")
    t_stats.completed(200)
    t_stats.completed(486)
    t_stats.completed(100)                  # not a final: not counted
    assert _value("received_replies") == 3
    assert _value("2xx_transactions") == 1
    assert _value("4xx_transactions") == 1
    assert sum(_value(n) for n in t_stats._CLASSES) == 2
    # a registry reset: the kept counter is the old one, no longer counted
    old = statistics.get_stat("received_replies", t_stats.GROUP)
    statistics.reset_registry()
    t_stats.inc("received_replies")         # not registered: ignored
    assert "received_replies" not in t_stats._bound
    statistics.register_module_stats(t_stats.GROUP, t_stats.STAT_EXPORTS)
    t_stats.inc("received_replies")
    assert _value("received_replies") == 1
    assert old.get() == 3


def test_stats_disabled_count_nothing(tm_stats, monkeypatch):
    t_stats.inc("relayed_replies")
    monkeypatch.setattr(t_stats.cfg, "enabled", 0)
    t_stats.inc("relayed_replies")
    t_stats.completed(200)
    assert _value("relayed_replies") == 1
    assert _value("2xx_transactions") == 0
