# ----------------------------------------------------------------------
# openser_py.cfg.build_tables: generate the PLY table module at build time
#
#   python -m openser_py.cfg.build_tables [--outputdir DIR]
#
# writes DIR/_parsetab.py (default: this package's directory).  Run it
# from the build step (setup.py build_py / make tables); the run-time
# parser never writes files and rebuilds in memory if the module is
# missing or stale (see parser.py).
# ----------------------------------------------------------------------
"""Generate ``openser_py/cfg/_parsetab.py`` (the LALR tables)."""
import argparse
import os
import sys


from openser_py.cfg import parser
from openser_py.cfg.grammar import CfgGrammar


class _Log(object):
    """PLY logger that records warnings/errors (conflicts fail the build)."""

    def __init__(self):
        self.messages = []

    def warning(self, msg, *args):
        self.messages.append("WARNING: " + msg % args)

    error = critical = warning

    def info(self, msg, *args):
        pass

    debug = info


def build(outputdir=None):
    """Write the table module into *outputdir*; return its path.

    Raises SystemExit if PLY reports grammar conflicts or problems.
    """
    outputdir = outputdir or os.path.dirname(os.path.abspath(__file__))
    # hide any existing (possibly current) table module so PLY regenerates
    saved = sys.modules.get(parser.TABMODULE)
    sys.modules[parser.TABMODULE] = None
    log = _Log()
    try:
        parser.build_yacc(CfgGrammar(), write_tables=True,
                          outputdir=outputdir, errorlog=log)
    finally:
        if saved is not None:
            sys.modules[parser.TABMODULE] = saved
        else:
            sys.modules.pop(parser.TABMODULE, None)
    problems = [m for m in log.messages if "Generating" not in m]
    if problems:
        raise SystemExit("cfg grammar problems:\n" + "\n".join(problems))
    path = os.path.join(outputdir, parser.TABMODULE.rsplit(".", 1)[1] + ".py")
    if not os.path.exists(path):
        raise SystemExit("PLY did not write %s" % path)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--outputdir", help="directory for _parsetab.py "
                    "(default: the openser_py/cfg package directory)")
    args = ap.parse_args(argv)
    print(build(args.outputdir))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
