"""parse -> print -> parse gives an equal AST; printing is idempotent."""
import glob
import os

import pytest

from openser_py.cfg import ast, parse_file, parse_string
from openser_py.cfg.ast import dump, equal
from openser_py.cfg.printer import quote, to_cfg

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "cfg")
SAMPLES = sorted(glob.glob(os.path.join(DATA, "*.cfg")))


def roundtrip(text):
    first = parse_string(text, "a.cfg")
    printed = to_cfg(first)
    second = parse_string(printed, "b.cfg")
    assert equal(first, second), "%s\n!=\n%s\n---\n%s" % (
        dump(first), dump(second), printed)
    assert to_cfg(second) == printed
    return printed


def test_samples_exist():
    names = [os.path.basename(p) for p in SAMPLES]
    for name in ("openser-default.cfg", "registrar.cfg", "auth-proxy.cfg",
                 "serial-forking.cfg", "syntax-showcase.cfg"):
        assert name in names


@pytest.mark.parametrize("path", SAMPLES, ids=os.path.basename)
def test_sample_roundtrip(path):
    first = parse_file(path)
    printed = to_cfg(first)
    second = parse_string(printed, "printed.cfg")
    assert equal(first, second)
    assert to_cfg(second) == printed


@pytest.mark.parametrize("src", [
    "route { if (a || (b && c)) exit; }",
    "route { if ((a || b) && c) exit; }",
    "route { if (!(a && b) || !c) exit; }",
    "route { if (!method == \"REGISTER\") exit; }",
    "route { $var(x) = 1 - (2 - 3); }",
    "route { $var(x) = (1 + 2) * 3; }",
    "route { $var(x) = 1 + 2 * 3; }",
    "route { $var(x) = (1 | 2) + 3; }",
    "route { $var(x) = 1 | 2 + 3; }",
    "route { $var(x) = ~(1 + 2); }",
    "route { $var(x) = ($var(y) == 1) + 2; }",
    "route { $var(x) = $var(y) == 1; }",
    "route { $var(x) = -1 - -1; }",
    "route { if ([($var(i) + 1) & 3]) exit; }",
    "route { if (a) if (b) x(); else y(); else z(); }",
    "route { if (a) { if (b) x(); } else z(); }",
    "route { if (a) while (b) if (c) x(); else y(); }",
    "route { if ({ a(); b(); }) { c(); } }",
    "route { if (c) ; }",
    "route { switch ($x) { case 1: case \"s\": a(); break; default: } }",
    "listen=udp:[::1]:5060 tcp:[fe80::1] [::2]:5062 ::3",
    "listen=any:host-a.example.com:any",
    "dst_blacklist=x:{ !(tcp, ::1, 5060, \"v6\") }",
    "tls_client_domain[\"gw\"] { tls_method=SSLv23 }",
    "route { f(udp:1.2.3.4:5060, \"a\", b, -1, $x, [::1], 0x10, yes); }",
    "route { append_branch; if (isdsturiset) exit; }",
    "route { exit(); drop(); return(); return(-3); route(2); }",
    "modparam(\"a\", \"b\", -7)\nloadmodule \"x.so\"\ndebug=yes",
])
def test_snippet_roundtrip(src):
    roundtrip(src)


@pytest.mark.parametrize("value,text", [
    ("plain", '"plain"'),
    ('q"q', r'"q\"q"'),
    ("back\\slash \\1", r'"back\\slash \\1"'),
    ("a\nb\rc\td\a", r'"a\nb\rc\td\a"'),
    ("\x01\x7fz", r'"\x01\x7fz"'),
    ("caf\xe9", '"caf\xe9"'),
])
def test_quote(value, text):
    assert quote(value) == text
    assert parse_string("alias=%s" % text).items[0].value.value == value


def test_canonical_layout():
    text = roundtrip("debug=3 fork=no\nloadmodule \"sl.so\" route{if(uri==myself)"
                     "{exit;}else drop;}route[1]{t_relay();}")
    assert text == (
        "debug=3\n"
        "fork=no\n"
        "loadmodule \"sl.so\"\n"
        "\n"
        "route {\n"
        "\tif (uri == myself) {\n"
        "\t\texit;\n"
        "\t} else\n"
        "\t\tdrop;\n"
        "}\n"
        "\n"
        "route[1] {\n"
        "\tt_relay();\n"
        "}\n")


def test_minimal_parentheses():
    assert roundtrip("route { if (a || (b && c)) exit; }").splitlines()[1] == (
        "\tif (a || (b && c))")
    assert roundtrip("route { if ((a || b) && c) exit; }").splitlines()[1] == (
        "\tif (a || b && c)")
    assert "$var(x) = 1 - (2 - 3);" in roundtrip("route{$var(x)=1-(2-3);}")
    assert "$var(x) = 1 + 2 - 3;" in roundtrip("route{$var(x)=(1+2)-3;}")


def test_number_spelling_is_kept():
    text = roundtrip("fork=yes\nopen_files_limit=0x10\nroute { if (af==inet) exit; }")
    assert "fork=yes" in text and "0x10" in text and "af == inet" in text


def test_dangling_else_protection_for_built_trees():
    inner = ast.If(ast.Number(1, "1"), ast.Exit(), None)
    outer = ast.If(ast.Number(2, "2"), inner, ast.Drop())
    printed = to_cfg(outer)
    reparsed = parse_string("route {\n%s\n}" % printed).items[0].body[0]
    assert equal(reparsed.iftrue, ast.Block([inner]))
    assert isinstance(reparsed.iffalse, ast.Drop)


def test_to_cfg_on_fragments():
    cfg = parse_string('route { $var(a) = $var(b) + 1; xlog("x\\n"); }')
    assign, call = cfg.items[0].body
    assert to_cfg(assign) == "$var(a) = $var(b) + 1;"
    assert to_cfg(assign.value) == "$var(b) + 1"
    assert to_cfg(call) == 'xlog("x\\n");'
    assert to_cfg(cfg.items[0]).startswith("route {")
    assert to_cfg(ast.Number(5, None)) == "5"
    with pytest.raises(TypeError):
        to_cfg(object())


def test_indent_option():
    cfg = parse_string("route { if (a) { b(); } }")
    assert "    if (a) {\n        b();\n    }" in to_cfg(cfg, indent="    ")
