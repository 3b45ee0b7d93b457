# ----------------------------------------------------------------------
# openser_py.cfg.ast: node classes of the openser.cfg syntax tree
#
# Plain data: every node has __slots__, a ``coord`` (file, line, col)
# and the fields listed in ``_fields``.  Nodes know nothing about
# semantics (which functions exist, route number ranges, PV names...);
# that is the checker's job.
# ----------------------------------------------------------------------
"""Syntax tree of an OpenSER 1.3 configuration file.

Every node class lists its fields in ``_fields``; a field holds either a
plain value (str, int, bool, None), a child node, or a list of child nodes.
``coord`` is a :class:`Coord` ``(file, line, col)`` with 1-based line and
column (a tab counts as one column, as in OpenSER's lexer).

Equality: nodes do not override ``__eq__`` (they stay hashable by identity);
use :func:`equal` to compare two trees structurally (coords ignored) and
:func:`dump` to get a readable, deterministic representation.
"""
from collections import namedtuple

Coord = namedtuple("Coord", "file line col")
Coord.__str__ = lambda self: "%s:%d:%d" % (self.file, self.line, self.col)


class Node(object):
    """Base class: ``_fields`` names the data attributes (coord excluded)."""

    __slots__ = ("coord",)
    _fields = ()

    def __init__(self, *args, **kwargs):
        coord = kwargs.pop("coord", None)
        if len(args) > len(self._fields):
            raise TypeError("%s takes at most %d fields"
                            % (type(self).__name__, len(self._fields)))
        values = dict(zip(self._fields, args))
        for name in kwargs:
            if name not in self._fields or name in values:
                raise TypeError("%s: bad field %r" % (type(self).__name__, name))
        values.update(kwargs)
        for name in self._fields:
            setattr(self, name, values.get(name))
        self.coord = coord

    def fields(self):
        """Return ``[(name, value), ...]`` in declaration order."""
        return [(name, getattr(self, name)) for name in self._fields]

    def children(self):
        """Return ``[(name, node), ...]`` for every child node.

        List fields give one entry per element, named ``field[i]``.
        """
        kids = []
        for name, value in self.fields():
            if isinstance(value, Node):
                kids.append((name, value))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, Node):
                        kids.append(("%s[%d]" % (name, i), item))
        return kids

    def __iter__(self):
        for _, child in self.children():
            yield child

    def __repr__(self):
        return dump(self)


def equal(a, b):
    """Structural equality of two trees (or values), ignoring coords."""
    if isinstance(a, Node) or isinstance(b, Node):
        if type(a) is not type(b):
            return False
        return all(equal(x, y) for (_, x), (_, y) in zip(a.fields(), b.fields()))
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
            return False
        return all(equal(x, y) for x, y in zip(a, b))
    return a == b


def dump(node):
    """Deterministic one-line representation (no coords) for tests/debugging."""
    if isinstance(node, Node):
        inner = ", ".join("%s=%s" % (name, dump(value))
                          for name, value in node.fields())
        return "%s(%s)" % (type(node).__name__, inner)
    if isinstance(node, list):
        return "[%s]" % ", ".join(dump(x) for x in node)
    return repr(node)


def _node(name, fields, doc):
    """Create a node class with the given fields (pycparser _c_ast.cfg style)."""
    cls = type(name, (Node,), {"__slots__": tuple(fields),
                               "_fields": tuple(fields),
                               "__doc__": doc})
    return cls


# --- top level --------------------------------------------------------------
Config = _node("Config", ["items"],
               "Whole file; items: CoreParam, LoadModule, ModParam, Route, "
               "DomainBlock, in source order.")
CoreParam = _node("CoreParam", ["name", "value"],
                  "Global ``name = value``; value is Number, String, Word, "
                  "IpAddr, SocketSpec, SocketList or Blacklist.")
LoadModule = _node("LoadModule", ["path"], "``loadmodule \"path\"``; path: String.")
ModParam = _node("ModParam", ["module", "param", "value"],
                 "``modparam(\"mod\", \"param\", value)``; module/param: String, "
                 "value: String or Number.")
Route = _node("Route", ["kind", "index", "body"],
              "Route block; kind is the keyword as written (route, "
              "failure_route, onreply_route, branch_route, error_route); "
              "index: int or None; body: list of statements.")
DomainBlock = _node("DomainBlock", ["name", "target", "params"],
                    "``tls_server_domain[ip:port] { name=value ... }`` style block; "
                    "target: SocketSpec/IpAddr/String/Word; params: CoreParam list.")
Blacklist = _node("Blacklist", ["name", "rules"],
                  "Value of ``dst_blacklist = name:{ rule, ... }``.")
BlacklistRule = _node("BlacklistRule", ["negate", "proto", "net", "port", "text"],
                      "``[!](proto, net, port, \"text\")``; proto: str, net: IpAddr "
                      "or IpNet, port: Number, text: String.")

# --- leaves / values ----------------------------------------------------------
Number = _node("Number", ["value", "text"],
               "Integer literal; text is the spelling (``0x10``, ``yes``, ``inet``).")
String = _node("String", ["value"], "String literal, escapes already decoded.")
Word = _node("Word", ["name"],
             "Bare word: identifier or dotted/dashed host name (``INVITE``, "
             "``example.com``, ``LOG_LOCAL0``).")
IpAddr = _node("IpAddr", ["address", "version"],
               "IP literal; address normalized text, version 4 or 6.")
IpNet = _node("IpNet", ["addr", "mask"],
              "``addr/mask``; addr: IpAddr, mask: IpAddr or Number (bits).")
SocketSpec = _node("SocketSpec", ["proto", "host", "port"],
                   "``[proto:]host[:port]``; proto: lower-case str or None; host: "
                   "IpAddr, String or Word; port: Number (``any`` = 0) or None.")
SocketList = _node("SocketList", ["specs"], "Several socket specs (listen/alias).")
PV = _node("PV", ["text"],
           "Pseudo-variable, raw source text incl. index and transformations "
           "(``$avp(s:x)``, ``$(hdr(Via)[1])``, ``$(ru{uri.user})``).")
MsgAttr = _node("MsgAttr", ["name"],
                "Message operand keyword: method, uri, status, from_uri, to_uri, "
                "src_ip, src_port, dst_ip, dst_port, proto, af, msg:len.")
Myself = _node("Myself", [], "``myself``")
Null = _node("Null", [], "``null`` / ``NULL``")
MaxLen = _node("MaxLen", [], "``max_len``")
ProtoName = _node("ProtoName", ["name"], "udp, tcp, tls, sctp or any (lower case).")

# --- expressions --------------------------------------------------------------
BinaryOp = _node("BinaryOp", ["op", "left", "right"],
                 "op: ``&&`` ``||`` (logical) or ``+ - * / % & | ^``.")
UnaryOp = _node("UnaryOp", ["op", "operand"], "op: ``!`` (also ``not``) or ``~``.")
Compare = _node("Compare", ["op", "left", "right"],
                "op: ``== != =~ !~ > < >= <=``; left: MsgAttr, PV or Myself.")
ExprCond = _node("ExprCond", ["expr"],
                 "``[ expression ]`` used as a condition.")

# --- statements ---------------------------------------------------------------
Block = _node("Block", ["stmts"], "``{ ... }``")
If = _node("If", ["cond", "iftrue", "iffalse"], "iffalse may be None.")
While = _node("While", ["cond", "body"], "")
Switch = _node("Switch", ["subject", "cases", "default"],
               "subject: PV; cases: list of Case; default: Default or None.")
Case = _node("Case", ["value", "body", "brk"],
             "value: Number or String; body: statements; brk: ends with break.")
Default = _node("Default", ["body", "brk"], "")
Assign = _node("Assign", ["target", "op", "value"],
               "target: PV; op: ``= := += -= *= /= %= &= |= ^=``; value: "
               "expression or Null.")
Call = _node("Call", ["name", "args", "parens"],
             "Function/core action call; parens False for the bare form "
             "(``append_branch;``).")
RouteCall = _node("RouteCall", ["index"], "``route(N)``; index: int.")
Exit = _node("Exit", [], "``exit`` / ``exit()``")
Drop = _node("Drop", [], "``drop`` / ``drop()``")
Return = _node("Return", ["value"], "``return[(n)]``; value: Number or None.")

LOGICAL_OPS = ("&&", "||")
ARITH_OPS = ("+", "-", "*", "/", "%")
BITWISE_OPS = ("&", "|", "^")
COMPARE_OPS = ("==", "!=", "=~", "!~", ">", "<", ">=", "<=")
ASSIGN_OPS = ("=", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=")


class NodeVisitor(object):
    """Visitor with a per-class method cache (pycparser style).

    ``visit(node)`` calls ``visit_<ClassName>(node)`` if defined, else
    :meth:`generic_visit`, which visits every child.
    """

    _method_cache = None

    def visit(self, node):
        if self._method_cache is None:
            self._method_cache = {}
        visitor = self._method_cache.get(node.__class__)
        if visitor is None:
            name = "visit_" + node.__class__.__name__
            visitor = getattr(self, name, self.generic_visit)
            self._method_cache[node.__class__] = visitor
        return visitor(node)

    def generic_visit(self, node):
        for child in node:
            self.visit(child)
