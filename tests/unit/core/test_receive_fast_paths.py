"""The per-message core written out, against the functions it replaces.

* ``route.reset_msg_context`` = ``dset.clear_branches()`` +
  ``usr_avp.reset_avps()``;
* ``receive._run`` = ``route.run_top_route`` (same flags, same script
  state) for every way a route can end;
* the ``script_cb.exec_*`` loops: order, drop, a failing callback.
"""
import pytest

from openser_py.core import dset, receive, route, script_cb, usr_avp
from openser_py.core.exports import ONREPLY_ROUTE, REQUEST_ROUTE
from openser_py.core.script_state import state


@pytest.fixture(autouse=True)
def clean_state():
    yield
    state.reset()
    route.reset_msg_context()


def dirty(n_branches, n_avps, other_list):
    """Branches, R-URI q, AVPs and maybe a foreign current AVP list."""
    dset.clear_branches()
    for i in range(n_branches):
        dset.append_branch(None, "sip:b%d@example.com" % i)
    dset.set_ruri_q(500)
    usr_avp.reset_avps()
    for i in range(n_avps):
        usr_avp.add_avp("a%d" % i, i)
    if other_list:
        lst = usr_avp.AvpList()
        lst.add("t", 1)
        usr_avp.set_avp_list(lst)


def snapshot():
    return (dset.save_dset()[0], dset.get_ruri_q(),
            usr_avp.get_avp_list() is usr_avp._global_list,
            len(usr_avp.get_avp_list()), len(usr_avp._global_list))


@pytest.mark.parametrize("n_branches", [0, 1, 3])
@pytest.mark.parametrize("n_avps", [0, 2])
@pytest.mark.parametrize("other_list", [False, True])
def test_reset_msg_context_equals_the_two_calls(n_branches, n_avps,
                                                other_list):
    dirty(n_branches, n_avps, other_list)
    dset.clear_branches()
    usr_avp.reset_avps()
    general = snapshot()
    dirty(n_branches, n_avps, other_list)
    assert snapshot() != general        # there was something to reset
    route.reset_msg_context()
    assert snapshot() == general == ([], dset.Q_UNSPECIFIED, True, 0, 0)


def _route(kind):
    def fn(msg):
        state.sflags = 7                # the route changes the state
        if kind == "value":
            return 5
        if kind == "exit":
            raise route.ScriptExit()
        if kind == "drop":
            raise route.ScriptDrop()
        raise route.RouteReturn(-3)
    return fn


def _state():
    return (state.route_type, state.route_name, state.sflags,
            state.ser_error, state.retcode)


@pytest.mark.parametrize("kind", ["value", "exit", "drop", "return"])
@pytest.mark.parametrize("rtype", [REQUEST_ROUTE, ONREPLY_ROUTE])
def test_run_equals_run_top_route(kind, rtype):
    results = []
    for runner in (route.run_top_route, receive._run):
        state.route_type, state.route_name = 99, "x"
        state.ser_error, state.retcode = -5, 42
        flags = runner(_route(kind), rtype, None)
        results.append((flags, _state()))
    assert results[0] == results[1]
    assert results[0][1][:2] == (rtype, None)


@pytest.fixture
def clean_cbs():
    script_cb.reset_script_cbs()
    yield
    script_cb.reset_script_cbs()


def test_exec_loops(clean_cbs):
    seen = []

    def ok(msg):
        seen.append(("ok", msg))

    def boom(msg):
        seen.append(("boom", msg))
        raise RuntimeError("bug")

    def stop(msg):
        seen.append(("stop", msg))
        return 0

    assert script_cb.exec_pre_req_cb(1) is True         # empty list
    for flags in (script_cb.PRE_SCRIPT_CB, script_cb.POST_SCRIPT_CB):
        for func in (boom, ok):
            script_cb.register_script_cb(
                func, flags | script_cb.REQ_TYPE_CB | script_cb.RPL_TYPE_CB)
    assert script_cb.exec_pre_req_cb(1) is True
    script_cb.exec_post_req_cb(2)
    assert script_cb.exec_pre_rpl_cb(3) is True
    script_cb.exec_post_rpl_cb(4)
    assert seen == [(f, m) for m in (1, 2, 3, 4) for f in ("boom", "ok")]
    script_cb.register_script_cb(stop, script_cb.PRE_SCRIPT_CB
                                 | script_cb.REQ_TYPE_CB
                                 | script_cb.RPL_TYPE_CB)
    script_cb.register_script_cb(ok, script_cb.PRE_SCRIPT_CB
                                 | script_cb.REQ_TYPE_CB)   # a duplicate
    del seen[:]
    assert script_cb.exec_pre_req_cb(5) is False
    assert script_cb.exec_pre_rpl_cb(6) is False
    assert seen == [(f, m) for m in (5, 6) for f in ("boom", "ok", "stop")]
