"""PLY table policy: generated at build time, never written at run time."""
import os
import shutil
import stat
import subprocess
import sys

import pytest

import openser_py
from openser_py.cfg import build_tables, grammar, parser as cfg_parser

PKG_ROOT = os.path.dirname(os.path.abspath(openser_py.__file__))
CFG_DIR = os.path.join(PKG_ROOT, "cfg")
SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "data", "cfg",
                      "openser-default.cfg")

FRONT_END = ("__init__.py", "ast.py", "lexer.py", "grammar.py", "parser.py",
             "printer.py", "build_tables.py")

CHILD = r"""
import sys
from openser_py.cfg import parser
p = parser.CfgParser()
config = parser.parse_file(sys.argv[1])
kind = type(p.grammar.yacc.productions[1]).__name__
print(len(config.items), "tables" if kind == "MiniProduction" else "built")
"""


def listing(root):
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), root))
    return out


def current_signature():
    import ply.yacc
    g = grammar.CfgGrammar()
    pdict = dict((k, getattr(g, k)) for k in dir(g))
    pdict["__file__"] = grammar.__file__
    pdict["start"] = "config"
    info = ply.yacc.ParserReflect(pdict, log=ply.yacc.NullLogger())
    info.get_all()
    return info.signature()


def test_build_tables_writes_a_current_module(tmp_path):
    path = build_tables.build(str(tmp_path))
    assert path == str(tmp_path / "_parsetab.py")
    assert sorted(os.listdir(str(tmp_path))) == ["_parsetab.py"]
    namespace = {}
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), namespace)
    assert namespace["_lr_signature"] == current_signature()
    assert namespace["_lr_method"] == "LALR"


def test_build_tables_main(tmp_path, capsys):
    assert build_tables.main(["--outputdir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip().endswith("_parsetab.py")


def test_parsing_in_process_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before_pkg, before_cwd = listing(CFG_DIR), listing(str(tmp_path))
    p = cfg_parser.CfgParser()
    p.parse("route { exit; }", "x.cfg")
    p.parse("route { ( }", "bad.cfg")
    assert listing(CFG_DIR) == before_pkg
    assert listing(str(tmp_path)) == before_cwd
    for name in ("parser.out", "parsetab.py", "lextab.py"):
        assert not os.path.exists(os.path.join(CFG_DIR, name))


def _copy_package(dest):
    """Minimal copy of openser_py with only the cfg package (no tables)."""
    root = os.path.join(dest, "openser_py")
    os.makedirs(os.path.join(root, "cfg"))
    os.makedirs(os.path.join(root, "core"))
    for name in ("__init__.py", "version.py", "core/__init__.py",
                 "core/errors.py"):
        shutil.copy(os.path.join(PKG_ROOT, name), os.path.join(root, name))
    for name in FRONT_END:
        shutil.copy(os.path.join(CFG_DIR, name), os.path.join(root, "cfg"))
    return os.path.join(root, "cfg")


def _make_read_only(root):
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), stat.S_IRUSR | stat.S_IRGRP)
        os.chmod(dirpath, stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP |
                 stat.S_IXGRP)


def _make_writable(root):
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, stat.S_IRWXU)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), stat.S_IRUSR | stat.S_IWUSR)


@pytest.mark.parametrize("table", ["current", "missing", "stale", "corrupt"])
def test_read_only_install(tmp_path, table):
    cfg_dir = _copy_package(str(tmp_path))
    tab = os.path.join(cfg_dir, "_parsetab.py")
    if table == "current":
        build_tables.build(cfg_dir)
    elif table == "stale":
        build_tables.build(cfg_dir)
        with open(tab) as f:
            text = f.read()
        with open(tab, "w") as f:
            f.write(text.replace("_lr_signature = '", "_lr_signature = 'old"))
    elif table == "corrupt":
        with open(tab, "w") as f:
            f.write("this is not python (\n")
    work = tmp_path / "work"
    work.mkdir()
    before = listing(str(tmp_path))
    _make_read_only(str(tmp_path / "openser_py"))
    env = dict(os.environ, PYTHONPATH=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run(
            [sys.executable, "-B", "-c", CHILD, os.path.abspath(SAMPLE)],
            cwd=str(work), env=env, capture_output=True, text=True, timeout=120)
    finally:
        _make_writable(str(tmp_path / "openser_py"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    count, source = proc.stdout.split()
    assert int(count) > 30
    assert source == ("tables" if table == "current" else "built")
    assert listing(str(tmp_path)) == before
