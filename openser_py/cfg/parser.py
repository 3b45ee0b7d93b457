# ----------------------------------------------------------------------
# openser_py.cfg.parser: parse openser.cfg text into a Config AST
#
# Builds the PLY lexer and LALR parser once per process.  Table policy
# (ARCHITECTURE 5.4): tables come from the pre-generated module
# openser_py.cfg._parsetab (see build_tables.py); nothing is ever written
# at run time, and a missing or stale table module silently falls back to
# building the tables in memory.
# ----------------------------------------------------------------------
"""Front end of the configuration language: text -> :class:`ast.Config`.

Public API::

    parse_file(path) -> Config            # raises CfgParseError
    parse_string(text, filename) -> Config
    CfgParser().parse(text, filename) -> (Config | None, [CfgError])
    format_error(err, source=None) -> str  # "file:line:col: msg" + line + caret

Every syntax error the parser can recover from is collected (recovery
resynchronises at ';', '}', ')' and at the next top-level statement), so one
run reports all of them, sorted by position.
"""
import os

import ply.yacc

from openser_py.cfg import ast
from openser_py.cfg.grammar import CfgGrammar
from openser_py.cfg.lexer import CfgLexer, describe_token, token_name
from openser_py.core import errors

TABMODULE = "openser_py.cfg._parsetab"


class CfgError(errors.CfgError):
    """One configuration error at ``file:line:col``.

    A ``openser_py.core.errors.CfgError`` (so an ``OpenserError``) with a
    ``coord``; also used by later passes (core parameters, the checker).
    """

    def __init__(self, file, line, col, message):
        Exception.__init__(self, file, line, col, message)
        self.file = file
        self.line = line
        self.col = col
        self.message = message
        self.coord = ast.Coord(file, line, col)

    @classmethod
    def at(cls, coord, message):
        """Build an error from a node coord (``None`` -> unknown place)."""
        if coord is None:
            coord = ast.Coord("<unknown>", 0, 0)
        return cls(coord.file, coord.line, coord.col, message)

    def __str__(self):
        return "%s:%d:%d: %s" % (self.file, self.line, self.col, self.message)

    def __repr__(self):
        return "CfgError(%r, %d, %d, %r)" % (self.file, self.line, self.col,
                                             self.message)

    def __eq__(self, other):
        return (isinstance(other, CfgError)
                and self.args == other.args)

    def __hash__(self):
        return hash(self.args)


class CfgParseError(Exception):
    """Raised by parse_file/parse_string; ``errors`` lists every error."""

    def __init__(self, errors, source=None):
        Exception.__init__(self, errors)
        self.errors = list(errors)
        self.source = source

    def __str__(self):
        return format_errors(self.errors, self.source)


def _source_line(err, source):
    """Return line ``err.line`` of *source* (text) or of ``err.file``."""
    if source is None:
        try:
            with open(err.file, "rb") as f:
                source = f.read().decode("latin-1")
        except (OSError, TypeError):
            return None
    lines = source.split("\n")
    if 1 <= err.line <= len(lines):
        return lines[err.line - 1].rstrip("\r")
    return None


def format_error(err, source=None):
    """``file:line:col: message``, the source line and a caret line.

    *source* is the text that was parsed; without it the file named in the
    error is read (if it exists).  Tabs before the column are kept in the
    caret line so the caret lines up in a terminal.
    """
    text = str(err)
    line = _source_line(err, source)
    if line is None:
        return text
    pad = "".join("\t" if c == "\t" else " " for c in line[:max(err.col - 1, 0)])
    return "%s\n%s\n%s^" % (text, line, pad)


def format_errors(errors, source=None):
    return "\n".join(format_error(e, source) for e in errors)


def read_cfg_file(path):
    """Read a cfg file as text (latin-1: byte offsets == columns, as in C)."""
    with open(path, "rb") as f:
        return f.read().decode("latin-1")


def build_yacc(grammar, write_tables=False, outputdir=None, errorlog=None,
               tabmodule=TABMODULE):
    """Run ply.yacc for *grammar* with the table policy described above.

    PLY itself rebuilds when the table module is missing or its signature
    differs; a table module that cannot even be imported (corrupt file)
    is ignored the same way.
    """
    kwargs = dict(module=grammar, start="config", write_tables=write_tables,
                  outputdir=outputdir, debug=False, optimize=False,
                  errorlog=errorlog or ply.yacc.NullLogger())
    try:
        return ply.yacc.yacc(tabmodule=tabmodule, **kwargs)
    except (SyntaxError, AttributeError, TypeError, ValueError, KeyError):
        # unusable table module: build in memory (a name that never imports)
        return ply.yacc.yacc(tabmodule=TABMODULE + "_unavailable", **kwargs)


def expected_tokens(yacc):
    """Names of the terminals *yacc* could shift next, given its real stack.

    Called from p_error.  LALR tables list merged lookaheads in reduce
    states, so each candidate is checked by replaying its reductions on a
    copy of the state stack until it is shifted (kept) or rejected.
    """
    stack = list(getattr(yacc, "statestack", None) or ())
    if not stack:
        return []
    names = set()
    for tok in yacc.action.get(stack[-1], {}):
        if tok not in ("error", "$end") and _shiftable(yacc, stack, tok):
            names.add(token_name(tok))
    return sorted(names)


def _shiftable(yacc, stack, tok):
    stack = list(stack)
    while True:
        act = yacc.action.get(stack[-1], {}).get(tok)
        if act is None:
            return False
        if act >= 0:
            return True
        prod = yacc.productions[-act]
        if prod.len:
            del stack[-prod.len:]
        state = yacc.goto.get(stack[-1], {}).get(prod.name)
        if state is None:
            return False
        stack.append(state)


class CfgParser(object):
    """Reusable parser (building it costs the table load; keep one)."""

    def __init__(self):
        self._errors = []
        self.lexer = CfgLexer(self._lex_error)
        self.lexer.build()
        self.grammar = CfgGrammar()
        self.grammar.lexer = self.lexer
        self.grammar.error_func = self._node_error
        self.grammar.on_syntax_error = self._syntax_error
        self.yacc = self.grammar.yacc = build_yacc(self.grammar)

    def _lex_error(self, msg, line, col):
        self._errors.append(CfgError(self.lexer.filename, line, col, msg))

    def _node_error(self, msg, coord):
        self._errors.append(CfgError.at(coord, msg))

    def _syntax_error(self, tok):
        """PLY's p_error: "unexpected X[, expected A, B or C]"."""
        name = self.lexer.filename
        if tok is None:
            data = self.lexer.lexer.lexdata
            self._errors.append(CfgError(
                name, data.count("\n") + 1, len(data) - data.rfind("\n"),
                "syntax error, unexpected end of file"))
            return
        msg = "syntax error, unexpected %s" % describe_token(tok)
        expected = expected_tokens(self.yacc)
        if 0 < len(expected) <= 6:
            last = expected.pop()
            msg += ", expected %s" % (
                "%s or %s" % (", ".join(expected), last) if expected else last)
        self._errors.append(CfgError(name, tok.lineno,
                                     self.lexer.find_column(tok.lexpos), msg))

    def parse(self, text, filename="<string>"):
        """Parse *text*; return ``(config_or_None, errors)``, never raise
        for errors in the input."""
        self._errors = []
        self.lexer.input(text, filename)
        config = self.yacc.parse(lexer=self.lexer.lexer)
        errors = sorted(self._errors, key=lambda e: (e.line, e.col))
        if config is None and not errors:  # pragma: no cover - defensive
            errors.append(CfgError(filename, 1, 1, "cannot parse file"))
        return config, errors


_PARSER = None


def get_parser():
    """Process-wide CfgParser, built on first use."""
    global _PARSER
    if _PARSER is None:
        _PARSER = CfgParser()
    return _PARSER


def parse_string(text, filename="<string>"):
    """Parse cfg *text* and return its :class:`ast.Config`.

    Raises:
        CfgParseError: with every lexical/syntax error found.
    """
    config, errors = get_parser().parse(text, filename)
    if errors:
        raise CfgParseError(errors, text)
    return config


def parse_file(path):
    """Parse the cfg file at *path* (coords use *path* as given).

    Raises:
        CfgParseError: with every lexical/syntax error found.
        OSError: if the file cannot be read.
    """
    return parse_string(read_cfg_file(os.fspath(path)), os.fspath(path))
