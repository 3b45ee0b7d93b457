"""The engine's fast paths against its general ones.

* ``if (f())`` / ``if (!f())`` test the call site's value in the ``if``
  itself (``_if_call``); ``if (f() && 1)`` / ``if (!f() && 1)`` still go
  through the condition closures: same branches, same ``$rc``, same calls.
* ``attr == "c"`` / ``attr != "c"`` (``_str_eq``) against ``_str_cmp``.
"""
import pytest

from openser_py.cfg import compile_expr
from openser_py.core import route
from openser_py.core.script_state import state

from .test_engine import run, script_for, tmod  # noqa: F401 - fixture

BODY = ('if (%s) { mark("then"); } %s $var(rc) = $rc; mark("after");')


def outcome(tmod, cond, other):
    s = script_for(tmod, BODY % (cond, other))
    flags, calls, _ = run(s)
    return flags, list(calls), state.vars.get("rc")


@pytest.mark.parametrize("value", ["-2", "-1", "0", "1", "3"])
@pytest.mark.parametrize("negated", [False, True])
@pytest.mark.parametrize("other", ["", 'else { mark("else"); }',
                                   'else ret("-4");'])
def test_if_call_equals_general_condition(tmod, value, negated, other):
    bang = "!" if negated else ""
    fast = outcome(tmod, '%sret("%s")' % (bang, value), other)
    general = outcome(tmod, '%sret("%s") && 1' % (bang, value), other)
    assert fast == general
    if value == "0":                    # 0 stops the script in both
        assert fast[0] & route.EXIT_R_F


def test_if_call_takes_both_branches(tmod):
    # the comparison above is not vacuous: each form reaches each branch
    other = 'else { mark("else"); }'
    assert ("mark", "then") in outcome(tmod, 'ret("1")', other)[1]
    assert ("mark", "else") in outcome(tmod, 'ret("-1")', other)[1]
    assert ("mark", "then") in outcome(tmod, '!ret("-1")', other)[1]
    assert ("mark", "else") in outcome(tmod, '!ret("1")', other)[1]
    # no else: $rc is the call's value when the condition is false
    assert outcome(tmod, 'ret("-2")', "")[2] == -2


class _Msg:
    def __init__(self, method):
        self.method = method


@pytest.mark.parametrize("const", ["INVITE", "invite", "Ack", ""])
@pytest.mark.parametrize("value", [None, "INVITE", "invite", "InViTe", "ACK",
                                   "", "INVITEX"])
def test_str_eq_equals_str_cmp(const, value):
    get = compile_expr._get_method
    msg = _Msg(value)
    for op, equal in (("==", True), ("!=", False)):
        assert compile_expr._str_eq(get, const, equal)(msg) \
            == compile_expr._str_cmp(op, const)(get(msg))
