"""Error collection: every error of a file, exact line:col, formatting."""
import os

import pytest

from openser_py.cfg import (CfgError, CfgParseError, CfgParser, format_error,
                            parse_file, parse_string)

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "cfg")
BAD = os.path.join(DATA, "bad", "multi-errors.cfg")


@pytest.fixture(scope="module")
def parser():
    return CfgParser()


def errors_of(parser, text):
    config, errors = parser.parse(text, "e.cfg")
    return [(e.line, e.col, e.message) for e in errors]


def test_multi_error_file_reports_everything():
    with pytest.raises(CfgParseError) as info:
        parse_file(BAD)
    got = [(e.file, e.line, e.col, e.message) for e in info.value.errors]
    f = BAD
    assert got == [
        (f, 3, 12, "syntax error, unexpected number '5'"),
        (f, 5, 12, "syntax error, unexpected identifier 'sl', expected string"),
        (f, 7, 28, "syntax error, unexpected identifier 'timer', expected "
                   "'+', '-', number or string"),
        (f, 8, 28, "invalid octal number '09'"),
        (f, 9, 12, "invalid IPv4 address '300.1.1.1'"),
        (f, 14, 3, "syntax error, unexpected identifier 't_relay', expected ';'"),
        (f, 16, 12, "syntax error, unexpected ';'"),
        (f, 17, 15, "syntax error, unexpected '=~', expected '!=', '<', '<=', "
                    "'==', '>' or '>='"),
        (f, 18, 22, "syntax error, unexpected string 'Not Found', expected "
                    "')' or ','"),
        (f, 19, 43, "syntax error, unexpected '}', expected '(' or ';'"),
        (f, 24, 1, "failure_route needs a number: failure_route[N]"),
        (f, 25, 22, "syntax error, unexpected '}', expected ';'"),
        (f, 27, 14, "illegal character '@'"),
        (f, 28, 2, "syntax error, unexpected parameter name 'x'"),
    ]


def test_recovery_keeps_the_good_parts(parser):
    with open(BAD) as f:
        config, errors = parser.parse(f.read(), "m.cfg")
    assert len(errors) == 14
    kinds = [(type(i).__name__, getattr(i, "name", getattr(i, "kind", None)))
             for i in config.items]
    assert ("CoreParam", "fork") in kinds          # after the line-3 error
    assert ("LoadModule", None) in kinds           # "tm.so" after line 5
    assert ("Route", "error_route") in kinds
    route = [i for i in config.items if getattr(i, "kind", "") == "route"][0]
    names = [getattr(s, "name", None) for s in route.body]
    assert "lookup" in names                       # statements after errors


@pytest.mark.parametrize("text,expected", [
    ("route {\n\tif (uri==myself {\n\t\tx();\n\t}\n}\n",
     [(2, 18, "syntax error, unexpected '{', expected '&&', ')' or '||'")]),
    ("route {\n  f(1 2);\n  g(;\n  h();\n}",
     [(2, 7, "syntax error, unexpected number '2', expected ')', ',' or '.'"),
      (3, 5, "syntax error, unexpected ';'")]),
    ("route { xlog(\"a\") }",
     [(1, 19, "syntax error, unexpected '}', expected ';'")]),
    ("route {\n  if (a) { b(); }\n",
     [(3, 1, "syntax error, unexpected end of file")]),
    ("route { exit; }}\nroute[1] { exit; }",
     [(1, 16, "syntax error, unexpected '}'")]),
    ("debug=\nfork=no\nchildren=4 5\nport=1",
     [(2, 1, "syntax error, unexpected parameter name 'fork'"),
      (3, 12, "syntax error, unexpected number '5'")]),
    ("route { switch ($x) { case 1 exit; } }",
     [(1, 30, "syntax error, unexpected 'exit', expected ':'")]),
    ("route { $x == 1; }", [(1, 12, "syntax error, unexpected '=='")]),
    ("route { x(); }\nonreply_route[1] { if (src_ip==1.2.3.4/33) drop; }",
     [(2, 40, "invalid bit number in netmask")]),
    ('route { xlog("unterminated); }\n', [(1, 14, "unterminated string")]),
    ("/* open comment\nroute { }", [(1, 1, "unterminated comment (1 open)")]),
    ("route { $var(x = 1; }", [(1, 9, "unterminated pseudo-variable")]),
])
def test_error_positions(parser, text, expected):
    assert errors_of(parser, text)[:len(expected)] == expected


def test_nearby_errors_are_not_cascaded(parser):
    # PLY waits for three good tokens before reporting again
    assert len(errors_of(parser, "route { a(b c d e f); }")) == 1


def test_errors_sorted_by_position(parser):
    errs = errors_of(parser, "route {\n x(); @ \n y(1 2);\n z(); ` }")
    assert errs == sorted(errs)
    assert [e[:2] for e in errs] == [(2, 7), (3, 6), (4, 7)]


def test_format_error_with_caret_and_tabs():
    text = "route {\n\t\tif (method = \"X\") exit;\n}\n"
    with pytest.raises(CfgParseError) as info:
        parse_string(text, "f.cfg")
    err = info.value.errors[0]
    assert (err.line, err.col) == (2, 14)
    assert format_error(err, text) == (
        "f.cfg:2:14: syntax error, unexpected '='\n"
        "\t\tif (method = \"X\") exit;\n"
        "\t\t           ^")
    assert str(info.value) == format_error(err, text)


def test_format_error_reads_the_file(tmp_path):
    path = tmp_path / "x.cfg"
    path.write_text("debug=3\nroute { exit }\n")
    with pytest.raises(CfgParseError) as info:
        parse_file(str(path))
    err = info.value.errors[0]
    assert err.file == str(path)
    assert format_error(err).splitlines() == [
        "%s:2:14: syntax error, unexpected '}', expected '(' or ';'" % path,
        "route { exit }",
        "             ^"]


def test_format_error_without_source():
    err = CfgError("/nonexistent/openser.cfg", 3, 4, "boom")
    assert format_error(err) == "/nonexistent/openser.cfg:3:4: boom"


def test_cfg_error_api():
    err = CfgError("a.cfg", 1, 2, "msg")
    assert str(err) == "a.cfg:1:2: msg"
    assert err.coord == ("a.cfg", 1, 2)
    assert err == CfgError("a.cfg", 1, 2, "msg")
    assert len({err, CfgError("a.cfg", 1, 2, "msg")}) == 1
    from openser_py.core import errors
    assert isinstance(err, errors.CfgError)
    assert isinstance(err, errors.OpenserError)
    from openser_py.cfg.ast import Coord
    assert CfgError.at(Coord("b.cfg", 4, 5), "m").args == ("b.cfg", 4, 5, "m")
    assert CfgError.at(None, "m").line == 0


def test_parse_file_missing():
    with pytest.raises(OSError):
        parse_file("/nonexistent/openser.cfg")


def test_parser_is_reusable_after_errors(parser):
    assert errors_of(parser, "route { ( }")
    config, errors = parser.parse("route { exit; }", "ok.cfg")
    assert errors == [] and config.items[0].coord.file == "ok.cfg"


def test_obsolete_ser_forms_are_errors(parser):
    # 1.3 has no include_file / preprocessor / named routes
    assert errors_of(parser, 'include_file "x.cfg"')
    assert errors_of(parser, "route[NAME] { }")
    assert errors_of(parser, "request_route { }")
