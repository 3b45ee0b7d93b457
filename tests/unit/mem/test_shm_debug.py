"""The allocator's debug mode: sites, guards, double free, bad pointers."""

import logging
import sys

import pytest

from openser_py import buildcfg
from openser_py.mem import shm_alloc as sa
from openser_py.mem.shm import Arena
from openser_py.mem.shm_alloc import ShmAllocator


def _snapshot_without_errors(a):
    raw = bytes(a.view)
    return raw[:sa.ERRS_OFF] + raw[sa.FLBM_OFF:]


def test_mode_follows_buildcfg(monkeypatch):
    monkeypatch.setattr(buildcfg, "DBG_QM_MALLOC", True)
    assert ShmAllocator(Arena(1 << 16)).mode == sa.MODE_GUARD
    monkeypatch.setattr(buildcfg, "DBG_QM_MALLOC", False)
    monkeypatch.setattr(buildcfg, "DBG_F_MALLOC", True)
    assert ShmAllocator(Arena(1 << 16)).mode == sa.MODE_SITE
    monkeypatch.setattr(buildcfg, "DBG_F_MALLOC", False)
    assert ShmAllocator(Arena(1 << 16)).mode == sa.MODE_NONE
    # An explicit parameter wins over the build flags.
    assert ShmAllocator(Arena(1 << 16), debug=True).mode == sa.MODE_GUARD
    assert ShmAllocator(Arena(1 << 16), debug=sa.MODE_SITE).mode == sa.MODE_SITE


def test_dump_live_records_site(dbg_alloc):
    line = sys._getframe().f_lineno + 1
    a = dbg_alloc.malloc(10)
    b = dbg_alloc.malloc(300)
    live = dbg_alloc.dump_live()
    assert [(off, size) for off, size, _ in live] == [(a, 10), (b, 300)]
    site = live[0][2]
    assert site.endswith("test_shm_debug.py:%d:test_dump_live_records_site" % line)
    dbg_alloc.free(a)
    assert [off for off, _, _ in dbg_alloc.dump_live()] == [b]
    assert dbg_alloc.status()["debug_mode"] == "site+guards"


def test_handles_are_aligned_and_usable(dbg_alloc):
    for size in (0, 1, 8, 13, 200, 5000):
        off = dbg_alloc.malloc(size)
        assert off % 8 == 0
        assert dbg_alloc.usable_size(off) == size
        dbg_alloc.view[off:off + size] = b"x" * size      # fill it all: no overrun
        dbg_alloc.free(off)
    st = dbg_alloc.stats()
    assert st["used_size"] == 0 and st["overrun"] == 0 and dbg_alloc.check() == []


def test_double_free(dbg_alloc, caplog):
    a = dbg_alloc.malloc(40)
    keep = dbg_alloc.malloc(40)
    dbg_alloc.free(a)
    snap = _snapshot_without_errors(dbg_alloc)
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        dbg_alloc.free(a)
    assert "double free" in caplog.text
    assert "allocated at" in caplog.text and "test_shm_debug.py" in caplog.text
    assert dbg_alloc.stats()["double_free"] == 1
    assert _snapshot_without_errors(dbg_alloc) == snap
    dbg_alloc.free(keep)
    assert dbg_alloc.check() == [] and dbg_alloc.stats()["used_size"] == 0


@pytest.mark.parametrize("mode", [sa.MODE_SITE, sa.MODE_GUARD])
def test_bad_pointer(mode, caplog):
    a = ShmAllocator(Arena(1 << 16), debug=mode)
    off = a.malloc(100)
    a.view[off:off + 100] = bytes(100)
    snap = _snapshot_without_errors(a)
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        for bad in (off + 8, off + 64, off + 3, 16, a.size * 2):
            a.free(bad)
    assert caplog.text.count("bad pointer") + caplog.text.count("double free") == 5
    assert _snapshot_without_errors(a) == snap
    a.free(off)
    assert a.check() == [] and a.stats()["used_size"] == 0


def test_small_overrun_detected_and_freed(dbg_alloc, caplog):
    off = dbg_alloc.malloc(13)
    nxt = dbg_alloc.malloc(13)
    dbg_alloc.view[off:off + 14] = b"y" * 14               # one byte too many
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        dbg_alloc.free(off)
    assert "buffer overrun" in caplog.text and "fragment freed" in caplog.text
    assert "allocated at" in caplog.text
    assert dbg_alloc.stats()["overrun"] == 1
    dbg_alloc.free(nxt)
    assert dbg_alloc.check() == [] and dbg_alloc.stats()["used_size"] == 0


def test_big_overrun_leaks_instead_of_corrupting(dbg_alloc, caplog):
    off = dbg_alloc.malloc(16)
    nxt = dbg_alloc.malloc(16)
    # Smash the guard, the padding and the next fragment's header.
    dbg_alloc.view[off:off + 40] = b"z" * 40
    snap = _snapshot_without_errors(dbg_alloc)
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        dbg_alloc.free(off)
    assert "buffer overrun" in caplog.text and "leaked" in caplog.text
    assert _snapshot_without_errors(dbg_alloc) == snap    # nothing written
    assert dbg_alloc.stats()["overrun"] == 1
    assert nxt                                          # (still allocated)


def test_site_mode_has_no_guard(caplog):
    a = ShmAllocator(Arena(1 << 16), debug=sa.MODE_SITE)
    off = a.malloc(13)
    a.view[off:off + 16] = b"q" * 16                    # inside the padding
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        a.free(off)
    assert caplog.text == "" and a.stats()["overrun"] == 0


def test_realloc_keeps_content_and_site(dbg_alloc):
    off = dbg_alloc.malloc(20)
    dbg_alloc.view[off:off + 20] = bytes(range(20))
    new = dbg_alloc.realloc(off, 500)
    assert bytes(dbg_alloc.view[new:new + 20]) == bytes(range(20))
    assert dbg_alloc.usable_size(new) == 500
    new2 = dbg_alloc.realloc(new, 5)
    assert bytes(dbg_alloc.view[new2:new2 + 5]) == bytes(range(5))
    (_, size, site), = dbg_alloc.dump_live()
    assert size == 5
    assert "test_shm_debug.py:" in site and ":test_realloc_keeps" in site
    dbg_alloc.free(new2)
    assert dbg_alloc.realloc(new2, 10) == 0               # realloc of a freed block
    assert dbg_alloc.stats()["double_free"] == 1
    assert dbg_alloc.check() == []


def test_oom_in_debug_mode(dbg_alloc):
    assert dbg_alloc.malloc(dbg_alloc.size) == 0
    assert dbg_alloc.stats()["oom"] == 1
