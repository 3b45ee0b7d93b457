"""Module loading (every loadmodule spelling), modparam typing and regexes."""
import textwrap

import pytest

from openser_py.core import sr_module
from openser_py.core.exports import REQUEST_ROUTE
from openser_py.core.sr_module import ModuleLoadError, ModuleRegistry

THIRD_PARTY = textwrap.dedent('''
    from openser_py.sr_module import (ModuleExports, CmdExport, ParamExport,
        STR_PARAM, INT_PARAM, USE_FUNC_PARAM, REQUEST_ROUTE)

    class cfg:
        greeting = "hello"
        times = 1

    seen = []

    def add_word(ptype, value):
        if value == "bad":
            return -1
        seen.append(value)
        return 0

    def w_hello(msg, a, b):
        return 1

    def mod_init():
        cfg.initialised = True
        return 0

    exports = ModuleExports(
        name="%(name)s",
        cmds=(CmdExport("hello", w_hello, 2, None, None, REQUEST_ROUTE),
              CmdExport("hello", w_hello, 0, None, None, REQUEST_ROUTE)),
        params=(ParamExport("greeting", STR_PARAM, cfg),
                ParamExport("times", INT_PARAM, cfg),
                ParamExport("word", STR_PARAM | USE_FUNC_PARAM, add_word),
                ParamExport("both", STR_PARAM, cfg),
                ParamExport("both", INT_PARAM, cfg)),
        mod_init=mod_init,
        api={"kind": "third-party"},
    )
''')


def make_module(base, name, as_package=True):
    if as_package:
        d = base / name
        d.mkdir(parents=True)
        (d / "__init__.py").write_text(THIRD_PARTY % {"name": name})
    else:
        (base / (name + ".py")).write_text(THIRD_PARTY % {"name": name})


@pytest.mark.parametrize("path", ["xmod1.so", "xmod1/xmod1.so", "xmod1", "xmod1.py"])
def test_loadmodule_spellings_with_mpath(tmp_path, path):
    make_module(tmp_path, "xmod1")
    reg = ModuleRegistry()
    mod = reg.load(path, mpath=str(tmp_path) + "/")
    assert mod.name == "xmod1"
    assert mod.origin.endswith("xmod1/__init__.py")


def test_single_file_module_and_absolute_path(tmp_path):
    make_module(tmp_path, "xmod2", as_package=False)
    reg = ModuleRegistry()
    mod = reg.load(str(tmp_path / "xmod2.so"))
    assert mod.origin.endswith("xmod2.py")
    assert reg.load("xmod2.so", mpath=str(tmp_path)) is mod  # loaded once


def test_unknown_module_is_a_clear_error(tmp_path):
    reg = ModuleRegistry()
    with pytest.raises(ModuleLoadError, match="could not find module <nosuchmod>"):
        reg.load("nosuchmod.so", mpath=str(tmp_path))


def test_module_without_exports_rejected(tmp_path):
    (tmp_path / "empty1.py").write_text("x = 1\n")
    with pytest.raises(ModuleLoadError, match="no 'exports'"):
        ModuleRegistry().load("empty1.so", mpath=str(tmp_path))


def test_import_error_reported_not_raised_raw(tmp_path):
    (tmp_path / "broken1.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(ModuleLoadError, match="RuntimeError: boom"):
        ModuleRegistry().load("broken1.so", mpath=str(tmp_path))


def test_excluded_module_cannot_load(tmp_path, monkeypatch):
    make_module(tmp_path, "xmod3")
    monkeypatch.setattr(sr_module.buildcfg, "EXCLUDE_MODULES", ("xmod3",))
    with pytest.raises(ModuleLoadError, match="excluded"):
        ModuleRegistry().load("xmod3.so", mpath=str(tmp_path))
    monkeypatch.setattr(sr_module.buildcfg, "INCLUDE_MODULES", ("xmod3",))
    assert ModuleRegistry().load("xmod3.so", mpath=str(tmp_path)).name == "xmod3"


def test_modparam_types_regex_and_func_params(tmp_path):
    make_module(tmp_path, "xmod4")
    make_module(tmp_path, "xmod5")
    reg = ModuleRegistry()
    m4 = reg.load("xmod4", mpath=str(tmp_path))
    m5 = reg.load("xmod5", mpath=str(tmp_path))
    cfg4, cfg5 = m4.pymod.cfg, m5.pymod.cfg
    assert reg.set_mod_param_regex("XMOD4", "greeting", "hi") is None
    assert cfg4.greeting == "hi" and cfg5.greeting == "hello"
    # anchored, case-insensitive extended regex: sets both
    assert reg.set_mod_param_regex("xmod4|xmod5", "times", 3) is None
    assert cfg4.times == 3 and cfg5.times == 3
    assert reg.set_mod_param_regex("xmod", "times", 4) \
        .startswith("no module matching")
    assert "takes an integer value" in \
        reg.set_mod_param_regex("xmod4", "times", "x")
    assert "not found in module <xmod4>" in \
        reg.set_mod_param_regex("xmod4", "nope", 1)
    # same name exported as STR and INT
    assert reg.set_mod_param_regex("xmod4", "both", 7) is None
    assert cfg4.both == 7
    assert reg.set_mod_param_regex("xmod4", "both", "seven") is None
    assert cfg4.both == "seven"
    # USE_FUNC_PARAM: called per modparam, may reject
    assert reg.set_mod_param_regex("xmod4", "word", "a") is None
    assert reg.set_mod_param_regex("xmod4", "word", "b") is None
    assert m4.pymod.seen == ["a", "b"]
    assert "rejected" in reg.set_mod_param_regex("xmod4", "word", "bad")
    assert "bad module name regex" in reg.set_mod_param_regex("x(", "word", "a")


def test_cmd_lookup_by_name_and_arity_and_lifecycle(tmp_path):
    make_module(tmp_path, "xmod6")
    reg = ModuleRegistry()
    mod = reg.load("xmod6", mpath=str(tmp_path))
    assert reg.find_cmd("hello", 2)[1].param_no == 2
    assert reg.find_cmd("hello", 0)[1].param_no == 0
    assert reg.find_cmd("hello", 1) is None
    assert reg.find_cmd("hello", 2)[1].flags == REQUEST_ROUTE
    reg.init_modules()
    assert mod.pymod.cfg.initialised is True
    sr_module.set_current_registry(reg)
    try:
        assert sr_module.load_module_api("xmod6") == {"kind": "third-party"}
        assert sr_module.load_module_api("nope") is None
    finally:
        sr_module.set_current_registry(None)


@pytest.mark.parametrize("path,name", [
    ("tm.so", "tm"), ("tm/tm.so", "tm"), ("modules/tm/tm.so", "tm"),
    ("/usr/local/lib/openser/modules/tm.so", "tm"), ("tm", "tm"),
    ("analog.py", "analog"), ("bad name.so", ""), ("", "")])
def test_module_name_from_path(path, name):
    assert sr_module.module_name_from_path(path) == name
