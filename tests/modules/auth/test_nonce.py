"""Nonce MAC, expiry and the shm nonce-count table (auth/nonce.py)."""
import hashlib
import hmac
import os

import pytest

from openser_py.mem.shm import Arena
from openser_py.mem.shm_alloc import ShmAllocator
from openser_py.modules.auth import nonce as N
from tests.forking import run_forked

SECRET = "s3cret-for-tests"
NOW = 1_700_000_000


def test_layout_and_mac_by_hand():
    n = N.calc_nonce(NOW + 30, 0x1234, SECRET)
    head = "%08x%08x" % (NOW + 30, 0x1234)
    mac = hmac.new(SECRET.encode(), head.encode(), hashlib.md5).hexdigest()
    assert n == head + mac
    assert len(n) == N.NONCE_LEN == 48
    assert N.parse_nonce(n) == (NOW + 30, 0x1234)


def test_valid_then_stale_by_time():
    n = N.calc_nonce(NOW + 30, 7, SECRET)
    assert N.check_nonce(n, SECRET, now=NOW) == N.NONCE_OK
    assert N.check_nonce(n, SECRET, now=NOW + 30) == N.NONCE_OK
    assert N.check_nonce(n, SECRET, now=NOW + 31) == N.NONCE_STALE
    assert not N.is_nonce_stale(n, now=NOW + 30)
    assert N.is_nonce_stale(n, now=NOW + 31)


@pytest.mark.parametrize("mangle", [
    lambda n: n[:-1] + ("0" if n[-1] != "0" else "1"),      # MAC bit flipped
    lambda n: "%08x" % (NOW + 9999) + n[8:],                  # expiry extended
    lambda n: n[:8] + "%08x" % 99 + n[16:],                   # index changed
    lambda n: n[:-2],                                         # too short
    lambda n: n + "00",                                       # too long
    lambda n: n.upper(),                                      # not lower hex
    lambda n: "z" + n[1:],                                    # not hex
    lambda n: "",
])
def test_forged_nonces_are_invalid(mangle):
    n = N.calc_nonce(NOW + 30, 7, SECRET)
    assert N.check_nonce(mangle(n), SECRET, now=NOW) == N.NONCE_INVALID


def test_other_secret_is_invalid():
    n = N.calc_nonce(NOW + 30, 7, "another secret")
    assert N.check_nonce(n, SECRET, now=NOW) == N.NONCE_INVALID
    assert N.nonce_mac_ok(n, "another secret")


def test_random_secret():
    a, b = N.random_secret(), N.random_secret()
    assert len(a) == 32 and a.isalnum() and a != b


@pytest.mark.parametrize("text,value", [
    ("00000001", 1), ("0000000a", 10), ("0000000A", 10), ("ffffffff", 2**32 - 1),
    ("1", None), ("000000001", None), ("0000000g", None), (None, None)])
def test_parse_nc(text, value):
    assert N.parse_nc(text) == value


@pytest.fixture
def alloc():
    a = ShmAllocator(Arena(4 << 20), debug=False)
    yield a
    a.arena.close()


def test_nc_table_rejects_replays(alloc):
    t = N.NcTable(16, n_locks=4, allocator=alloc)
    i = t.new_index()
    assert t.check(i, 1) == N.NC_OK
    assert t.check(i, 1) == N.NC_REPLAY
    assert t.check(i, 3) == N.NC_OK
    assert t.check(i, 2) == N.NC_REPLAY
    j = t.new_index()
    assert j != i
    assert t.check(j, 1) == N.NC_OK          # per nonce
    assert t.check(12345, 1) == N.NC_TOO_OLD  # never issued
    t.destroy()


def test_nc_table_forgets_after_wrap(alloc):
    t = N.NcTable(4, n_locks=2, allocator=alloc)
    first = t.new_index()
    for _ in range(4):
        t.new_index()                         # reuses first's slot
    assert t.check(first, 1) == N.NC_TOO_OLD
    t.destroy()


def test_nc_table_shared_across_processes(alloc, tmp_path):
    """4 forked workers race on the same nonce: every nc is accepted at most
    once in total, and the highest accepted nc wins afterwards."""
    t = N.NcTable(64, n_locks=8, allocator=alloc)
    idx = t.new_index()

    def worker(i):
        ok = [nc for nc in range(1, 201) if t.check(idx, nc) == N.NC_OK]
        with open(os.path.join(str(tmp_path), "w%d" % i), "w") as f:
            f.write(",".join(map(str, ok)))

    assert run_forked(4, worker, timeout=60) == [0, 0, 0, 0]
    accepted = []
    for i in range(4):
        text = open(os.path.join(str(tmp_path), "w%d" % i)).read()
        accepted += [int(x) for x in text.split(",") if x]
    assert len(accepted) == len(set(accepted)) >= 1
    assert max(accepted) == 200
    assert t.check(idx, 200) == N.NC_REPLAY
    assert t.check(idx, 201) == N.NC_OK
    t.destroy()
