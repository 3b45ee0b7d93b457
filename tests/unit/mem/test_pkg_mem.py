"""pkg accounting with the -M limit."""

import logging

import pytest

from openser_py.mem import mem as pkg


@pytest.fixture(autouse=True)
def fresh_pkg():
    pkg._reset_for_tests()
    yield
    pkg._reset_for_tests()


def test_default_limit_is_openser_pool():
    assert pkg.pkg_status()["limit"] == pkg.PKG_MEM_POOL_SIZE == 1024 * 1024


def test_malloc_free_accounting():
    pkg.pkg_init(1000)
    a = pkg.pkg_malloc(300)
    b = pkg.pkg_malloc(200)
    assert isinstance(a, bytearray) and len(a) == 300 and not any(a)
    st = pkg.pkg_status()
    assert st["used"] == 500 and st["fragments"] == 2 and st["free"] == 500
    pkg.pkg_free(a)
    st = pkg.pkg_status()
    assert st["used"] == 200 and st["max_used"] == 500
    pkg.pkg_free(b)
    assert pkg.pkg_status()["used"] == 0


def test_limit_returns_none_and_logs(caplog):
    pkg.pkg_init(1000)
    keep = pkg.pkg_malloc(900)
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        assert pkg.pkg_malloc(101) is None
    assert "not enough pkg memory" in caplog.text
    assert pkg.pkg_status()["failures"] == 1
    assert pkg.pkg_malloc(100) is not None       # exactly up to the limit
    assert keep is not None


def test_unlimited():
    pkg.pkg_init(0)
    assert pkg.pkg_malloc(5 * 1024 * 1024) is not None
    assert pkg.pkg_status()["free"] is None
    with pytest.raises(ValueError):
        pkg.pkg_init(-1)


def test_double_free_and_foreign_buffer(caplog):
    a = pkg.pkg_malloc(10)
    pkg.pkg_free(a)
    with caplog.at_level(logging.ERROR, logger="openser.mem"):
        pkg.pkg_free(a)
        pkg.pkg_free(bytearray(10))
    assert caplog.text.count("not allocated by pkg_malloc") == 2
    assert pkg.pkg_status()["used"] == 0
    pkg.pkg_free(None)


def test_realloc_in_place():
    pkg.pkg_init(1000)
    a = pkg.pkg_malloc(10)
    a[:] = b"0123456789"
    assert pkg.pkg_realloc(a, 20) is a and a[:10] == b"0123456789" and len(a) == 20
    assert pkg.pkg_realloc(a, 4) is a and a == b"0123"
    assert pkg.pkg_status()["used"] == 4
    assert pkg.pkg_realloc(a, 2000) is None and len(a) == 4
    assert pkg.pkg_realloc(bytearray(3), 5) is None
    b = pkg.pkg_realloc(None, 8)
    assert len(b) == 8 and pkg.pkg_status()["used"] == 12


def test_leaked_buffer_id_reuse_is_reclaimed():
    pkg.pkg_init(0)
    for _ in range(50):
        pkg.pkg_malloc(100)                      # dropped without pkg_free
    st = pkg.pkg_status()
    assert st["used"] == 100 * st["fragments"]   # consistent, never negative


def test_tracemalloc_fields():
    import tracemalloc
    tracemalloc.start()
    try:
        st = pkg.pkg_status()
        assert "traced_current" in st and "traced_peak" in st
    finally:
        tracemalloc.stop()
