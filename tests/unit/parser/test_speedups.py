"""The C header index (``parser/_speedups.c``) against its Python twin.

``index.py`` documents the contract: both implementations must return
equal values (or both None) for any bytes.  This checks the whole message
corpus, the RFC 4475 style edge cases around line ends and colons, and a
bounded, seeded set of random mutations of those messages.  Under CI the
C module must be built (``make`` builds it; the CI machine has a compiler).
"""
import os
import random
import subprocess
import sys

import pytest

from openser_py.parser import index
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import UNKNOWN_CODE
from openser_py.parser.msg import SipMsg
from tests.conftest import IN_CI, ROOT

DATA = os.path.join(ROOT, "tests", "data", "sip")


def _corpus():
    out = []
    for kind in ("valid", "invalid"):
        folder = os.path.join(DATA, kind)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".sip"):
                with open(os.path.join(folder, name), "rb") as f:
                    out.append((name, f.read()))
    return out


CORPUS = _corpus()
EDGES = [
    b"", b"\r\n\r\n", b"X\r\n\r\n", b"INVITE sip:a@b SIP/2.0\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nVia:\r\n\r\n",          # value "\r"
    b"INVITE sip:a@b SIP/2.0\nVia:\n\r\n\r\n",          # empty value
    b"INVITE sip:a@b SIP/2.0\r\nVia x\r\n\r\n",        # no colon
    b"INVITE sip:a@b SIP/2.0\r\n\nVia: x\r\n\r\n",     # bare-LF empty line
    b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n y\r\n\r\n",  # folding
    b"INVITE sip:a@b SIP/2.0\r\nvIa: x\r\nFoo : y\r\n\r\nbody",
    b"INVITE sip:a@b SIP/2.0\r\nTo: \xe9\xff\r\n\r\n\x00\x01",
    b"\r\nINVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n",
    b"a:b\r\nc:d\r\n\r\n", b"\r\r\n\r\n", b"\n\r\n\r\n",
]


def _mutants(seed, count):
    rng = random.Random(seed)
    alphabet = b"\r\n: \t\x00\x7f\x80\xe9\xffaZ,;<>\""
    bufs = [raw for _, raw in CORPUS] + EDGES
    for _ in range(count):
        b = bytearray(rng.choice(bufs))
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(4)
            pos = rng.randint(0, len(b))
            if op == 0 and b:                       # replace a byte
                b[min(pos, len(b) - 1)] = rng.choice(alphabet)
            elif op == 1:                           # insert a byte
                b[pos:pos] = bytes([rng.choice(alphabet)])
            elif op == 2 and b:                     # delete a run
                del b[pos:pos + rng.randint(1, 8)]
            else:                                   # truncate
                del b[pos:]
        yield bytes(b)


def _c():
    if index.c_index_head is None:
        if IN_CI:
            pytest.fail("CI=true: the C speedups are not built (make all)",
                        pytrace=False)
        pytest.skip("openser_py.parser._speedups not built (make all)")
    return index.c_index_head


def test_built_and_in_use():
    c = _c()
    if not os.environ.get("OPENSER_PY_PURE"):
        assert index.index_head is c
        assert index.IMPLEMENTATION.startswith("C")


@pytest.mark.parametrize("name,raw", CORPUS, ids=[n for n, _ in CORPUS])
def test_corpus_equal(name, raw):
    c = _c()
    assert c(raw) == index.py_index_head(raw)


@pytest.mark.parametrize("raw", EDGES)
def test_edges_equal(raw):
    c = _c()
    got = c(raw)
    assert got == index.py_index_head(raw)
    if got is not None:   # equal values, and the same str kinds
        for a, b in zip(got[3], index.py_index_head(raw)[3]):
            assert a.isascii() == b.isascii()


def test_values():
    c = _c()
    raw = (b"INVITE sip:a@b SIP/2.0\r\nv: x\r\nX-Odd: \xe9\r\n"
           b"Content-Length: 2\r\n\r\nab")
    off, text, first, lines, parts, types = c(raw)
    assert off == raw.index(b"ab")
    assert text == raw[:off].decode("latin-1")
    assert first == "INVITE sip:a@b SIP/2.0\r"
    assert lines == ["v: x\r", "X-Odd: \xe9\r", "Content-Length: 2\r"]
    assert parts[1] == ("X-Odd", ":", " \xe9\r")
    assert types[1] == UNKNOWN_CODE and types[0] != UNKNOWN_CODE
    assert not text.isascii() and first.isascii()


def test_mutants_equal():
    c = _c()
    n = 0
    for raw in _mutants(5060, 4000):
        assert c(raw) == index.py_index_head(raw), raw
        n += 1
    assert n == 4000


def test_mutants_parse_the_same_way(monkeypatch):
    """Whole messages: the same outcome (values or status) either way."""
    from openser_py.parser import msg as msg_mod
    _c()

    def outcome(raw):
        try:
            m = SipMsg(raw)
            m.parse_all()
            return ("ok", m.first_line_end, m._types, m.body,
                    [h.body for h in m.headers])
        except SipParseError as e:
            return ("error", e.status)

    results = []
    for raw in _mutants(3263, 800):
        results.append(outcome(raw))
    monkeypatch.setattr(msg_mod, "_index_head", index.py_index_head)
    for raw, want in zip(_mutants(3263, 800), results):
        assert outcome(raw) == want, raw


def test_rejects_non_bytes():
    c = _c()
    with pytest.raises(TypeError):
        c(bytearray(b"x\r\n\r\n"))
    with pytest.raises(TypeError):
        c("x\r\n\r\n")


def test_set_codes_checks_the_table():
    _c()
    from openser_py.parser import _speedups
    with pytest.raises(ValueError):
        _speedups.set_codes({"Via": "ab"}, UNKNOWN_CODE)
    with pytest.raises(ValueError):
        _speedups.set_codes({}, "\xe9")


def test_pure_env_selects_python():
    out = subprocess.run(
        [sys.executable, "-c",
         "from openser_py.parser import index; print(index.IMPLEMENTATION)"],
        env=dict(os.environ, OPENSER_PY_PURE="1"), cwd=ROOT,
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "Python"
