"""openser.cfg AST -> route tables of Python closures (check + fixup + compile).

One pass over the checked AST does what OpenSER's ``fix_actions`` and the
interpreter's ``do_action`` switch do, but once, at start-up:

* every call is resolved to a core action or a module ``CmdExport`` by name
  and number of parameters, its route-type flags are checked against every
  route type the block can run in, and its fixups run;
* every statement becomes a closure ``f(msg) -> int``; no tree is walked
  per message.

Route-type checking goes beyond 1.3: a ``route[N]`` block is checked against
every route type it is reachable from through ``route()`` calls (1.3 checked
it as a request route only), so ``record_route()`` inside a ``route[2]``
called from ``failure_route[1]`` is reported at start-up.

Errors are collected (never raised one by one): :attr:`Compiler.errors` is
a list of ``(coord, message)``.
"""
import difflib

from openser_py.cfg import ast
from openser_py.cfg.compile_expr import ExprCompiler, ExprError
from openser_py.core import route as rt
from openser_py.core.dprint import LM_ERR, LM_INFO
from openser_py.core.exports import (ALL_ROUTES, BRANCH_ROUTE, ERROR_ROUTE,
                                     FAILURE_ROUTE, FixupError, ONREPLY_ROUTE,
                                     REQUEST_ROUTE, ROUTE_TYPE_NAMES)
from openser_py.core.pvar import PvError, parse_pv_spec
from openser_py.core.route import RouteReturn, ScriptDrop, ScriptExit
from openser_py.core.script_state import state
from openser_py.parser.errors import SipParseError

KIND_TYPES = {"route": REQUEST_ROUTE, "failure_route": FAILURE_ROUTE,
              "onreply_route": ONREPLY_ROUTE, "branch_route": BRANCH_ROUTE,
              "error_route": ERROR_ROUTE}
_depth = [0]      # nesting of route() calls in this process

MIN_INDEX = {"route": 0, "failure_route": 1, "onreply_route": 0,
             "branch_route": 1, "error_route": 0}


def _type_names(mask):
    return ", ".join(name for bit, name in sorted(ROUTE_TYPE_NAMES.items())
                     if mask & bit)


class Compiler:
    """Compile a parsed config's route blocks.

    *registry* is the :class:`~openser_py.core.sr_module.ModuleRegistry`
    with the loaded modules, *core* the core-action table
    (:mod:`openser_py.core.actions`), *env* supplies ``check_self`` and
    friends for ``myself`` (see :class:`ScriptEnv`), *tracer* (optional)
    receives every executed statement (``openser --trace-msg``).
    """

    def __init__(self, registry, core, env, max_while_loops=100, tracer=None):
        self.registry = registry
        self.core = core
        self.env = env
        self.max_while_loops = max_while_loops
        self.tracer = tracer
        self.errors = []
        self.tables = rt.RouteTables()
        self.route_refs = []          # (route_type, index, coord)
        self._slots = {}              # route[N] -> [fn] filled after compile
        self._mask = REQUEST_ROUTE    # route types of the block being compiled
        self._cur_coord = None
        self.expr = ExprCompiler(self)

    # -- entry point -------------------------------------------------------
    def compile(self, config):
        """Compile every route block of *config*; return the route tables."""
        routes = [item for item in config.items if isinstance(item, ast.Route)]
        defined = {}
        for node in routes:
            key = self._route_key(node)
            if key is None:
                continue
            if key in defined:
                self.error(node.coord, "%s[%d] defined twice (first at %s)"
                           % (node.kind, key[1], defined[key].coord))
                continue
            defined[key] = node
        masks = self._reachability(defined)
        rt.begin_fixups(self)
        try:
            for (kind, index), node in defined.items():
                self._mask = masks.get((kind, index), KIND_TYPES[kind])
                fn = self._route_body(node)
                self._install(kind, index, fn)
        finally:
            rt.end_fixups()
        self._check_refs()
        return self.tables

    def _route_key(self, node):
        kind = node.kind
        index = 0 if node.index is None else node.index
        if kind == "error_route" and node.index is not None:
            self.error(node.coord, "error_route takes no index")
            return None
        if not MIN_INDEX[kind] <= index < rt.RT_NO:
            self.error(node.coord, "invalid %s index %d (must be %d..%d)"
                       % (kind, index, MIN_INDEX[kind], rt.RT_NO - 1))
            return None
        return (kind, index)

    def _reachability(self, defined):
        """Route types each ``route[N]`` can run in (via route() calls)."""
        calls = {}
        for key, node in defined.items():
            calls[key] = {n.index for n in _walk(node.body)
                          if isinstance(n, ast.RouteCall)}
        masks = {key: KIND_TYPES[key[0]] for key in defined
                 if key[0] != "route" or key[1] == 0}
        changed = True
        while changed:
            changed = False
            for key, targets in calls.items():
                mask = masks.get(key, 0)
                if not mask:
                    continue
                for idx in targets:
                    tkey = ("route", idx)
                    new = masks.get(tkey, 0) | mask
                    if new != masks.get(tkey, 0):
                        masks[tkey] = new
                        changed = True
        return masks

    def _install(self, kind, index, fn):
        if kind == "error_route":
            self.tables.error = fn
            return
        self.tables.table(KIND_TYPES[kind])[index] = fn
        if kind == "route":
            self._slot(index)[0] = fn

    def _slot(self, index):
        return self._slots.setdefault(index, [None])

    def _check_refs(self):
        for index, coord in self._route_calls:
            if self.tables.request[index] is None:
                self.error(coord, "route[%d] is called but not defined" % index)
        for rtype, index, coord in self.route_refs:
            if self.tables.get(rtype, index) is None:
                self.error(coord, "%s[%d] is referenced but not defined"
                           % (ROUTE_TYPE_NAMES[rtype], index))

    # -- errors ------------------------------------------------------------
    def error(self, coord, message):
        """Record a compile error at *coord*."""
        self.errors.append((coord, message))

    def require_route(self, route_type, index):
        """Called by fixups (``t_on_failure("3")``): the route must exist."""
        self.route_refs.append((route_type, index, self._cur_coord))

    # -- statements --------------------------------------------------------
    _route_calls = ()

    def _route_body(self, node):
        body = self.stmts(node.body)
        return body

    def stmts(self, nodes):
        """Compile a statement list into ``f(msg) -> int`` (last value)."""
        fns = []
        for node in nodes:
            try:
                fn = self.stmt(node)
            except ExprError as exc:
                self.error(exc.coord, exc.message)
                continue
            if fn is not None:
                fns.append(fn)
        return _sequence(fns)

    def block(self, node):
        """Compile a Block node (used for ``{ ... }`` as a condition)."""
        return self.stmts(node.stmts)

    def stmt(self, node):
        """Compile one statement; returns None for empty statements."""
        meth = getattr(self, "_stmt_" + type(node).__name__, None)
        if meth is None:
            self.error(node.coord, "unsupported statement %s"
                       % type(node).__name__)
            return None
        fn = meth(node)
        if fn is not None and self.tracer is not None:
            fn = self.tracer.wrap_stmt(node, fn)
        return fn

    def _stmt_Block(self, node):
        return self.stmts(node.stmts)

    def _stmt_Call(self, node):
        return self.call(node)

    def _stmt_Exit(self, node):
        def do_exit(msg):
            raise ScriptExit()
        return do_exit

    def _stmt_Drop(self, node):
        def do_drop(msg):
            raise ScriptDrop()
        return do_drop

    def _stmt_Return(self, node):
        value = 1 if node.value is None else node.value.value

        def do_return(msg):
            raise RouteReturn(value)
        return do_return

    def _stmt_RouteCall(self, node):
        index = node.index
        if not 0 <= index < rt.RT_NO:
            self.error(node.coord, "invalid route index %d" % index)
            return None
        if not self._route_calls:
            self._route_calls = []
        self._route_calls.append((index, node.coord))
        slot = self._slot(index)
        coord = node.coord

        depth = _depth

        def do_route(msg):
            if depth[0] >= rt.MAX_REC_LEV:
                LM_ERR("%s: too many recursive routing table lookups (%d)",
                       coord, rt.MAX_REC_LEV)
                state.retcode = -1
                return -1
            depth[0] += 1
            try:
                ret = slot[0](msg)
            except RouteReturn as r:
                ret = r.value
            finally:
                depth[0] -= 1
            state.retcode = ret
            return ret
        return do_route

    def _safe_cond(self, node):
        """Compile a condition; on error record it and use a false one."""
        try:
            return self.expr.cond(node)
        except ExprError as exc:
            self.error(exc.coord, exc.message)
            return lambda msg: False

    def _stmt_If(self, node):
        test = None
        if self.tracer is None:
            try:
                test = self.expr.call_test(node.cond)
            except ExprError as exc:
                self.error(exc.coord, exc.message)
                test = (lambda msg: -1), False      # false, as _safe_cond
        if test is None:
            cond = self._safe_cond(node.cond)
            if self.tracer is not None:
                cond = self.tracer.wrap_cond(node.cond, cond)
        then = self._branch(node.iftrue)
        other = self._branch(node.iffalse) if node.iffalse is not None else None
        if test is not None:
            return _if_call(test[0], test[1], then, other)

        def do_if(msg):
            if cond(msg):
                ret = then(msg)
            elif other is not None:
                ret = other(msg)
            else:
                return 1
            state.retcode = ret
            return ret
        return do_if

    def _branch(self, node):
        if isinstance(node, ast.Block):
            return self.stmts(node.stmts)
        fn = self.stmt(node)
        return fn if fn is not None else (lambda msg: 1)

    def _stmt_While(self, node):
        cond = self._safe_cond(node.cond)
        body = self._branch(node.body)
        limit = self.max_while_loops
        coord = node.coord

        def do_while(msg):
            ret = 1
            n = 0
            while cond(msg):
                n += 1
                if n > limit:
                    LM_INFO("%s: max while loops are encountered (%d)",
                            coord, limit)
                    break
                ret = body(msg)
            return ret
        return do_while

    def _stmt_Switch(self, node):
        try:
            get = parse_pv_spec(node.subject.text).get
        except PvError as exc:
            self.error(node.subject.coord, str(exc))
            return None
        entries = []   # (match(value) -> bool | None for default, body, brk)
        for case in node.cases:
            entries.append((_case_matcher(case.value),
                            self.stmts(case.body), case.brk))
        if node.default is not None:
            entries.append((None, self.stmts(node.default.body),
                            node.default.brk))
        entries = tuple(entries)

        def do_switch(msg):
            value = get(msg)
            start = None
            for i, (match, _, _) in enumerate(entries):
                if match is not None and match(value):
                    start = i
                    break
            if start is None:
                for i, (match, _, _) in enumerate(entries):
                    if match is None:
                        start = i
                        break
            if start is None:
                return 1
            ret = 1
            for _, body, brk in entries[start:]:
                ret = body(msg)
                if brk:
                    break
            state.retcode = ret
            return ret
        return do_switch

    def _stmt_Assign(self, node):
        try:
            spec = parse_pv_spec(node.target.text)
        except PvError as exc:
            self.error(node.target.coord, str(exc))
            return None
        if not spec.writable:
            self.error(node.target.coord, "pseudo-variable %s is read-only"
                       % node.target.text)
            return None
        if spec.trans:
            self.error(node.target.coord,
                       "transformations are not allowed on the left side")
            return None
        value = self.expr.value(node.value)
        # 1.3: compound operators behave like "=" (reference §1.7)
        op = ":=" if node.op == ":=" else "="
        setter, coord = spec.set, node.coord

        def do_assign(msg):
            try:
                setter(msg, value(msg), op)
            except PvError as exc:
                LM_ERR("%s: assignment failed: %s", coord, exc)
                return -1
            return 1
        return do_assign

    # -- calls -------------------------------------------------------------
    def call(self, node):
        """Resolve, check, fix up and compile a function call node."""
        name, args = node.name, node.args or []
        nargs = len(args)
        found = self.core.find(name, nargs)
        if found is None:
            mc = self.registry.find_cmd(name, nargs) if self.registry else None
            found = mc[1] if mc else None
        if found is None:
            return self._call_not_found(node, name, nargs)
        cmd = found
        missing = self._mask & ~cmd.flags & ALL_ROUTES
        if missing:
            raise ExprError("function %s() cannot be used in %s (allowed in: "
                            "%s)" % (name, _type_names(missing),
                                     _type_names(cmd.flags) or "none"),
                            node.coord)
        params = []
        self._cur_coord = node.coord
        try:
            if cmd.fixup is not None and nargs == 0:
                cmd.fixup(None, 0)
            for i, arg in enumerate(args, 1):
                value = self._arg_value(arg)
                if cmd.fixup is not None:
                    value = cmd.fixup(value, i)
                params.append(value)
        except (FixupError, PvError, ValueError) as exc:
            raise ExprError("%s(): bad parameter: %s" % (name, exc),
                            getattr(exc, "coord", None) or node.coord)
        return _make_call(cmd.function, params, node.coord, name)

    def _call_not_found(self, node, name, nargs):
        arities = sorted({c.param_no for c in self.core.find_all(name)}
                         | {c.param_no for _, c in
                            (self.registry.find_cmds(name) if self.registry
                             else [])})
        if arities:
            raise ExprError("function %s() takes %s parameter(s), %d given"
                            % (name, " or ".join(map(str, arities)), nargs),
                            node.coord)
        known = set(self.core.names())
        if self.registry:
            for mod in self.registry.modules:
                known.update(c.name for c in mod.exports.cmds if c.flags)
        hint = difflib.get_close_matches(name, sorted(known), n=1)
        raise ExprError("unknown command %s(), missing loadmodule?%s"
                        % (name, " (did you mean %s()?)" % hint[0]
                           if hint else ""), node.coord)

    def _arg_value(self, arg):
        if isinstance(arg, ast.String):
            return arg.value
        if isinstance(arg, ast.Number):
            return arg.text if arg.text is not None else str(arg.value)
        if isinstance(arg, ast.Word):
            return arg.name
        if isinstance(arg, ast.IpAddr):
            return arg.address
        if isinstance(arg, ast.PV):
            return arg.text
        if isinstance(arg, ast.SocketSpec):
            return _socket_text(arg)
        if isinstance(arg, ast.ProtoName):
            return arg.name
        raise ExprError("unsupported argument %s" % type(arg).__name__,
                        arg.coord)

    # hooks used by the expression compiler for `myself`
    def uri_is_myself(self, attr):
        """``uri|from_uri|to_uri == myself`` -> ``f(msg) -> bool``."""
        return self.env.uri_is_myself(attr)

    def ip_is_myself(self, ip):
        """``src_ip|dst_ip == myself``."""
        return self.env.ip_is_myself(ip)

    def text_uri_is_myself(self, text):
        """``$pv == myself`` (the PV holds a URI or host)."""
        return self.env.text_is_myself(text)


def _socket_text(node):
    host = node.host
    if isinstance(host, ast.IpAddr):
        h = "[%s]" % host.address if host.version == 6 else host.address
    elif isinstance(host, ast.String):
        h = host.value
    else:
        h = host.name
    text = h
    if node.proto:
        text = "%s:%s" % (node.proto, text)
    if node.port is not None:
        text = "%s:%d" % (text, node.port.value)
    return text


def _case_matcher(value_node):
    if isinstance(value_node, ast.Number):
        want = value_node.value

        def match_int(value):
            from openser_py.core.pvar import pv_int
            return value is not None and pv_int(value) == want
        return match_int
    want = value_node.value.lower()

    def match_str(value):
        return isinstance(value, str) and value.lower() == want
    return match_str


def _if_call(call, negated, then, other):
    """``if (f(...))`` / ``if (!f(...))``: the call site's value is tested
    here, without a condition closure (see ``ExprCompiler.call_test``)."""
    def do_if_call(msg):
        if (call(msg) > 0) is not negated:
            ret = then(msg)
        elif other is not None:
            ret = other(msg)
        else:
            return 1
        state.retcode = ret
        return ret
    return do_if_call


def _sequence(fns):
    """Run closures in order; the value is the last one's (1 if empty)."""
    fns = tuple(fns)
    if not fns:
        return lambda msg: 1
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        a, b = fns

        def seq2(msg):
            a(msg)
            return b(msg)
        return seq2

    def seq(msg):
        ret = 1
        for f in fns:
            ret = f(msg)
        return ret
    return seq


def _coerce(ret, coord, name):
    if isinstance(ret, bool):
        return 1 if ret else -1
    if isinstance(ret, int):
        return ret
    LM_ERR("%s: %s() returned %r instead of an int; taken as -1",
           coord, name, ret)
    return -1


def _make_call(fn, params, coord, name):
    """Build the call-site closure, specialised by arity.

    The three common arities are written out so that a call costs one
    Python frame plus the module function's own.
    """
    def failed(exc, msg):
        LM_ERR("%s: %s() failed: %s: %s", coord, name, type(exc).__name__, exc)
        if isinstance(exc, SipParseError):
            # malformed message: record $err.*, maybe run error_route
            from openser_py.core.receive import script_parse_error
            if script_parse_error(exc, msg):
                raise ScriptExit()
        return -1

    if len(params) == 0:
        def call0(msg):
            try:
                ret = fn(msg)
            except Exception as exc:  # noqa: BLE001 - the script goes on
                ret = failed(exc, msg)
            if ret.__class__ is not int:
                ret = _coerce(ret, coord, name)
            state.retcode = ret
            if ret == 0:
                raise ScriptExit()
            return ret
        return call0
    if len(params) == 1:
        p1 = params[0]

        def call1(msg):
            try:
                ret = fn(msg, p1)
            except Exception as exc:  # noqa: BLE001
                ret = failed(exc, msg)
            if ret.__class__ is not int:
                ret = _coerce(ret, coord, name)
            state.retcode = ret
            if ret == 0:
                raise ScriptExit()
            return ret
        return call1
    args = tuple(params)
    if len(params) == 2:
        p1, p2 = args

        def call2(msg):
            try:
                ret = fn(msg, p1, p2)
            except Exception as exc:  # noqa: BLE001
                ret = failed(exc, msg)
            if ret.__class__ is not int:
                ret = _coerce(ret, coord, name)
            state.retcode = ret
            if ret == 0:
                raise ScriptExit()
            return ret
        return call2

    def calln(msg):
        try:
            ret = fn(msg, *args)
        except Exception as exc:  # noqa: BLE001
            ret = failed(exc, msg)
        if ret.__class__ is not int:
            ret = _coerce(ret, coord, name)
        state.retcode = ret
        if ret == 0:
            raise ScriptExit()
        return ret
    return calln


def _walk(nodes):
    """Yield every node below a statement list."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node is None:
            continue
        yield node
        if isinstance(node, ast.Node):
            stack.extend(child for _, child in node.children())
