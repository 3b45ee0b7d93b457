# ----------------------------------------------------------------------
# openser_py.cfg.printer: AST -> canonical openser.cfg text
#
# Used for parse -> print -> parse round-trip tests and for dumping a
# normalised script (`openser -c` style).  Output re-parses to an equal
# tree (ast.equal); comments and original layout are not kept.
# ----------------------------------------------------------------------
"""Print a configuration tree back as OpenSER 1.3 cfg text.

    from openser_py.cfg.printer import to_cfg
    text = to_cfg(config)            # a Config, a statement or an expression

Canonical form: one global statement per line, a blank line before every
route block, tab indentation, ``name=value`` for core parameters, spaces
around binary and comparison operators, double-quoted strings with 1.3
escapes.  Parentheses are added only where the 1.3 precedence needs them
(``a || (b && c)``; ``(1 + 2) & 3``; ``1 - (2 - 3)``).
"""
from openser_py.cfg import ast

_LEVEL = {"&&": 1, "||": 1, "|": 2, "&": 2, "^": 2,
          "+": 3, "-": 3, "*": 3, "/": 3, "%": 3}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r",
            "\t": "\\t", "\a": "\\a"}
_SIMPLE_STMTS = (ast.Call, ast.Assign, ast.RouteCall, ast.Exit, ast.Drop,
                 ast.Return)


def quote(value):
    """Double-quote *value* with OpenSER 1.3 escapes."""
    out = []
    for c in value:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append("\\x%02x" % ord(c))
        else:
            out.append(c)
    return '"%s"' % "".join(out)


def to_cfg(node, indent="\t"):
    """Return the cfg text of *node* (Config, statement or expression)."""
    printer = CfgPrinter(indent)
    if isinstance(node, ast.Config):
        return printer.config(node)
    if isinstance(node, (ast.Route, ast.DomainBlock, ast.CoreParam,
                         ast.LoadModule, ast.ModParam)):
        return printer.top_item(node)
    if isinstance(node, _SIMPLE_STMTS + (ast.Block, ast.If, ast.While,
                                         ast.Switch)):
        return printer.stmt(node, 0)
    return printer.expr(node)


class CfgPrinter(object):
    """Stateless apart from the indent string; methods return text."""

    def __init__(self, indent="\t"):
        self.indent = indent
        self._level = 0      # statement nesting, for blocks in conditions

    # --- top level ---------------------------------------------------------
    def config(self, node):
        out = []
        after_block = False
        for item in node.items:
            is_block = isinstance(item, (ast.Route, ast.DomainBlock))
            if out and (is_block or after_block):
                out.append("")
            out.append(self.top_item(item))
            after_block = is_block
        return "\n".join(out) + "\n"

    def top_item(self, node):
        if isinstance(node, ast.CoreParam):
            return "%s=%s" % (node.name, self.param_value(node.value))
        if isinstance(node, ast.LoadModule):
            return "loadmodule %s" % quote(node.path.value)
        if isinstance(node, ast.ModParam):
            return "modparam(%s, %s, %s)" % (
                quote(node.module.value), quote(node.param.value),
                self.value(node.value))
        if isinstance(node, ast.Route):
            head = node.kind
            if node.index is not None:
                head += "[%d]" % node.index
            return head + " " + self.block(node.body, 0)
        if isinstance(node, ast.DomainBlock):
            lines = ["%s[%s] {" % (node.name, self.value(node.target))]
            lines += [self.indent + self.top_item(p) for p in node.params]
            return "\n".join(lines + ["}"])
        raise TypeError("not a top-level node: %r" % (node,))

    def param_value(self, node):
        if isinstance(node, ast.SocketList):
            return " ".join(self.value(s) for s in node.specs)
        if isinstance(node, ast.Blacklist):
            rules = ", ".join(self.blacklist_rule(r) for r in node.rules)
            return "%s:{ %s }" % (node.name, rules)
        return self.value(node)

    def blacklist_rule(self, node):
        text = "(%s, %s, %s, %s)" % (node.proto, self.value(node.net),
                                     self.value(node.port),
                                     quote(node.text.value))
        return "!" + text if node.negate else text

    # --- leaves --------------------------------------------------------------
    def value(self, node):
        """Text of a leaf value (also socket specs and nets)."""
        if isinstance(node, ast.Number):
            return node.text if node.text is not None else str(node.value)
        if isinstance(node, ast.String):
            return quote(node.value)
        if isinstance(node, ast.Word):
            return node.name
        if isinstance(node, ast.PV):
            return node.text
        if isinstance(node, ast.IpAddr):
            return node.address
        if isinstance(node, ast.IpNet):
            return "%s/%s" % (node.addr.address, self.value(node.mask))
        if isinstance(node, ast.SocketSpec):
            return self.socket(node)
        if isinstance(node, ast.MsgAttr):
            return node.name
        if isinstance(node, ast.ProtoName):
            return node.name
        if isinstance(node, ast.Myself):
            return "myself"
        if isinstance(node, ast.Null):
            return "null"
        if isinstance(node, ast.MaxLen):
            return "max_len"
        raise TypeError("not a value node: %r" % (node,))

    def socket(self, node):
        host = node.host
        if isinstance(host, ast.IpAddr) and host.version == 6:
            text = "[%s]" % host.address
        else:
            text = self.value(host)
        if node.proto is not None:
            text = "%s:%s" % (node.proto, text)
        if node.port is not None:
            text = "%s:%s" % (text, self.value(node.port))
        return text

    # --- statements ----------------------------------------------------------
    def block(self, stmts, level):
        lines = ["{"]
        for stmt in stmts:
            lines.append(self.indent * (level + 1) + self.stmt(stmt, level + 1))
        lines.append(self.indent * level + "}")
        return "\n".join(lines)

    def stmt(self, node, level):
        """Statement text; the first line is not indented (caller does)."""
        self._level = level
        if isinstance(node, _SIMPLE_STMTS):
            return self.expr(node) + ";"
        if isinstance(node, ast.Block):
            return self.block(node.stmts, level)
        if isinstance(node, ast.If):
            return self.if_stmt(node, level)
        if isinstance(node, ast.While):
            return "while (%s)%s" % (self.expr(node.cond),
                                     self.body(node.body, level))
        if isinstance(node, ast.Switch):
            return self.switch(node, level)
        raise TypeError("not a statement node: %r" % (node,))

    def body(self, node, level):
        """Body of if/else/while: ' {...}' or an indented single statement."""
        if isinstance(node, ast.Block):
            return " " + self.block(node.stmts, level)
        text = "\n" + self.indent * (level + 1) + self.stmt(node, level + 1)
        self._level = level
        return text

    def if_stmt(self, node, level):
        self._level = level
        iftrue = node.iftrue
        if node.iffalse is not None and _open_if(iftrue):
            iftrue = ast.Block([iftrue])     # keep the else where it belongs
        text = "if (%s)%s" % (self.expr(node.cond), self.body(iftrue, level))
        if node.iffalse is None:
            return text
        sep = " " if isinstance(iftrue, ast.Block) else "\n" + self.indent * level
        if isinstance(node.iffalse, ast.If):
            return text + sep + "else " + self.if_stmt(node.iffalse, level)
        return text + sep + "else" + self.body(node.iffalse, level)

    def switch(self, node, level):
        ind = self.indent * (level + 1)
        lines = ["switch (%s) {" % node.subject.text]
        for case in node.cases:
            lines.append("%scase %s:" % (ind, self.value(case.value)))
            lines += self.case_body(case, level + 2)
        if node.default is not None:
            lines.append(ind + "default:")
            lines += self.case_body(node.default, level + 2)
        lines.append(self.indent * level + "}")
        return "\n".join(lines)

    def case_body(self, case, level):
        ind = self.indent * level
        lines = [ind + self.stmt(s, level) for s in case.body]
        if case.brk:
            lines.append(ind + "break;")
        return lines

    # --- expressions ---------------------------------------------------------
    def expr(self, node, parent=None, right=False):
        """Expression text; *parent*/*right* decide parenthesis."""
        if isinstance(node, ast.BinaryOp):
            text = "%s %s %s" % (self.expr(node.left, node.op),
                                 node.op,
                                 self.expr(node.right, node.op, True))
            if parent is not None and parent in _LEVEL:
                mine, theirs = _LEVEL[node.op], _LEVEL[parent]
                if mine < theirs or (right and mine == theirs):
                    text = "(%s)" % text
            return text
        if isinstance(node, ast.UnaryOp):
            inner = self.expr(node.operand)
            if isinstance(node.operand, (ast.BinaryOp, ast.Compare)):
                inner = "(%s)" % inner
            return node.op + inner
        if isinstance(node, ast.Compare):
            text = "%s %s %s" % (self.value(node.left), node.op,
                                 self.value(node.right))
            if parent is not None and _LEVEL.get(parent, 1) > 1:
                text = "(%s)" % text
            return text
        if isinstance(node, ast.ExprCond):
            return "[%s]" % self.expr(node.expr)
        if isinstance(node, ast.Assign):
            return "%s %s %s" % (node.target.text, node.op,
                                 self.expr(node.value))
        if isinstance(node, ast.Call):
            if not node.parens:
                return node.name
            return "%s(%s)" % (node.name,
                               ", ".join(self.value(a) for a in node.args))
        if isinstance(node, ast.RouteCall):
            return "route(%d)" % node.index
        if isinstance(node, ast.Exit):
            return "exit"
        if isinstance(node, ast.Drop):
            return "drop"
        if isinstance(node, ast.Return):
            if node.value is None:
                return "return"
            return "return(%s)" % self.value(node.value)
        if isinstance(node, ast.Block):
            return self.block(node.stmts, self._level)
        return self.value(node)


def _open_if(node):
    """True if an ``else`` printed after *node* would bind inside it."""
    if isinstance(node, ast.If):
        return node.iffalse is None or _open_if(node.iffalse)
    if isinstance(node, ast.While):
        return _open_if(node.body)
    return False
