"""The openser.cfg front end: lexer, grammar, AST, printer.

    from openser_py.cfg import parse_file, parse_string, CfgError
    config = parse_file("/etc/openser/openser.cfg")   # -> ast.Config

Importing this package builds nothing; the PLY parser is built on the
first parse (from the pre-generated ``_parsetab`` module when current).
"""
from openser_py.cfg.parser import (  # noqa: F401
    CfgError, CfgParseError, CfgParser, format_error, format_errors,
    parse_file, parse_string)
