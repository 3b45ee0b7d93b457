"""openser_py.mi.mi: the command registry and running commands."""
import textwrap

from openser_py.mi import mi
from openser_py.mi.tree import MiNode, MiRoot

CORE = ["which", "ps", "uptime", "version", "pwd", "arg", "kill", "debug",
        "get_statistics", "reset_statistics", "reload_cfg"]

MODULE = '''
from openser_py.core.exports import MiExport, ModuleExports, MI_NO_INPUT_FLAG
from openser_py.mi.tree import MiRoot, mi_error

calls = []
inits = []

def echo(args, param):
    calls.append((list(args), param))
    rpl = MiRoot()
    for a in args:
        rpl.add_child(a.name, a.value).add_attr("param", param)
    return rpl

def boom(args, param):
    raise RuntimeError("handler bug")

def nothing(args, param):
    return None

def wrong(args, param):
    return "not a tree"

def init_ok():
    inits.append("ok")
    return 0

def init_bad():
    return -1

exports = ModuleExports(name="%(name)s", mi_cmds=(
    MiExport("%(name)s_echo", echo, 0, "P", init_ok),
    MiExport("%(name)s_noinput", echo, MI_NO_INPUT_FLAG, "Q"),
    MiExport("%(name)s_boom", boom),
    MiExport("%(name)s_none", nothing),
    MiExport("%(name)s_wrong", wrong),
    MiExport("%(name)s_badinit", echo, 0, None, init_bad),
    MiExport("version", echo),
))
'''


def load(registry, tmp_path, name="mitestmod"):
    (tmp_path / (name + ".py")).write_text(textwrap.dedent(
        MODULE % {"name": name}))
    return registry.load(name + ".py", str(tmp_path) + "/")


def test_core_commands_without_modules(registry):
    assert mi.mi_commands() == CORE
    rpl = mi.run_mi_cmd("which")
    assert [k.value for k in rpl.kids] == CORE
    assert mi.lookup_mi_cmd("ps").module == "core"


def test_module_commands_join_after_the_core(registry, tmp_path):
    mod = load(registry, tmp_path)
    names = mi.mi_commands()
    assert names[:len(CORE)] == CORE
    assert names[len(CORE):] == ["mitestmod_echo", "mitestmod_noinput",
                                 "mitestmod_boom", "mitestmod_none",
                                 "mitestmod_wrong", "mitestmod_badinit"]
    # the module's "version" repeats a core name: refused, core kept
    assert mi.lookup_mi_cmd("version").module == "core"
    rpl = mi.run_mi_cmd("mitestmod_echo", ["v1", ("n", "v2"), MiNode("m", "3")])
    assert [(k.name, k.value, k.attrs) for k in rpl.kids] == [
        ("", "v1", [("param", "P")]), ("n", "v2", [("param", "P")]),
        ("m", "3", [("param", "P")])]
    # MI_NO_INPUT_FLAG: arguments are dropped
    mod.pymod.calls.clear()
    mi.run_mi_cmd("mitestmod_noinput", ["ignored"])
    assert mod.pymod.calls == [([], "Q")]


def test_a_second_module_loaded_later_is_seen(registry, tmp_path):
    load(registry, tmp_path, "mitest_a")
    assert "mitest_a_echo" in mi.mi_commands()
    load(registry, tmp_path, "mitest_b")
    assert "mitest_b_echo" in mi.mi_commands()


def test_errors_become_replies(registry, tmp_path, caplog):
    load(registry, tmp_path)
    r = mi.run_mi_cmd("no_such_cmd")
    assert (r.code, r.reason) == (500, "command 'no_such_cmd' not available")
    r = mi.run_mi_cmd("mitestmod_boom")
    assert (r.code, r.reason) == (500, "Server Internal Error")
    r = mi.run_mi_cmd("mitestmod_none")
    assert (r.code, r.reason) == (500, "command 'mitestmod_none' failed")
    r = mi.run_mi_cmd("mitestmod_wrong")
    assert (r.code, r.reason) == (500, "Server Internal Error")
    # the transports' level: None stays None
    assert mi.call_mi_cmd(mi.lookup_mi_cmd("mitestmod_none"), []) is None


def test_init_mi_child_runs_init_f_once_and_drops_failures(registry,
                                                            tmp_path):
    mod = load(registry, tmp_path)
    assert mi.init_mi_child() == -1
    assert mod.pymod.inits == ["ok"]
    assert mi.lookup_mi_cmd("mitestmod_badinit") is None
    assert mi.init_mi_child() == 0          # nothing left to initialise
    assert mod.pymod.inits == ["ok"]


def test_async_handler_is_visible_only_to_async_commands(registry):
    from openser_py.core.exports import MI_ASYNC_RPL_FLAG, MiExport
    seen = []

    def handler(args, param):
        seen.append(mi.get_async_handler())
        return mi.MI_ROOT_ASYNC_RPL if seen[-1] else MiRoot(code=202, reason="Accepted")
    mi.register_mi_cmd(MiExport("mitest_async", handler, MI_ASYNC_RPL_FLAG),
                       "mitest")
    mi.register_mi_cmd(MiExport("mitest_sync", handler), "mitest")
    hdl = object()
    cmd = mi.lookup_mi_cmd("mitest_async")
    assert mi.call_mi_cmd(cmd, [], hdl) is mi.MI_ROOT_ASYNC_RPL
    assert mi.call_mi_cmd(mi.lookup_mi_cmd("mitest_sync"), [], hdl).code \
        == 202
    assert seen == [hdl, None]
    assert mi.get_async_handler() is None
    # without a transport handler the command answers at once
    assert mi.run_mi_cmd("mitest_async").code == 202
