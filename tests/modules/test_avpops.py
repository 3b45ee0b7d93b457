"""The avpops module: effects on the AVP list and the message, return codes,
fixup errors with file:line:col."""
import os
import re

import pytest

from openser_py.cfg import compile as cfg_compile
from openser_py.core import dprint, dset, usr_avp
from openser_py.core.cfgload import load_config
from openser_py.core.script_state import state
from openser_py.core.scriptrun import load_script, make_msg, run_route
from openser_py.modules.avpops import avpops_fixups
from openser_py.core import re_subst as avpops_subst

INVITE = (b"INVITE sip:bob@example.com;transport=udp SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKx1\r\n"
          b"From: \"Alice\" <sip:alice@atlanta.com>;tag=a1\r\n"
          b"To: <sip:Bob@EXAMPLE.com>\r\n"
          b"Call-ID: c1@example.com\r\n"
          b"CSeq: 7 INVITE\r\n"
          b"Content-Length: 0\r\n\r\n")


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    state.reset()
    usr_avp.reset_avps()
    dset.clear_branches()
    crashes = []
    real = cfg_compile.LM_ERR

    def lm_err(fmt, *args):
        if "() failed:" in fmt:
            crashes.append(fmt % args)
        real(fmt, *args)
    # a module function raising is logged and counts as -1: make it fail
    monkeypatch.setattr(cfg_compile, "LM_ERR", lm_err)
    yield
    assert crashes == []


def run(body, head="", msg=INVITE):
    """Run *body* as the request route of an avpops config; the message."""
    script = load_script('loadmodule "avpops.so"\n%s\nroute {\n%s\n}\n'
                         % (head, body))
    m = make_msg(msg)
    run_route(script, m)
    return m


def rc(call, var="r"):
    """A statement running *call* and saving its return code in $var."""
    return "%s; $var(%s) = $rc;\n" % (call, var)


def vals(name):
    """Every value of AVP *name* in the current list, newest first."""
    return usr_avp.get_avp_list().search_all(name)


def errors(body, head=""):
    """``[(line, col, message)]`` of ``openser -c`` on an avpops config."""
    text = 'loadmodule "avpops.so"\n%s\nroute {\n%s\n}\n' % (head, body)
    script = load_config("a.cfg", text=text, check=True)
    return [(e.line, e.col, e.message) for e in script.errors]


SETUP = ('$avp(i:1) = 5; $avp(i:1) = 7; $avp(i:1) = "seven";\n'
         '$avp(s:name) = "Alice"; $avp(s:name) = "bob";\n'
         '$avp(i3:9) = 1; $avp(s1:flagged) = "f";\n')


# -- avp_delete ---------------------------------------------------------------

def test_delete_newest_then_all():
    run(SETUP + rc('avp_delete("$avp(i:1)")', "a")
        + rc('avp_delete("$avp(s:NAME)/g")', "b")
        + rc('avp_delete("$avp(s:name)")', "c"))
    assert vals(1) == [7, 5]
    assert vals("name") == []
    assert (state.vars["a"], state.vars["b"], state.vars["c"]) == (1, 1, -1)


def test_delete_by_name_type_and_script_flags():
    run(SETUP + rc('avp_delete("s")'))
    assert state.vars["r"] == 1
    assert vals("name") == [] and vals("flagged") == []
    assert vals(1) == ["seven", 7, 5] and vals(9) == [1]
    run(SETUP + rc('avp_delete("a1")'))          # script flag 1: i3 and s1
    assert vals(9) == [] and vals("flagged") == []
    assert vals(1) == ["seven", 7, 5] and vals("name") == ["bob", "Alice"]
    run(SETUP + rc('avp_delete("i4")') + rc('avp_delete("a")', "all"))
    assert state.vars["r"] == -1 and state.vars["all"] == 1
    assert len(usr_avp.get_avp_list()) == 0


def test_delete_dynamic_name():
    run('$var(n) = "dyn"; $avp($var(n)) = 1; $avp(s:dyn) = 2;\n'
        + rc('avp_delete("$avp($var(n))/g")'))
    assert vals("dyn") == [] and state.vars["r"] == 1


def test_delete_fixup_errors():
    errs = errors(' avp_delete("x");\n  avp_delete("$avp(i:1)/q");\n'
                  ' avp_delete("$ru");\n avp_delete("i2x");')
    assert [e[:2] for e in errs] == [(4, 2), (5, 3), (6, 2), (7, 2)]
    assert "expected $avp(name), *, a, s or i" in errs[0][2]
    assert "bad flag <q>" in errs[1][2]
    assert "expected $avp(name)" in errs[2][2]
    assert "bad avp flags" in errs[3][2]


# -- avp_copy -----------------------------------------------------------------

def test_copy_newest_all_and_move():
    run(SETUP + rc('avp_copy("$avp(i:1)", "$avp(s:one)")', "a")
        + rc('avp_copy("$avp(s:name)", "$avp(i:2)/g")', "b")
        + rc('avp_copy("$avp(i:1)", "$avp(s:moved)/gd")', "c")
        + rc('avp_copy("$avp(i:1)", "$avp(s:x)")', "d"))
    assert vals("one") == ["seven"]
    assert vals(2) == ["Alice", "bob"]        # newest copy = oldest source
    assert vals("moved") == [5, 7, "seven"] and vals(1) == []
    assert [state.vars[k] for k in "abcd"] == [1, 1, 1, -1]


def test_copy_casts():
    run('$avp(s:n) = "42"; $avp(i:5) = 17; $avp(s:bad) = "4x";\n'
        + rc('avp_copy("$avp(s:n)", "$avp(s:asint)/n")', "a")
        + rc('avp_copy("$avp(i:5)", "$avp(s:asstr)/s")', "b")
        + rc('avp_copy("$avp(s:bad)", "$avp(s:no)/n")', "c"))
    assert vals("asint") == [42] and vals("asstr") == ["17"]
    assert vals("no") == []
    assert [state.vars[k] for k in "abc"] == [1, 1, -1]


def test_copy_keeps_destination_script_flags():
    run('$avp(s:a) = 1;\navp_copy("$avp(s:a)", "$avp(s2:b)");')
    avp = usr_avp.get_avp_list().search_first("b")
    assert avp.script_flags == 2


def test_copy_fixup_errors():
    errs = errors('avp_copy("$ru", "$avp(s:x)");\n'
                  'avp_copy("$avp(s:a)", "$avp(s:x)/gx");\n'
                  'avp_copy("$avp(s:a)", "$avp(s:x)/ns");')
    assert [e[:2] for e in errs] == [(4, 1), (5, 1), (6, 1)]
    assert "expected $avp(name)" in errs[0][2]
    assert "bad flag <x>" in errs[1][2]
    assert "exclude each other" in errs[2][2]


# -- avp_pushto ---------------------------------------------------------------

def test_pushto_ruri_and_parts():
    m = run('$avp(s:u) = "carol"; $avp(s:d) = "biloxi.com";\n'
            + rc('avp_pushto("$ru/username", "$avp(s:u)")', "a")
            + rc('avp_pushto("$ru/domain", "$avp(s:d)")', "b"))
    assert m.new_uri == "sip:carol@biloxi.com;transport=udp"
    assert (state.vars["a"], state.vars["b"]) == (1, 1)
    m = run('$avp(i:3) = "sip:x@y.org";\navp_pushto("$ruri", "$avp(i:3)");')
    assert m.new_uri == "sip:x@y.org"


def test_pushto_all_values_makes_branches():
    m = run('$avp(s:d) = "c.net"; $avp(s:d) = "b.net"; $avp(s:d) = "a.net";\n'
            + rc('avp_pushto("$ru/domain", "$avp(s:d)/g")'))
    assert state.vars["r"] == 1
    assert m.new_uri == "sip:bob@c.net;transport=udp"
    assert [b.uri for b in dset.get_branches()] == [
        "sip:bob@a.net;transport=udp", "sip:bob@b.net;transport=udp"]


def test_pushto_du_br_and_pv_source():
    m = run('$avp(s:next) = "sip:proxy.example.net:5070";\n'
            + rc('avp_pushto("$du", "$avp(s:next)")', "a")
            + rc('avp_pushto("$br", "$fu")', "b")
            + rc('avp_pushto("$ru/username", "$fU")', "c"))
    assert m.dst_uri == "sip:proxy.example.net:5070"
    assert [b.uri for b in dset.get_branches()] == ["sip:alice@atlanta.com"]
    assert m.new_uri == "sip:alice@example.com;transport=udp"
    assert [state.vars[k] for k in "abc"] == [1, 1, 1]


def test_pushto_failures():
    m = run('$avp(i:4) = 10;\n'
            + rc('avp_pushto("$du", "$avp(i:4)")', "a")
            + rc('avp_pushto("$ru", "$avp(s:missing)")', "b")
            + rc('avp_pushto("$br", "$hdr(X-None)")', "c")
            + rc('avp_pushto("$ru/username", "$avp(i:4)")', "d"))
    assert [state.vars[k] for k in "abcd"] == [-1, -1, -1, 1]
    assert m.dst_uri is None
    assert m.new_uri == "sip:10@example.com;transport=udp"


def test_pushto_fixup_errors():
    errs = errors('avp_pushto("$hdr(X-Foo)", "$avp(i:1)");\n'
                  'avp_pushto("$fu", "$avp(i:1)");\n'
                  'avp_pushto("$ru/port", "$avp(i:1)");\n'
                  'avp_pushto("$du/x", "$avp(i:1)");\n'
                  'avp_pushto("ru", "$avp(i:1)");\n'
                  'avp_pushto("$ru", "$avp(i:1)/d");')
    assert [e[0] for e in errs] == [4, 5, 6, 7, 8, 9]
    assert "push to header is obsoleted - use append_hf()" in errs[0][2]
    assert "unsupported destination '$fu'" in errs[1][2]
    assert "unknown ruri flag 'port'" in errs[2][2]
    assert "unknown $du flag 'x'" in errs[3][2]
    assert "expected a $pseudo-variable" in errs[4][2]
    assert "bad flag <d>" in errs[5][2]


# -- avp_check ----------------------------------------------------------------

@pytest.mark.parametrize("src, op_value, expected", [
    ("$avp(i:1)", "eq/i:7", 1), ("$avp(i:1)", "eq/i:5", -1),
    ("$avp(i:1)", "eq/i:5/g", 1), ("$avp(i:1)", "ne/i:7", -1),
    ("$avp(i:1)", "lt/i:8", 1), ("$avp(i:1)", "le/i:7", 1),
    ("$avp(i:1)", "gt/i:7", -1), ("$avp(i:1)", "ge/i:0x7", 1),
    ("$avp(i:1)", "lt/i:-1", -1), ("$avp(i:1)", "and/i:2", 1),
    ("$avp(i:1)", "and/i:8", -1), ("$avp(i:1)", "or/i:0", 1),
    ("$avp(i:1)", "xor/i:7", -1), ("$avp(i:1)", "eq/s:7", -1),
    ("$avp(s:n)", "eq/Alice", 1), ("$avp(s:n)", "eq/alice", -1),
    ("$avp(s:n)", "eq/alice/i", 1), ("$avp(s:n)", "ne/alice/I", -1),
    ("$avp(s:n)", "ne/s:Bob", 1), ("$avp(s:n)", "lt/bob", 1),
    ("$avp(s:n)", "gt/ALIC", 1), ("$avp(s:n)", "le/ALICE", 1),
    ("$avp(s:n)", "ge/b", -1), ("$avp(s:n)", "re/^al.*e$", 1),
    ("$avp(s:n)", "re/^bo", -1), ("$avp(s:n)", "fm/A*e", 1),
    ("$avp(s:n)", "fm/a*", -1), ("$avp(s:n)", "fm/$avp(s:pat)", 1),
    ("$avp(s:n)", "and/i:1", -1), ("$avp(s:n)", "eq/$avp(s:other)", 1),
    ("$fd", "eq/$td", -1), ("$fd", "eq/atlanta.com", 1),
    ("$td", "eq/example.com/i", 1), ("$cs", "eq/7", 1),
    ("$avp(s:missing)", "eq/x", -1), ("$avp(s:n)", "eq/$avp(s:missing)", -1),
    ("$hdr(X-None)", "eq/x", -1),
])
def test_check(src, op_value, expected):
    run('$avp(i:1) = 5; $avp(i:1) = 7;\n'
        '$avp(s:n) = "Alice"; $avp(s:pat) = "A?i*";\n'
        '$avp(s:other) = "Alice"; $avp(s:other) = "Zed";\n'
        + rc('avp_check("%s", "%s")' % (src, op_value)))
    assert state.vars["r"] == expected


def test_check_operand_pv_and_dynamic_avp():
    run('$var(lim) = 6; $avp(i:1) = 9; $var(nm) = "v"; $avp(s:v) = 9;\n'
        + rc('avp_check("$avp(i:1)", "gt/$var(lim)")', "a")
        + rc('avp_check("$avp($var(nm))", "eq/$avp(i:1)")', "b"))
    assert (state.vars["a"], state.vars["b"]) == (1, 1)


def test_check_fixup_errors():
    errs = errors('avp_check("$avp(i:1)", "xx/i:1");\n'
                  'avp_check("$avp(i:1)", "eq");\n'
                  'avp_check("$avp(i:1)", "re/$avp(s:x)");\n'
                  'avp_check("$avp(s:1)", "re/a(b");\n'
                  'avp_check("$avp(i:1)", "eq/i:1/z");\n'
                  'avp_check("$avp(i:1)", "eq/i:abc");\n'
                  'avp_check("$avp(i:1)", "fm/i:1");\n'
                  'avp_check("text", "eq/i:1");')
    assert [e[0] for e in errs] == [4, 5, 6, 7, 8, 9, 10, 11]
    messages = [e[2] for e in errs]
    for i, text in enumerate(["unknown operation <xx>",
                              "expected operator/value",
                              "regexp operation requires a constant string",
                              "bad regular expression", "bad flag <z>",
                              "'abc' is not an integer",
                              "fast_match operation requires",
                              "expected a $pseudo-variable"]):
        assert text in messages[i], (text, messages[i])


# -- avp_op -------------------------------------------------------------------

@pytest.mark.parametrize("op_value, expected", [
    ("add/i:3", [10]), ("sub/i:10", [-3]), ("mul/i:-2", [-14]),
    ("div/i:2", [3]), ("div/i:-2", [-3]), ("mod/i:4", [3]),
    ("div/i:0", [0]), ("mod/i:0", [0]), ("and/i:6", [6]), ("or/i:8", [15]),
    ("xor/i:0xf", [8]), ("not/i:0", [-1]), ("add/$var(three)", [10]),
    ("sub/$avp(s:ops)", [5, 6]),
])
def test_op(op_value, expected):
    run('$var(three) = 3; $avp(s:ops) = 2; $avp(s:ops) = "x";'
        '$avp(s:ops) = 1;\n$avp(i:1) = 7;\n'
        + rc('avp_op("$avp(i:1)/$avp(s:res)", "%s")' % op_value))
    assert state.vars["r"] == 1
    assert vals("res") == expected
    assert vals(1) == [7]


def test_op_in_place_all_and_delete():
    run('$avp(i:1) = 1; $avp(i:1) = "skip"; $avp(i:1) = 10;\n'
        + rc('avp_op("$avp(i:1)", "mul/i:2")', "a"))
    assert vals(1) == [20, 10, "skip", 1]
    run('$avp(i:1) = 1; $avp(i:1) = "skip"; $avp(i:1) = 10;\n'
        + rc('avp_op("$avp(i:1)", "add/i:100/gd")', "a"))
    assert vals(1) == [101, 110, "skip"]
    run('$avp(i:1) = 4; $avp(i:1) = 3;\n'
        + rc('avp_op("$avp(i:1)/$avp(s:neg)", "sub/i:1/d")', "a"))
    assert vals("neg") == [2] and vals(1) == [4]


def test_op_failures():
    run('$avp(s:str) = "12"; $var(s) = "abc";\n$avp(i:1) = 3;\n'
        + rc('avp_op("$avp(s:str)", "add/i:1")', "a")
        + rc('avp_op("$avp(s:none)", "add/i:1")', "b")
        + rc('avp_op("$avp(i:1)", "add/$var(s)")', "c")
        + rc('avp_op("$avp(i:1)", "add/$avp(s:str)")', "d")
        + rc('avp_op("$avp(s:none)/$avp(s:res)", "not/i:5")', "e"))
    assert [state.vars[k] for k in "abcde"] == [-1, -1, -1, -1, 1]
    assert vals(1) == [3] and vals("res") == [-6]


def test_op_fixup_errors():
    errs = errors('avp_op("$avp(i:1)", "pow/i:2");\n'
                  'avp_op("$avp(i:1)", "add/text");\n'
                  'avp_op("$avp(i:1)", "add/i:1/i");\n'
                  'avp_op("$ru", "add/i:1");\n'
                  'avp_op("$avp(i:1)/$fu", "add/i:1");')
    assert [e[0] for e in errs] == [4, 5, 6, 7, 8]
    assert "unknown operation <pow>" in errs[0][2]
    assert "requires an integer value" in errs[1][2]
    assert "bad flag <i>" in errs[2][2]
    assert "expected $avp(name)" in errs[3][2]
    assert "bad destination AVP '$fu'" in errs[4][2]


# -- avp_subst ----------------------------------------------------------------

def test_subst_replaces_in_place_with_groups_and_pvs():
    run('$avp(i:678) = "john@old.net";\n'
        + rc(r'avp_subst("$avp(i:678)", "/(.*)@(.*)/\1@$rd/")'))
    assert state.vars["r"] == 1
    assert vals(678) == ["john@example.com"]


def test_subst_to_destination_all_and_delete():
    run('$avp(s:e) = "x@a.org"; $avp(s:e) = 5; $avp(s:e) = "nomatch";'
        '$avp(s:e) = "y@b.org";\n'
        + rc(r'avp_subst("$avp(s:e)/$avp(s:out)/g", "/@.*$/@\$host\u/")'))
    assert vals("out") == ["x@$hostsip:bob@example.com;transport=udp",
                           "y@$hostsip:bob@example.com;transport=udp"]
    assert vals("e") == ["y@b.org", "nomatch", 5, "x@a.org"]
    run('$avp(s:e) = "x@a.org"; $avp(s:e) = "y@b.org";\n'
        + rc('avp_subst("$avp(s:e)/$avp(s:out)/d", "/[a-z]/Z/g")'))
    assert vals("out") == ["Z@Z.ZZZ"] and vals("e") == ["x@a.org"]
    run('$avp(s:e) = "x@a.org"; $avp(s:e) = "y@b.org";\n'
        + rc('avp_subst("$avp(s:e)/g", "/O/0/gi")'))
    assert vals("e") == ["x@a.0rg", "y@b.0rg"]


def test_subst_no_match_and_missing():
    run('$avp(s:e) = "abc"; $avp(i:2) = 3;\n'
        + rc('avp_subst("$avp(s:e)", "/z/y/")', "a")
        + rc('avp_subst("$avp(s:none)", "/a/b/")', "b")
        + rc('avp_subst("$avp(i:2)", "/3/4/")', "c")
        + rc('avp_subst("$avp(s:e)", "/^/x/")', "d"))
    assert [state.vars[k] for k in "abcd"] == [-1, -1, -1, -1]
    assert vals("e") == ["abc"]


def test_subst_expression_details():
    se = avpops_subst.parse_subst(r"#(a)\#b#[\1|\n\t\\\#\u]#g")
    assert se.regex.search("xa#b") and se.replace_all
    assert se.pieces == ("[", 1, "|\n\t\\#", avpops_subst.RURI, "]")
    with pytest.raises(avpops_subst.SubstError, match="too short"):
        avpops_subst.parse_subst("/a")
    with pytest.raises(avpops_subst.SubstError, match="invalid separator"):
        avpops_subst.parse_subst(r"\a\b\\")
    with pytest.raises(avpops_subst.SubstError, match="missing separator"):
        avpops_subst.parse_subst("/a/b")
    with pytest.raises(avpops_subst.SubstError, match="unknown flag 'x'"):
        avpops_subst.parse_subst("/a/b/x")


def test_subst_fixup_errors():
    errs = errors('avp_subst("$avp(s:a)", "/a(/b/");\n'
                  'avp_subst("$avp(s:a)", "/a/$nopv/");\n'
                  'avp_subst("$avp(s:a)/q", "/a/b/");\n'
                  'avp_subst("$ru", "/a/b/");')
    assert [e[0] for e in errs] == [4, 5, 6, 7]
    assert "bad subst re: bad regular expression" in errs[0][2]
    assert "bad pseudo-variable in replacement" in errs[1][2]
    assert "bad flag <q>" in errs[2][2]
    assert "expected $avp(name)" in errs[3][2]


# -- is_avp_set ---------------------------------------------------------------

@pytest.mark.parametrize("arg, expected", [
    ("$avp(s:x)", 1), ("$avp(s:nope)", -1), ("$avp(s:x)/s", 1),
    ("$avp(s:x)/n", -1), ("$avp(i:2)/n", 1), ("$avp(i:2)/e", -1),
    ("$avp(s:empty)/e", 1), ("$avp(s:empty)/es", 1), ("$avp(i:0x)/e", -1),
    ("$avp(i:3)/ne", 1), ("$(avp(i:2)[1])/e", 1), ("$(avp(i:2)[2])", 1),
    ("$(avp(i:2)[3])", -1), ("$(avp(i:2)[-1])/e", -1),
    ("$(avp(i:2)[*])", 1),
])
def test_is_avp_set(arg, expected):
    arg = arg.replace("i:0x", "i:99")
    run('$avp(s:x) = "v"; $avp(s:empty) = ""; $avp(i:3) = 0;\n'
        '$avp(i:2) = "s"; $avp(i:2) = 0; $avp(i:2) = 5;\n'
        + rc('is_avp_set("%s")' % arg))
    assert state.vars["r"] == expected


def test_is_avp_set_fixup_errors():
    errs = errors('is_avp_set("$avp(s:a)/x");\nis_avp_set("$avp(s:a)/ns");\n'
                  'is_avp_set("$var(a)");')
    assert [e[0] for e in errs] == [4, 5, 6]
    assert "bad flag <x>" in errs[0][2]
    assert "invalid flag combination" in errs[1][2]
    assert "expected $avp(name)" in errs[2][2]


# -- avp_print ----------------------------------------------------------------

def test_avp_print_logs_every_avp(tmp_path):
    path = str(tmp_path / "log")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    s = dprint.state
    saved = (s.fd, s.stderr, s.color, s.debug)
    s.fd, s.stderr, s.color, s.debug = fd, True, False, dprint.L_INFO
    try:
        run('$avp(i:5) = 42; $avp(s2:who) = "al";\n' + rc("avp_print()"))
    finally:
        s.fd, s.stderr, s.color, s.debug = saved
        os.close(fd)
    with open(path) as f:
        text = f.read()
    lines = re.findall(r"INFO:avpops:ops_print_avp: (.*)", text)
    assert re.fullmatch(r"p=0x[0-9a-f]+, flags=0x0203", lines[0])
    assert lines[1:3] == ["\t\t\tname=<who>", "\t\t\tval_str=<al / 2>"]
    assert re.fullmatch(r"p=0x[0-9a-f]+, flags=0x0000", lines[3])
    assert lines[4:] == ["\t\t\tid=<5>", "\t\t\tval_int=<42>"]
    assert state.vars["r"] == 1


# -- module-level -------------------------------------------------------------

def test_db_functions_are_rejected_at_startup():
    errs = errors('avp_db_load("$fu", "$avp(i:678)");\n'
                  '  avp_db_query("select 1");\n'
                  'avp_db_query("select 1", "$avp(i:1)");\n'
                  'avp_db_store("$fu", "i");\navp_db_delete("$fu", "s");')
    assert [e[:2] for e in errs] == [(4, 1), (5, 3), (6, 1), (7, 1), (8, 1)]
    assert errs[0][2] == ("avp_db_load(): bad parameter: avp_db_load needs "
                          "the database layer, not built yet")
    assert all("needs the database layer, not built yet" in e[2]
               for e in errs)


def test_params_accepted_and_checked(monkeypatch):
    monkeypatch.setattr(avpops_fixups, "db_schemes", {})
    monkeypatch.setattr(avpops_fixups.cfg, "db_url", None)
    monkeypatch.setattr(avpops_fixups.cfg, "use_domain", 0)
    head = ('modparam("avpops", "avp_table", "usr_preferences")\n'
            'modparam("avpops", "use_domain", 1)\n'
            'modparam("avpops", "uuid_column", "id")\n'
            'modparam("avpops", "db_scheme", "s1:table=subscriber;'
            'uuid_col=uuid;value_col=first_name")\n'
            'modparam("avpops", "db_scheme", "s2 : value_type=integer")\n')
    assert errors("", head) == []
    assert avpops_fixups.cfg.use_domain == 1
    assert avpops_fixups.db_schemes["s1"]["table"] == "subscriber"
    assert avpops_fixups.db_schemes["s2"]["value_type"] == "integer"
    errs = errors("", 'modparam("avpops", "db_scheme", "s3:colour=red")\n'
                  'modparam("avpops", "db_scheme", "nocolon")\n'
                  'modparam("avpops", "use_domain", "yes")\n')
    assert [e[0] for e in errs] == [2, 3, 4]
    assert "unknown attribute <colour>" in errs[0][2]
    assert "missing scheme name" in errs[1][2]
    assert "takes an integer value" in errs[2][2]


def test_db_url_needs_avp_table(monkeypatch):
    monkeypatch.setattr(avpops_fixups.cfg, "db_url", None)
    monkeypatch.setattr(avpops_fixups.cfg, "avp_table", None)
    script = load_config("a.cfg", text='loadmodule "avpops.so"\n'
                         'modparam("avpops", "avp_url", "mysql://u:p@h/db")\n'
                         'route { avp_print(); }\n')
    assert avpops_fixups.cfg.db_url == "mysql://u:p@h/db"
    assert any("mod_init of module avpops failed" in e.message
               for e in script.errors)


def test_route_types():
    errs = errors("", 'error_route {\n avp_print();\n}\n'
                  'onreply_route[1] { avp_print(); }\n'
                  'failure_route[1] { avp_print(); }\n'
                  'branch_route[1] { avp_print(); }\n')
    assert len(errs) == 1 and errs[0][:2] == (3, 2)
    assert "cannot be used in error_route" in errs[0][2]
