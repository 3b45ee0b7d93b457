"""Validating a new configuration for a reload (master side).

:func:`validate` runs **in a forked child of the master** -- so that the
check's side effects (module registry, pseudo-variable and statistic
registration, global socket list ...) never touch the running master --
and returns a :class:`CheckResult` through a pipe:

1. the same checks as ``openser -c`` (:func:`cfgload.load_config` with
   ``check=True``: syntax, core parameters, every ``loadmodule`` and
   ``modparam``, listen sockets, fixups, route-type compatibility); every
   error is kept as ``file:line:col: message``;
2. then what a running server cannot change (:func:`restart_items`):
   added or removed ``loadmodule`` lines, changed ``modparam`` values,
   changed core parameters (``listen``, ``children``, ``debug`` ...) and
   TLS domain blocks.  Any of them refuses the reload: the operator is
   told these need a restart (policy documented in doc/operations.md);
3. before both, the routes are compiled exactly as a worker will compile
   them -- with the *running* module registry (:func:`worker_compile`) --
   with shm allocation switched off: a function whose fixup would create
   shared state after the fork (``save("new_table")`` registering a new
   usrloc table, ...) would give every worker its own private copy, so
   its call site is reported as needing a restart.

Only the routing script (every ``route``/``*_route`` block) may change.
"""
import hashlib
import json
import os
import select
import signal
import time

from openser_py.cfg import ast

__all__ = ["CheckResult", "validate", "restart_items", "source_hash"]

CHECK_TIMEOUT = 30.0          # seconds the master waits for the checker


class CheckResult:
    """``errors`` and ``restart`` (lists of ``file:line:col: text``),
    ``hash`` of the validated source (see :func:`source_hash`)."""

    __slots__ = ("errors", "restart", "hash")

    def __init__(self, errors=(), restart=(), hash=0):
        self.errors = list(errors)
        self.restart = list(restart)
        self.hash = hash

    @property
    def ok(self):
        """True when the reload may go on."""
        return not self.errors and not self.restart


def source_hash(source):
    """A positive 63-bit digest of the config text (fits an shm int64)."""
    digest = hashlib.sha256(source.encode("latin-1", "replace")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _where(item):
    coord = getattr(item, "coord", None)
    return str(coord) if coord is not None else "<config>"


def _modules(config):
    return {it.path.value: it for it in config.items
            if isinstance(it, ast.LoadModule)}


def _modparams(config):
    out = {}
    for it in config.items:
        if isinstance(it, ast.ModParam):
            out.setdefault((it.module.value, it.param.value), []).append(it)
    return out


def _core(config):
    from openser_py.core import coreparams
    out = {}
    for it in config.items:
        if isinstance(it, ast.CoreParam):
            setting = coreparams.lookup(it.name)
            name = setting.name if setting is not None else it.name
            out.setdefault(name, []).append(it)
        elif isinstance(it, ast.DomainBlock):
            out.setdefault("tls domain %s" % it.name, []).append(it)
    return out


def _values(items, attr="value"):
    return [ast.dump(getattr(it, attr)) if attr else ast.dump(it)
            for it in items]


def restart_items(old, new):
    """What differs between configs *old* and *new* outside the routes.

    Returns a list of ``file:line:col: <what> (needs a restart)`` lines,
    located in *new* where possible.
    """
    out = []
    om, nm = _modules(old), _modules(new)
    for path, item in nm.items():
        if path not in om:
            out.append("%s: loadmodule \"%s\" added (needs a restart)"
                       % (_where(item), path))
    for path, item in om.items():
        if path not in nm:
            out.append("%s: loadmodule \"%s\" removed (was here; needs a "
                       "restart)" % (_where(item), path))
    op, np_ = _modparams(old), _modparams(new)
    for key in sorted(set(op) | set(np_)):
        a, b = _values(op.get(key, [])), _values(np_.get(key, []))
        if a != b:
            where = _where((np_.get(key) or op[key])[0])
            out.append("%s: modparam(\"%s\", \"%s\") changed: %s -> %s "
                       "(needs a restart)" % (where, key[0], key[1],
                                              _short(op.get(key)),
                                              _short(np_.get(key))))
    oc, nc = _core(old), _core(new)
    for name in sorted(set(oc) | set(nc)):
        attr = None if name.startswith("tls domain") else "value"
        a, b = _values(oc.get(name, []), attr), _values(nc.get(name, []),
                                                        attr)
        if a != b:
            where = _where((nc.get(name) or oc[name])[0])
            out.append("%s: core parameter %s changed (needs a restart)"
                       % (where, name))
    return out


def _short(items):
    if not items:
        return "(unset)"
    vals = []
    for it in items:
        v = it.value
        vals.append(repr(getattr(v, "value", v)))
    return ", ".join(vals)


def worker_compile(source, path, running):
    """Compile *source* with the running script's registry, as a worker
    will; returns ``(errors, shm_sites)`` -- ``shm_sites`` are the coords
    of calls whose fixup tried to allocate shared memory (refused here)."""
    from openser_py import mem
    from openser_py.cfg.compile import Compiler
    from openser_py.cfg.parser import get_parser
    from openser_py.core import cfgload, route
    from openser_py.core.actions import CORE
    config, errors = get_parser().parse(source, path)
    if errors or config is None or running is None or \
            running.registry is None:
        return [], []
    sites = []
    alloc = mem.get_allocator()
    if alloc is not None:
        def refuse(size, _depth=1):
            sites.append(getattr(route._compiler, "_cur_coord", None))
            return 0
        alloc.malloc = refuse        # this process only: it is the checker
    comp = Compiler(running.registry, CORE, cfgload.ScriptEnv(running.myself),
                    max_while_loops=running.params.get("max_while_loops")
                    or 100)
    try:
        comp.compile(config)
    except Exception as exc:  # noqa: BLE001 - a fixup that broke
        if not sites:
            return ["%s:0:0: compiling the routes failed: %s: %s"
                    % (path, type(exc).__name__, exc)], []
    return ["%s: %s" % (c, m) for c, m in comp.errors], sites


def check_config(path, old_config, running=None):
    """The checks themselves (run in the checker child)."""
    from openser_py.cfg.parser import read_cfg_file
    from openser_py.core import cfgload, statistics
    statistics._table = None        # never register counters in shm here
    try:
        source = read_cfg_file(path)
    except OSError as exc:
        return CheckResult(["%s:0:0: cannot read config file: %s"
                            % (path, exc.strerror)])
    werrors, sites = worker_compile(source, path, running)
    from openser_py.mem import shm
    shm.set_allocator(None)         # exactly as ``openser -c``: no shm
    script = cfgload.load_config(path, check=True, text=source)
    if script.errors:
        return CheckResult([str(e) for e in script.errors])
    if werrors and not sites:
        return CheckResult(werrors)
    restart = restart_items(old_config, script.config) \
        if old_config is not None else []
    seen = set()
    for coord in sites:
        where = str(coord) if coord is not None else "%s:0:0" % path
        if where not in seen:
            seen.add(where)
            restart.append("%s: this call creates shared state (e.g. a new "
                           "usrloc table) when compiled at run time (needs a "
                           "restart)" % where)
    return CheckResult(restart=restart, hash=source_hash(source))


def _child(wfd, path, old_config, running):
    from openser_py.core import log_json
    log_json.set_process("reload checker")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP,
                signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_DFL)
    try:
        signal.set_wakeup_fd(-1)
    except ValueError:
        pass
    code = 0
    try:
        res = check_config(path, old_config, running)
        data = {"errors": res.errors, "restart": res.restart,
                "hash": res.hash}
    except BaseException as exc:  # noqa: BLE001 - report, never raise
        data = {"errors": ["%s:0:0: checker failed: %s: %s"
                           % (path, type(exc).__name__, exc)]}
        code = 1
    blob = json.dumps(data).encode()
    try:
        while blob:
            n = os.write(wfd, blob)
            blob = blob[n:]
    finally:
        os._exit(code)


def validate(path, old_config, running=None, timeout=CHECK_TIMEOUT):
    """Check the config at *path* against the running *old_config* (and,
    given the running Script, compile it as the workers will) in a forked
    child; return a :class:`CheckResult` (bounded by *timeout*)."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:                              # the checker
        os.close(rfd)
        _child(wfd, path, old_config, running)
    os.close(wfd)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                return CheckResult(["%s:0:0: configuration check timed out "
                                    "after %.0fs" % (path, timeout)])
            try:
                ready, _, _ = select.select([rfd], [], [], min(left, 1.0))
            except InterruptedError:
                continue
            if not ready:
                continue
            data = os.read(rfd, 65536)
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(rfd)
        _reap(pid)
    try:
        data = json.loads(b"".join(chunks).decode())
    except ValueError:
        return CheckResult(["%s:0:0: configuration checker died" % path])
    return CheckResult(data.get("errors", ()), data.get("restart", ()),
                       data.get("hash", 0))


def _reap(pid):
    for _ in range(200):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:          # reaped by the SIGCHLD handler
            return
        if done:
            return
        time.sleep(0.01)
