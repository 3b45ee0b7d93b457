"""Conditions and assignment expressions of openser.cfg -> Python closures.

Every condition compiles to ``f(msg) -> bool`` and every value expression
to ``f(msg) -> value`` (None, int or str), once, at start-up.  The rules are
OpenSER 1.3's (reference §1.6, §1.7):

* ``method``, ``uri``/``status``, ``from_uri``, ``to_uri``: ``==``/``!=``
  compare case-insensitively, ``=~``/``!~`` are case-insensitive regex
  searches (compiled once), ``> < >= <=`` compare strings;
* ``src_ip``/``dst_ip`` match addresses and networks (``==``/``!=``) or a
  regex on the printed address; ``src_port``, ``dst_port``, ``msg:len``,
  ``proto``, ``af`` compare integers;
* a PV compared to a PV/constant: int with int, str with str
  (case-insensitive for ``==``/``!=``); ``== null`` tests for null; a null
  PV is unequal to every non-null constant; mixing int and str is an error
  (logged, the comparison is false);
* a function call as condition is true when it returns > 0 (0 stops the
  script: the call raises ScriptExit).
"""
import ipaddress
import operator

from openser_py.cfg import ast
from openser_py.core.posix_re import PosixReError, compile_ere
from openser_py.core.dprint import LM_ERR
from openser_py.core.pvar import PvError, parse_pv_spec, pv_int

MAX_LEN = 65535


class ExprError(Exception):
    """A compile-time error in an expression (carries the node's coord)."""

    def __init__(self, message, coord):
        super().__init__(message)
        self.message = message
        self.coord = coord


def compile_regex(text, coord):
    """Compile an OpenSER regex (POSIX ERE, case-insensitive) or raise.

    REG_EXTENDED|REG_ICASE|REG_NOSUB as in 1.3: the POSIX syntax is
    translated (:mod:`openser_py.core.posix_re`) so that a regex means the
    same in ``=~`` as in textops and avpops.
    """
    try:
        return compile_ere(text, icase=True)
    except PosixReError as exc:
        raise ExprError("bad regular expression %r: %s" % (text, exc), coord)


def _const_text(node):
    if isinstance(node, ast.String):
        return node.value
    if isinstance(node, ast.Word):
        return node.name
    if isinstance(node, ast.Number):
        return str(node.value)
    if isinstance(node, ast.IpAddr):
        return node.address
    return None


# --- message operands ----------------------------------------------------

# a C getter: no Python frame for the most common test of a script
_get_method = operator.attrgetter("method")


def _get_uri(msg):
    if not msg.is_request:
        return str(msg.status)
    return msg.new_uri if msg.new_uri is not None else msg.ruri


def _get_from_uri(msg):
    f = msg.from_
    return f.uri if f is not None else None


def _get_to_uri(msg):
    t = msg.to
    return t.uri if t is not None else None


def _get_src_ip(msg):
    return msg.rcv.src_ip if msg.rcv is not None else None


def _get_dst_ip(msg):
    return msg.rcv.dst_ip if msg.rcv is not None else None


def _get_src_port(msg):
    return msg.rcv.src_port if msg.rcv is not None else 0


def _get_dst_port(msg):
    return msg.rcv.dst_port if msg.rcv is not None else 0


def _get_proto(msg):
    return msg.rcv.proto if msg.rcv is not None else 0


def _get_af(msg):
    return msg.rcv.af if msg.rcv is not None else 0


def _get_msg_len(msg):
    return len(msg.buf)


STRING_ATTRS = {"method": _get_method, "uri": _get_uri, "status": _get_uri,
                "from_uri": _get_from_uri, "to_uri": _get_to_uri}
IP_ATTRS = {"src_ip": _get_src_ip, "dst_ip": _get_dst_ip}
INT_ATTRS = {"src_port": _get_src_port, "dst_port": _get_dst_port,
             "proto": _get_proto, "af": _get_af, "msg:len": _get_msg_len}
URI_ATTRS = ("uri", "status", "from_uri", "to_uri")

_INT_OPS = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b, "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
}


def _str_cmp(op, const):
    """Predicate on a (maybe None) string against a constant string."""
    low = const.lower()
    if op == "==":
        return lambda v: v is not None and v.lower() == low
    if op == "!=":
        return lambda v: v is None or v.lower() != low
    cmp = _INT_OPS[op]
    return lambda v: v is not None and cmp(v.lower(), low)


def _str_eq(get, const, equal):
    """``attr == "const"`` (*equal*) or ``!=``: as :func:`_str_cmp`, with
    the getter called in the same frame (``method == "INVITE"``...)."""
    low = const.lower()
    if equal:
        def str_eq(msg):
            v = get(msg)
            return v is not None and v.lower() == low
        return str_eq

    def str_ne(msg):
        v = get(msg)
        return v is None or v.lower() != low
    return str_ne


def _regex_cmp(op, rx):
    search = rx.search
    if op == "=~":
        return lambda v: v is not None and search(v) is not None
    return lambda v: v is None or search(v) is None


class ExprCompiler:
    """Compiles condition and value nodes; see the module docstring.

    *ctx* provides ``call(node) -> f(msg) -> int`` (function calls),
    ``check_self(host, port) -> bool`` (``myself``), ``error(msg, coord)``.
    """

    def __init__(self, ctx):
        self.ctx = ctx

    # -- conditions --------------------------------------------------------
    def cond(self, node):
        """Compile a condition node into ``f(msg) -> bool``."""
        meth = getattr(self, "_cond_" + type(node).__name__, None)
        if meth is None:
            raise ExprError("unsupported condition %s" % type(node).__name__,
                            node.coord)
        return meth(node)

    def call_test(self, node):
        """``(call, negated)`` when condition *node* is ``f(...)`` or
        ``!f(...)``, else None; the ``if`` then tests ``call(msg) > 0``
        itself (one closure less per test)."""
        negated = isinstance(node, ast.UnaryOp) and node.op == "!"
        if negated:
            node = node.operand
        if not isinstance(node, ast.Call):
            return None
        return self.ctx.call(node), negated

    def _cond_Call(self, node):
        call = self.ctx.call(node)
        return lambda msg: call(msg) > 0

    def _cond_Block(self, node):
        run = self.ctx.block(node)
        return lambda msg: run(msg) > 0

    def _cond_BinaryOp(self, node):
        if node.op not in ast.LOGICAL_OPS:
            value = self.value(node)
            return lambda msg: _truthy(value(msg))
        left, right = self.cond(node.left), self.cond(node.right)
        if node.op == "&&":
            return lambda msg: left(msg) and right(msg)
        return lambda msg: left(msg) or right(msg)

    def _cond_UnaryOp(self, node):
        if node.op == "~":
            value = self.value(node)
            return lambda msg: _truthy(value(msg))
        inner = self.cond(node.operand)
        return lambda msg: not inner(msg)

    def _cond_ExprCond(self, node):
        value = self.value(node.expr)
        return lambda msg: _truthy(value(msg))

    def _cond_Assign(self, node):
        """``if ($var(t) = 3)``: do the assignment; true when it worked."""
        assign = self.ctx.stmt(node)
        return lambda msg: assign(msg) > 0

    def _cond_PV(self, node):
        get = self._pv(node).get
        return lambda msg: _truthy(get(msg))

    def _cond_Number(self, node):
        result = node.value != 0
        return lambda msg: result

    def _cond_Compare(self, node):
        left = node.left
        if isinstance(left, ast.Myself):   # "myself == uri": swap
            node = ast.Compare(node.op, node.right, left, coord=node.coord)
            left = node.left
        if isinstance(left, ast.MsgAttr):
            name = left.name
            if name in STRING_ATTRS:
                return self._cmp_string_attr(node, STRING_ATTRS[name], name)
            if name in IP_ATTRS:
                return self._cmp_ip(node, IP_ATTRS[name])
            if name in INT_ATTRS:
                return self._cmp_int_attr(node, INT_ATTRS[name])
            raise ExprError("unknown operand %s" % name, left.coord)
        if isinstance(left, ast.PV):
            return self._cmp_pv(node)
        raise ExprError("cannot compare %s" % type(left).__name__, node.coord)

    def _cmp_string_attr(self, node, get, name):
        op, right = node.op, node.right
        if isinstance(right, ast.Myself):
            if name not in URI_ATTRS:
                raise ExprError("%s cannot be compared with myself" % name,
                                node.coord)
            check = self.ctx.uri_is_myself(name)
            if op == "==":
                return check
            return lambda msg: not check(msg)
        if isinstance(right, ast.PV):
            rget = self._pv(right).get
            return self._runtime_cmp(op, get, rget, node.coord)
        text = _const_text(right)
        if text is None:
            raise ExprError("bad right operand for %s" % name, right.coord)
        if op in ("=~", "!~"):
            pred = _regex_cmp(op, compile_regex(text, right.coord))
        elif op in ("==", "!="):
            return _str_eq(get, text, op == "==")
        else:
            pred = _str_cmp(op, text)
        return lambda msg: pred(get(msg))

    def _cmp_ip(self, node, get):
        op, right = node.op, node.right
        if isinstance(right, ast.Myself):
            check = self.ctx.ip_is_myself
            if op == "==":
                return lambda msg: check(get(msg))
            return lambda msg: not check(get(msg))
        if op in ("=~", "!~"):
            text = _const_text(right)
            pred = _regex_cmp(op, compile_regex(text or "", right.coord))
            return lambda msg: pred(get(msg))
        net = self._ip_network(right)
        if net is None:   # a host name: textual compare only (no DNS here)
            text = _const_text(right)
            pred = _str_cmp(op, text)
            return lambda msg: pred(get(msg))

        def match(msg):
            ip = get(msg)
            if ip is None:
                return op == "!="
            try:
                inside = ipaddress.ip_address(ip) in net
            except ValueError:
                inside = False
            return inside if op == "==" else not inside
        return match

    def _ip_network(self, node):
        try:
            if isinstance(node, ast.IpNet):
                mask = node.mask
                bits = (mask.value if isinstance(mask, ast.Number)
                        else mask.address)
                return ipaddress.ip_network("%s/%s" % (node.addr.address, bits),
                                            strict=False)
            text = _const_text(node)
            if text is None:
                return None
            return ipaddress.ip_network(text.strip("[]"), strict=False)
        except ValueError:
            if isinstance(node, ast.IpNet):
                raise ExprError("bad network %s" % ast.dump(node), node.coord)
            return None

    def _cmp_int_attr(self, node, get):
        op, right = node.op, node.right
        if op not in _INT_OPS:
            raise ExprError("operator %s needs a string operand" % op,
                            node.coord)
        if isinstance(right, ast.MaxLen):
            const = MAX_LEN
        elif isinstance(right, ast.ProtoName):
            from openser_py.core.ip_addr import PROTO_BY_NAME
            const = PROTO_BY_NAME.get(right.name, 0)
        elif isinstance(right, ast.Number):
            const = right.value
        elif isinstance(right, ast.PV):
            rget = self._pv(right).get
            cmp = _INT_OPS[op]
            return lambda msg: _int_cmp(cmp, get(msg), pv_int(rget(msg)))
        else:
            raise ExprError("integer operand expected", right.coord)
        cmp = _INT_OPS[op]
        return lambda msg: cmp(get(msg), const)

    def _cmp_pv(self, node):
        op, right = node.op, node.right
        lget = self._pv(node.left).get
        if isinstance(right, ast.Null):
            if op not in ("==", "!="):
                raise ExprError("null only compares with == and !=",
                                node.coord)
            if op == "==":
                return lambda msg: lget(msg) is None
            return lambda msg: lget(msg) is not None
        if op in ("=~", "!~"):
            if isinstance(right, ast.PV):
                rget = self._pv(right).get
                return self._runtime_regex(op, lget, rget, node.coord)
            rx = compile_regex(_const_text(right) or "", right.coord)
            pred = _regex_cmp(op, rx)
            return lambda msg: pred(_as_text(lget(msg)))
        if isinstance(right, ast.PV):
            return self._runtime_cmp(op, lget, self._pv(right).get, node.coord)
        if isinstance(right, ast.Myself):
            check = self.ctx.text_uri_is_myself
            if op == "==":
                return lambda msg: check(lget(msg))
            return lambda msg: not check(lget(msg))
        if isinstance(right, ast.Number):
            const = right.value
            cmp = _INT_OPS[op]
            coord = node.coord

            def int_match(msg):
                val = lget(msg)
                if val is None:
                    return op == "!="
                ival = pv_int(val)
                if ival is None:
                    _mixed(coord)
                    return False
                return cmp(ival, const)
            return int_match
        text = _const_text(right)
        if text is None:
            raise ExprError("bad right operand", right.coord)
        pred = _str_cmp(op, text)
        return lambda msg: pred(_as_text(lget(msg)))

    def _runtime_cmp(self, op, lget, rget, coord):
        cmp = _INT_OPS[op]

        def match(msg):
            a, b = lget(msg), rget(msg)
            if a is None or b is None:
                return (a is None and b is None) == (op == "==") \
                    if op in ("==", "!=") else False
            if isinstance(a, int) and isinstance(b, int):
                return cmp(a, b)
            if isinstance(a, int) or isinstance(b, int):
                ia, ib = pv_int(a), pv_int(b)
                if ia is None or ib is None:
                    _mixed(coord)
                    return False
                return cmp(ia, ib)
            return cmp(a.lower(), b.lower())
        return match

    def _runtime_regex(self, op, lget, rget, coord):
        def match(msg):
            pattern = rget(msg)
            if pattern is None:
                return op == "!~"
            try:
                rx = compile_ere(_as_text(pattern), icase=True)
            except PosixReError as exc:
                LM_ERR("%s: bad regex %r at run time: %s", coord, pattern, exc)
                return False
            return _regex_cmp(op, rx)(_as_text(lget(msg)))
        return match

    # -- values ------------------------------------------------------------
    def value(self, node):
        """Compile a value expression into ``f(msg) -> None|int|str``."""
        if isinstance(node, ast.Number):
            v = node.value
            return lambda msg: v
        if isinstance(node, (ast.String, ast.Word)):
            v = _const_text(node)
            return lambda msg: v
        if isinstance(node, ast.Null):
            return lambda msg: None
        if isinstance(node, ast.PV):
            return self._pv(node).get
        if isinstance(node, ast.Call):
            return self.ctx.call(node)
        if isinstance(node, ast.UnaryOp) and node.op == "~":
            inner = self.value(node.operand)
            coord = node.coord
            return lambda msg: _arith("~", 0, inner(msg), coord)
        if isinstance(node, ast.BinaryOp) and node.op not in ast.LOGICAL_OPS:
            left, right = self.value(node.left), self.value(node.right)
            op, coord = node.op, node.coord
            return lambda msg: _arith(op, left(msg), right(msg), coord)
        cond = self.cond(node)
        return lambda msg: 1 if cond(msg) else 0

    def _pv(self, node):
        try:
            return parse_pv_spec(node.text)
        except PvError as exc:
            raise ExprError(str(exc), node.coord)


def _truthy(value):
    if value is None:
        return False
    if isinstance(value, int):
        return value != 0
    return value != ""


def _as_text(value):
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _int_cmp(cmp, a, b):
    if b is None:
        return False
    return cmp(a, b)


def _mixed(coord):
    LM_ERR("%s: comparing an integer with a string value", coord)


def _arith(op, a, b, coord):
    """Evaluate ``a op b`` with 1.3's typing (None on error)."""
    if op == "+" and isinstance(a, str) and isinstance(b, str) \
            and not (hasattr(a, "ri") and hasattr(b, "ri")):
        return a + b
    ia = a if isinstance(a, int) else pv_int(a)
    ib = b if isinstance(b, int) else pv_int(b)
    if ia is None or ib is None:
        LM_ERR("%s: invalid operands for %s: %r, %r", coord, op, a, b)
        return None
    if op == "+":
        return ia + ib
    if op == "-":
        return ia - ib
    if op == "*":
        return ia * ib
    if op in ("/", "%"):
        if ib == 0:
            LM_ERR("%s: division by zero", coord)
            return 0
        return int(ia / ib) if op == "/" else ia - ib * int(ia / ib)
    if op == "&":
        return ia & ib
    if op == "|":
        return ia | ib
    if op == "^":
        return ia ^ ib
    if op == "~":
        return ~ib
    return None
