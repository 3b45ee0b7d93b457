"""Validate one module (what ``make`` in a module's folder runs).

Byte-compiles the module's files, loads it the way ``loadmodule`` does and
checks its exports table: names, arities, route-type flags, parameter types,
documentation.  Prints one line per problem and exits 1 if there is any.
"""
import compileall
import os
import sys

from openser_py.core.exports import (ALL_ROUTES, INT_PARAM, STR_PARAM,
                                     USE_FUNC_PARAM, param_type)
from openser_py.core.sr_module import ModuleLoadError, ModuleRegistry


def check_exports(exports):
    """Return a list of problems found in a ModuleExports object."""
    problems = []
    seen = set()
    for cmd in exports.cmds:
        key = (cmd.name, cmd.param_no)
        if key in seen:
            problems.append("function %s/%d exported twice" % key)
        seen.add(key)
        if not callable(cmd.function):
            problems.append("function %s: not callable" % cmd.name)
        if cmd.param_no < 0 or cmd.param_no > 6:
            problems.append("function %s: bad parameter count %d"
                            % (cmd.name, cmd.param_no))
        if cmd.flags & ~ALL_ROUTES:
            problems.append("function %s: unknown route-type flags %#x"
                            % (cmd.name, cmd.flags))
        if cmd.flags and not cmd.doc:
            problems.append("function %s: no doc" % cmd.name)
    for p in exports.params:
        if param_type(p.type) not in (STR_PARAM, INT_PARAM):
            problems.append("param %s: type must be STR_PARAM or INT_PARAM"
                            % p.name)
        if p.type & USE_FUNC_PARAM:
            if not callable(p.target):
                problems.append("param %s: USE_FUNC_PARAM target is not "
                                "callable" % p.name)
        elif not hasattr(p.target, p.name):
            problems.append("param %s: target has no attribute %s"
                            % (p.name, p.name))
        if not p.doc:
            problems.append("param %s: no doc" % p.name)
    for m in exports.mi_cmds:
        if not callable(m.handler):
            problems.append("MI command %s: handler not callable" % m.name)
    return problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: python -m openser_py.tools.modcheck "
                         "MODULE|MODULE_DIR\n")
        return 2
    builtin_dir = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "modules")
    arg = argv[0].rstrip("/")
    name = os.path.basename(arg)
    if os.path.isdir(arg):
        pkg_dir = os.path.abspath(arg)
    else:
        pkg_dir = os.path.join(builtin_dir, name)
    # a module outside openser_py/modules loads as a third-party one
    mpath = None if os.path.dirname(pkg_dir) == builtin_dir \
        else os.path.dirname(pkg_dir) + "/"
    if os.path.isdir(pkg_dir):
        if not compileall.compile_dir(pkg_dir, quiet=1):
            print("%s: byte-compilation failed" % name)
            return 1
    try:
        mod = ModuleRegistry().load(name, mpath)
    except ModuleLoadError as exc:
        print("%s: %s" % (name, exc))
        return 1
    problems = check_exports(mod.exports)
    for line in problems:
        print("%s: %s" % (name, line))
    if not problems:
        e = mod.exports
        print("%s: ok (%d functions, %d params, %d stats, %d MI commands)"
              % (name, len(e.cmds), len(e.params), len(e.stats),
                 len(e.mi_cmds)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
