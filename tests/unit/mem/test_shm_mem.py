"""The module-facing shm API and the mem facade."""

import logging
import struct

import pytest

from openser_py import mem
from openser_py.mem import shm, shm_mem


def test_not_initialised_is_a_clear_error():
    shm.set_allocator(None)
    with pytest.raises(RuntimeError, match="shm_init"):
        shm_mem.shm_malloc(10)
    assert mem.shm_status() == {}
    assert mem.shm_dump_live() == []


def test_malloc_free_roundtrip(global_shm):
    start = mem.shm_status()
    off = mem.shm_malloc(100)
    assert off and off % 8 == 0
    struct.pack_into("<I", mem.shm_buf(off, 4), 0, 0xDEADBEEF)
    assert struct.unpack_from("<I", global_shm.mm, off)[0] == 0xDEADBEEF
    mem.shm_free(off)
    mem.shm_free(0)
    assert mem.shm_status()["used_size"] == start["used_size"]


def test_status_has_openser_names(global_shm):
    st = mem.shm_status()
    for name in mem.SHMEM_STATS:
        assert isinstance(st[name], int)
    assert st["free_size"] == st["total_size"] - st["real_used_size"]
    assert mem.shm_available() == st["free_size"]


def test_put_get_bytes(global_shm):
    for data in (b"", b"x", b"hello world" * 100):
        off = mem.shm_put_bytes(data)
        assert off
        assert mem.shm_get_bytes(off) == data
        mem.shm_free(off)
    assert mem.shm_status()["used_size"] == 0


def test_put_bytes_oom_returns_zero(global_shm):
    assert mem.shm_put_bytes(b"x" * (global_shm.size + 1)) == 0
    assert mem.shm_malloc(global_shm.size) == 0


def test_realloc(global_shm):
    off = mem.shm_put_bytes(b"abcdef")
    new = mem.shm_realloc(off, 4000)
    assert mem.shm_get_bytes(new) == b"abcdef"
    assert mem.shm_realloc(new, 0) == 0
    assert mem.shm_status()["used_size"] == 0


def test_shm_buf_bounds(global_shm):
    off = mem.shm_malloc(16)
    assert len(mem.shm_buf(off, 16)) == 16
    for bad in ((0, 4), (-8, 4), (off, -1), (global_shm.size - 4, 8)):
        with pytest.raises(ValueError):
            mem.shm_buf(*bad)


def test_shm_buf_checks_block_in_debug_mode():
    mem.shm_init(1 << 20, debug=True)
    try:
        off = mem.shm_malloc(16)
        mem.shm_buf(off, 16)
        with pytest.raises(ValueError, match="usable"):
            mem.shm_buf(off, 17)
        (_, size, site), = mem.shm_dump_live()
        assert size == 16 and "test_shm_mem.py" in site
        assert mem.shm_status()["debug_mode"] == "site+guards"
    finally:
        mem.shm_destroy()


def test_double_free_through_api_is_logged(global_shm, caplog):
    off = mem.shm_malloc(8)
    mem.shm_free(off)
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        mem.shm_free(off)
    assert "double free" in caplog.text and "test_shm_mem.py" in caplog.text


def test_reinit_replaces_arena():
    a1 = mem.shm_init(1 << 16, debug=False)
    a2 = mem.shm_init(1 << 17, debug=False)
    assert shm.get_allocator() is a2 is not a1
    mem.shm_destroy()
    assert shm.get_allocator() is None


def test_report_lines_and_logging(caplog):
    assert mem.shm_report_lines() == ["shm: not initialised"]
    mem.shm_init(1 << 20, debug=True)
    try:
        off = mem.shm_malloc(24)
        lines = mem.shm_report_lines()
        assert lines[0] == "shm status (site+guards debug):"
        assert any(line.strip().startswith("used_size = ") for line in lines)
        assert any("offset=%d size=24" % off in line and "test_shm_mem.py" in line
                   for line in lines)
        with caplog.at_level(logging.INFO, logger="openser.mem"):
            mem.log_mem_status()
        assert "real_used_size" in caplog.text and "pkg status" in caplog.text
    finally:
        mem.shm_destroy()
