"""Module loader and registry (OpenSER ``sr_module.c`` + ``modparam.c``).

``loadmodule`` accepts every spelling 1.3 configs use -- ``"tm.so"``,
``"tm/tm.so"``, ``"modules/tm/tm.so"``, an absolute ``.so`` path, or just
``"tm"``.  Resolution, first match wins:

1. a Python module at the place the path names (relative paths are taken
   relative to ``mpath``): a package directory ``<dir>/<name>/`` with
   ``__init__.py`` or a file ``<dir>/<name>.py`` -- third-party modules;
2. the built-in package ``openser_py.modules.<name>``.

A module excluded by ``exclude_modules`` in Makefile.defs (and not brought
back by ``include_modules``) cannot be loaded.

All loading happens in the master before fork; children inherit the
registry.
"""
import importlib
import importlib.util
import os
import re
import sys

from openser_py import buildcfg
from openser_py.core.posix_re import PosixReError, compile_ere
from openser_py.core.exports import (
    INT_PARAM, STR_PARAM, USE_FUNC_PARAM, ModuleExports, param_type)


class ModuleLoadError(Exception):
    """``loadmodule`` failed (message says why)."""


class LoadedModule:
    """One loaded module: its exports, the Python module, where it came from."""
    __slots__ = ("name", "exports", "pymod", "origin")

    def __init__(self, name, exports, pymod, origin):
        self.name = name
        self.exports = exports
        self.pymod = pymod
        self.origin = origin

    def __repr__(self):
        return "<module %s from %s>" % (self.name, self.origin)


class ModuleRegistry:
    """The ordered set of loaded modules and lookups over their exports."""

    def __init__(self):
        self.modules = []
        self._by_name = {}
        self._cmds = {}

    # -- loading ----------------------------------------------------------
    def load(self, path, mpath=None):
        """``loadmodule path``: resolve, import, validate and register.

        Loading the same module twice is a no-op (OpenSER warns and skips).
        Returns the :class:`LoadedModule`; raises :class:`ModuleLoadError`.
        """
        name = module_name_from_path(path)
        if not name:
            raise ModuleLoadError("invalid module path %r" % path)
        if name in self._by_name:
            return self._by_name[name]
        if not buildcfg.module_allowed(name):
            raise ModuleLoadError(
                "module %s is excluded from this build (exclude_modules in "
                "Makefile.defs)" % name)
        pymod, origin = _import_module(path, name, mpath)
        exports = getattr(pymod, "exports", None)
        if not isinstance(exports, ModuleExports):
            raise ModuleLoadError("%s: no 'exports' (ModuleExports) found in "
                                  "module %s" % (origin, name))
        if exports.name != name:
            raise ModuleLoadError("%s: exports.name is %r, expected %r"
                                  % (origin, exports.name, name))
        _reset_params(exports)
        mod = LoadedModule(name, exports, pymod, origin)
        self.modules.append(mod)
        self._by_name[name] = mod
        for cmd in exports.cmds:
            self._cmds.setdefault(cmd.name, []).append((mod, cmd))
        return mod

    def get(self, name):
        """The loaded module *name* or None."""
        return self._by_name.get(name)

    # -- script functions -------------------------------------------------
    def find_cmds(self, name):
        """All ``(module, CmdExport)`` pairs exporting *name* (any arity)."""
        return self._cmds.get(name, [])

    def find_cmd(self, name, nargs):
        """The ``(module, CmdExport)`` for *name* with *nargs* params, or None."""
        for mod, cmd in self._cmds.get(name, ()):
            if cmd.param_no == nargs:
                return mod, cmd
        return None

    # -- modparam ---------------------------------------------------------
    def set_mod_param_regex(self, regex, pname, value):
        """``modparam(regex, pname, value)``; return an error text or None.

        *regex* is an extended regex matched case-insensitively and anchored
        (``^(regex)$``) against every loaded module's name.  *value* is a str
        (STR_PARAM) or an int (INT_PARAM); a module may export the same name
        with both types.
        """
        try:
            rx = compile_ere("^(%s)$" % regex, icase=True)
        except PosixReError as exc:
            return "bad module name regex %r: %s" % (regex, exc)
        vtype = INT_PARAM if isinstance(value, int) else STR_PARAM
        matched = False
        for mod in self.modules:
            if not rx.match(mod.name):
                continue
            matched = True
            err = _set_param(mod, pname, vtype, value)
            if err:
                return err
        if not matched:
            return ("no module matching %r is loaded (modparam must follow "
                    "its loadmodule)" % regex)
        return None

    # -- lifecycle --------------------------------------------------------
    def init_modules(self):
        """Run every ``mod_init`` in load order; raise on the first failure."""
        for mod in self.modules:
            init = mod.exports.mod_init
            if init is None:
                continue
            rc = init()
            if rc not in (None, 0):
                raise ModuleLoadError("mod_init of module %s failed (%r)"
                                      % (mod.name, rc))

    def init_child(self, rank):
        """Run every ``child_init(rank)``; raise on the first failure."""
        for mod in self.modules:
            init = mod.exports.child_init
            if init is None:
                continue
            rc = init(rank)
            if rc not in (None, 0):
                raise ModuleLoadError("child_init(%d) of module %s failed (%r)"
                                      % (rank, mod.name, rc))

    def destroy_modules(self):
        """Run every ``destroy_f`` (reverse load order); errors are ignored."""
        for mod in reversed(self.modules):
            destroy = mod.exports.destroy_f
            if destroy is not None:
                try:
                    destroy()
                except Exception:  # noqa: BLE001 - shutdown must go on
                    pass

    def load_module_api(self, name):
        """Return ``exports.api`` of a loaded module (bind_<mod>), or None."""
        mod = self._by_name.get(name)
        return mod.exports.api if mod else None


_defaults = {}     # id(target), name -> the value before any modparam


def _reset_params(exports):
    """Give a module's parameters their defaults back.

    Parameter values live on the module's own objects, so a second config
    loaded in the same process (tests, tools, a future reload) would
    otherwise inherit the first one's modparams.  The first load records
    the defaults; every later load restores them.
    """
    for p in exports.params:
        if p.type & USE_FUNC_PARAM:
            continue
        key = (id(p.target), p.name)
        if key not in _defaults:
            _defaults[key] = getattr(p.target, p.name, None)
        else:
            setattr(p.target, p.name, _defaults[key])


def _set_param(mod, pname, vtype, value):
    candidates = [p for p in mod.exports.params if p.name == pname]
    if not candidates:
        return "parameter <%s> not found in module <%s>" % (pname, mod.name)
    for p in candidates:
        if param_type(p.type) != vtype:
            continue
        if p.type & USE_FUNC_PARAM:
            try:
                rc = p.target(vtype, value)
            except Exception as exc:  # noqa: BLE001 - report as cfg error
                return ("module <%s> rejected parameter <%s>: %s"
                        % (mod.name, pname, exc))
            if rc is not None and rc < 0:
                return ("module <%s> rejected value %r for parameter <%s>"
                        % (mod.name, value, pname))
        else:
            setattr(p.target, p.name, value)
        return None
    want = "an integer" if param_type(candidates[0].type) == INT_PARAM else "a string"
    return ("parameter <%s> of module <%s> takes %s value, got %r"
            % (pname, mod.name, want, value))


_SO_RE = re.compile(r"\.so$")


def module_name_from_path(path):
    """``"modules/tm/tm.so"`` -> ``"tm"``; ``"analog.py"`` -> ``"analog"``."""
    base = os.path.basename(path.rstrip("/"))
    base = _SO_RE.sub("", base)
    if base.endswith(".py"):
        base = base[:-3]
    return base if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", base) else ""


def _candidate_dirs(path, mpath):
    """Directories where a third-party module named by *path* may live."""
    dirs = []
    if os.path.isabs(path):
        full = path
    elif mpath:
        full = os.path.join(mpath, path)
    else:
        full = path
    parent = os.path.dirname(full)
    if parent:
        dirs.append(parent)
        # "analog/analog.so": the package dir is the parent itself
        dirs.append(os.path.dirname(parent))
    elif mpath:
        dirs.append(mpath)
    else:
        dirs.append(os.getcwd())
    return [d for d in dirs if d]


def _import_module(path, name, mpath):
    """Import the module's Python code; return ``(pymod, origin)``."""
    for d in _candidate_dirs(path, mpath):
        pkg_init = os.path.join(d, name, "__init__.py")
        single = os.path.join(d, name + ".py")
        for target in (pkg_init, single):
            if os.path.isfile(target):
                return _import_file(name, target), target
    try:
        pymod = importlib.import_module("openser_py.modules." + name)
    except ModuleNotFoundError as exc:
        if exc.name in ("openser_py.modules." + name,):
            raise ModuleLoadError(
                "could not find module <%s> (loadmodule %r; mpath %r)"
                % (name, path, mpath)) from None
        raise ModuleLoadError("module %s: import failed: %s" % (name, exc)) \
            from exc
    except Exception as exc:
        raise ModuleLoadError("module %s: import failed: %s: %s"
                              % (name, type(exc).__name__, exc)) from exc
    if getattr(pymod, "__file__", None) is None:   # a bare directory
        raise ModuleLoadError("could not find module <%s> (loadmodule %r; "
                              "mpath %r)" % (name, path, mpath))
    return pymod, pymod.__file__


def _import_file(name, target):
    modname = "openser_ext_" + name
    if modname in sys.modules:
        return sys.modules[modname]
    is_pkg = target.endswith("__init__.py")
    spec = importlib.util.spec_from_file_location(
        modname, target,
        submodule_search_locations=[os.path.dirname(target)] if is_pkg else None)
    pymod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = pymod
    try:
        spec.loader.exec_module(pymod)
    except Exception as exc:
        del sys.modules[modname]
        raise ModuleLoadError("module %s (%s): import failed: %s: %s"
                              % (name, target, type(exc).__name__, exc)) from exc
    return pymod


_current = None


def set_current_registry(registry):
    """Make *registry* the one :func:`load_module_api` answers from."""
    global _current
    _current = registry


def current_registry():
    """The registry of the running server (or the config being checked)."""
    return _current


def load_module_api(name):
    """``load_<mod>_api``: the ``api`` object of loaded module *name*, or None."""
    return _current.load_module_api(name) if _current is not None else None
