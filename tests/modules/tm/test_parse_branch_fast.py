"""parse_branch (one regex, int() per part) against the digit-by-digit
decoder it replaced (reverse_hex2int on the split parts), on varied input."""
import random

from openser_py.modules.tm.t_branch import (MAX_BRANCHES, MCOOKIE,
                                            TABLE_ENTRIES, branch_value,
                                            has_cookie, parse_branch,
                                            reverse_hex2int)


def _reference(branch, table_entries=TABLE_ENTRIES,
               max_branches=MAX_BRANCHES):
    """The general decoder (split + reverse_hex2int), as before."""
    if not has_cookie(branch):
        return None
    parts = branch[len(MCOOKIE):].split(".", 2)
    if len(parts) != 3 or not all(parts):
        return None
    h, label, br = (reverse_hex2int(p) for p in parts)
    if (h < 0 or h >= table_entries or label < 0 or br < 0
            or br >= max_branches):
        return None
    return h, label, br


_ALPHABET = "0123456789abcdefABCDEFgxz.-_+ \t" + "\u0661\u00e9"


def _mutants(rng, n):
    for _ in range(n):
        base = branch_value(rng.randrange(TABLE_ENTRIES),
                            rng.randrange(1 << rng.choice((4, 16, 32, 40))),
                            rng.randrange(16))
        chars = list(base)
        for _ in range(rng.randrange(4)):
            op = rng.randrange(3)
            pos = rng.randrange(len(chars) + 1)
            if op == 0:
                chars.insert(pos, rng.choice(_ALPHABET))
            elif op == 1 and pos < len(chars):
                del chars[pos]
            elif pos < len(chars):
                chars[pos] = rng.choice(_ALPHABET)
        yield "".join(chars)


def test_same_result_as_the_general_decoder():
    rng = random.Random(4711)
    fixed = [None, "", MCOOKIE, MCOOKIE + ".", MCOOKIE + "1.2", MCOOKIE
             + "1.2.3", MCOOKIE + "1..3", MCOOKIE + "1.2.", MCOOKIE
             + "1.2.3.4", MCOOKIE + "fffff.1.0", MCOOKIE + "ffff.1.0",
             MCOOKIE + "0.123456789abcdef.0", MCOOKIE + "A.B.b",
             MCOOKIE + "0x1.2.3", MCOOKIE + "1_0.2.3", MCOOKIE + "+1.2.3",
             MCOOKIE + " 1.2.3", MCOOKIE + "1.2.3 ", "z9hg4bK1.2.3",
             "x" + MCOOKIE + "1.2.3", MCOOKIE + "1.2.3\n",
             MCOOKIE + "\u0661.2.3"]
    seen_ok = seen_none = 0
    for b in fixed + list(_mutants(rng, 20000)):
        got, want = parse_branch(b), _reference(b)
        assert got == want, b
        if want is None:
            seen_none += 1
        else:
            seen_ok += 1
    assert seen_ok > 1000 and seen_none > 1000


def test_limits_are_parameters():
    b = branch_value(300, 7, 5)
    assert parse_branch(b) == (300, 7, 5)
    assert parse_branch(b, table_entries=300) is None
    assert parse_branch(b, max_branches=5) is None
    assert parse_branch(b, 301, 6) == _reference(b, 301, 6)
