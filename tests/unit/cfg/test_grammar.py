"""AST shapes for every construct of the OpenSER 1.3 cfg language."""
import pytest

from openser_py.cfg import ast, parse_string, CfgParseError
from openser_py.cfg.ast import dump


def parse(text):
    return parse_string(text, "g.cfg")


def item(text):
    items = parse(text).items
    assert len(items) == 1
    return items[0]


def body(text):
    return item("route {\n%s\n}" % text).body


def stmt(text):
    stmts = body(text)
    assert len(stmts) == 1, stmts
    return stmts[0]


def cond(text):
    return stmt("if (%s) exit;" % text).cond


def rhs(text):
    return stmt("$var(x) = %s;" % text).value


def d(node):
    return dump(node)


def syntax_error(text):
    with pytest.raises(CfgParseError) as info:
        parse(text)
    return info.value.errors


# short dump builders ------------------------------------------------------------
def S(v):
    return "String(value=%r)" % v


def N(v, t=None):
    return "Number(value=%d, text=%r)" % (v, str(v) if t is None else t)


def W(name):
    return "Word(name=%r)" % name


def PV(text):
    return "PV(text=%r)" % text


def A(name):
    return "MsgAttr(name=%r)" % name


def ip(addr, v=4):
    return "IpAddr(address=%r, version=%d)" % (addr, v)


def cmp(op, left, right):
    return "Compare(op=%r, left=%s, right=%s)" % (op, left, right)


def call(name, *args):
    return "Call(name=%r, args=[%s], parens=True)" % (name, ", ".join(args))


def binop(op, left, right):
    return "BinaryOp(op=%r, left=%s, right=%s)" % (op, left, right)


def sock(proto, host, port):
    return "SocketSpec(proto=%r, host=%s, port=%s)" % (proto, host, port)


ME = "Myself()"


# --- global parameters -------------------------------------------------------
@pytest.mark.parametrize("src,value", [
    ("debug=3", N(3)),
    ("debug=-1", N(-1)),
    ("fork=no", N(0, "no")),
    ("fork = yes", N(1, "yes")),
    ("log_stderror=off", N(0, "off")),
    ("log_facility=LOG_LOCAL0", W("LOG_LOCAL0")),
    ('mpath=" ./modules/"', S(" ./modules/")),
    ('alias="example.com"', S("example.com")),
    ("alias=example.com", W("example.com")),
    ("alias=my-host.example.com", W("my-host.example.com")),
    ("listen=127.0.0.1", ip("127.0.0.1")),
    ("listen=eth0", W("eth0")),
    ("listen=::1", ip("::1", 6)),
    ("listen=[fe80::1]", ip("fe80::1", 6)),
    ("listen=udp:127.0.0.1:5060",
     sock("udp", ip("127.0.0.1"), N(5060))),
    ("listen=tcp:eth0", sock("tcp", W("eth0"), "None")),
    ("listen=10.0.0.1:5070", sock(None, ip("10.0.0.1"), N(5070))),
    ("listen=any:10.0.0.1:any", sock("any", ip("10.0.0.1"), N(0, "any"))),
    ("listen=TLS:[::1]:5061", sock("tls", ip("::1", 6), N(5061))),
    ('listen=sctp:"host.x":5060', sock("sctp", S("host.x"), N(5060))),
    ("open_files_limit=0x400", N(1024, "0x400")),
])
def test_core_param_values(src, value):
    node = item(src)
    assert isinstance(node, ast.CoreParam)
    assert node.name == src.split("=")[0].strip()
    assert d(node.value) == value


def test_socket_list():
    node = item("listen=udp:1.2.3.4:5060 tcp:1.2.3.4 \\\n  eth1")
    assert d(node.value) == "SocketList(specs=[%s, %s, %s])" % (
        sock("udp", ip("1.2.3.4"), N(5060)), sock("tcp", ip("1.2.3.4"), "None"),
        W("eth1"))


def test_params_one_per_line_without_separators():
    items = parse("listen=eth0\nalias=a.b\nchildren=4\nport=5060\n").items
    assert [(i.name, d(i.value)) for i in items] == [
        ("listen", W("eth0")), ("alias", W("a.b")), ("children", N(4)),
        ("port", N(5060))]


def test_unknown_params_parse_generically():
    # names are checked by core.coreparams, not by the grammar
    assert d(item('fifo="/tmp/x"')) == "CoreParam(name='fifo', value=%s)" % S("/tmp/x")


def test_dst_blacklist():
    node = item('dst_blacklist = bl:{ (udp, 10.0.0.0/8, 5060, "a"), '
                '!(any, 1.2.3.4, any, "b") }')
    assert d(node.value) == (
        "Blacklist(name='bl', rules=[BlacklistRule(negate=False, proto='udp', "
        "net=IpNet(addr=%s, mask=%s), port=%s, text=%s), BlacklistRule(negate="
        "True, proto='any', net=%s, port=%s, text=%s)])" % (
            ip("10.0.0.0"), N(8), N(5060), S("a"), ip("1.2.3.4"), N(0, "any"),
            S("b")))


def test_tls_domain_blocks():
    items = parse('tls_server_domain[1.2.3.4:5061] {\n tls_method=TLSv1\n'
                  ' tls_certificate="c.pem" }\n'
                  'tls_client_domain["gw"] { }').items
    assert d(items[0]) == (
        "DomainBlock(name='tls_server_domain', target=%s, params=["
        "CoreParam(name='tls_method', value=%s), CoreParam(name="
        "'tls_certificate', value=%s)])" % (
            sock(None, ip("1.2.3.4"), N(5061)), W("TLSv1"), S("c.pem")))
    assert d(items[1]) == ("DomainBlock(name='tls_client_domain', "
                           "target=%s, params=[])" % S("gw"))


# --- modules -----------------------------------------------------------------
def test_loadmodule():
    assert d(item('loadmodule "sl.so"')) == "LoadModule(path=%s)" % S("sl.so")


@pytest.mark.parametrize("src,value", [
    ('modparam("usrloc", "db_mode", 2)', N(2)),
    ('modparam("tm", "x", -1)', N(-1)),
    ('modparam("tm", "x", +5)', N(5, "5")),
    ('modparam("tm", "x", yes)', N(1, "yes")),
    ('modparam("usrloc", "db_url",\n\t"mysql://u:p@h/db")', S("mysql://u:p@h/db")),
    ('modparam("usrloc", "db_url", \\\n "x")', S("x")),
    ("modparam('a|b', 'p', 'v')", S("v")),
])
def test_modparam(src, value):
    node = item(src)
    assert isinstance(node, ast.ModParam)
    assert isinstance(node.module, ast.String)
    assert d(node.value) == value


@pytest.mark.parametrize("src", [
    'modparam("m", "p", word)', 'modparam("m", "p")', "modparam(m, p, 1)",
    'loadmodule sl.so', 'loadmodule("sl.so")'])
def test_module_syntax_errors(src):
    assert syntax_error(src)


# --- route blocks ------------------------------------------------------------
@pytest.mark.parametrize("src,kind,index", [
    ("route { }", "route", None),
    ("route[0] { }", "route", 0),
    ("route[12] { }", "route", 12),
    ("failure_route[1] { }", "failure_route", 1),
    ("onreply_route { }", "onreply_route", None),
    ("onreply_route[2] { }", "onreply_route", 2),
    ("branch_route[3] { }", "branch_route", 3),
    ("error_route { }", "error_route", None),
])
def test_route_blocks(src, kind, index):
    node = item(src)
    assert (node.kind, node.index, node.body) == (kind, index, [])


def test_semicolon_after_blocks_and_empty_statements():
    cfg = parse("route { ; exit; ; if (1) { exit; }; };\n;route[1]{};")
    assert [len(r.body) for r in cfg.items] == [2, 0]


@pytest.mark.parametrize("src,msg", [
    ("failure_route { }", "failure_route needs a number: failure_route[N]"),
    ("branch_route { }", "branch_route needs a number: branch_route[N]"),
    ("error_route[1] { }", "error_route takes no number"),
])
def test_route_number_rules(src, msg):
    assert [e.message for e in syntax_error(src)] == [msg]


def test_route_number_ranges_are_left_to_the_checker():
    assert item("route[99] { }").index == 99


# --- commands ----------------------------------------------------------------
@pytest.mark.parametrize("src,expected", [
    ("exit;", "Exit()"), ("exit();", "Exit()"),
    ("drop;", "Drop()"), ("drop();", "Drop()"),
    ("return;", "Return(value=None)"), ("return();", "Return(value=None)"),
    ("return(-2);", "Return(value=%s)" % N(-2)),
    ("return(1);", "Return(value=%s)" % N(1)),
    ("route(1);", "RouteCall(index=1)"),
    ("t_relay();", call("t_relay")),
    ('lookup ("location");', call("lookup", S("location"))),
    ("lookup(location);", call("lookup", W("location"))),
    ('t_on_failure("1");', call("t_on_failure", S("1"))),
    ('sl_send_reply("404", "Not Found");',
     call("sl_send_reply", S("404"), S("Not Found"))),
    ('f(1, -2, "s", w, a.b-c, 10.0.0.1, $var(x), [::1]);',
     call("f", N(1), N(-2), S("s"), W("w"), W("a.b-c"), ip("10.0.0.1"),
          PV("$var(x)"), ip("::1", 6))),
    ("setflag(3);", call("setflag", N(3))),
    ('log(1, "x");', call("log", N(1), S("x"))),
    ("force_send_socket(udp:1.2.3.4:5060);",
     call("force_send_socket", sock("udp", ip("1.2.3.4"), N(5060)))),
    ("set_advertised_address(proxy.example.com);",
     call("set_advertised_address", W("proxy.example.com"))),
    ('pv_printf($avp(s:x), "$ru");', call("pv_printf", PV("$avp(s:x)"), S("$ru"))),
    ("append_branch;", "Call(name='append_branch', args=[], parens=False)"),
])
def test_commands(src, expected):
    assert d(stmt(src)) == expected


def test_command_needs_semicolon():
    errors = syntax_error('route { xlog("a")\n exit; }')
    assert [(e.line, e.col, e.message) for e in errors] == [
        (2, 2, "syntax error, unexpected 'exit', expected ';'")]


# --- if / while / switch -----------------------------------------------------
def test_if_forms():
    node = stmt("if (uri==myself) exit;")
    assert d(node) == "If(cond=%s, iftrue=Exit(), iffalse=None)" % cmp("==", A("uri"), ME)
    node = stmt("if (a) { b(); } else { c(); }")
    assert isinstance(node.iftrue, ast.Block) and isinstance(node.iffalse, ast.Block)
    node = stmt("if method==INVITE exit; else drop;")
    assert d(node.cond) == cmp("==", A("method"), W("INVITE"))
    assert isinstance(node.iffalse, ast.Drop)


def test_else_if_chain():
    node = stmt("if (a) x(); else if (b) y(); else z();")
    assert isinstance(node.iffalse, ast.If)
    assert d(node.iffalse.iffalse) == call("z")


def test_dangling_else_binds_to_inner_if():
    node = stmt("if (a) if (b) x(); else y();")
    assert node.iffalse is None
    assert d(node.iftrue.iffalse) == call("y")


def test_if_with_empty_statement_and_empty_block():
    node = stmt("if (a) ; else { }")
    assert d(node.iftrue) == "Block(stmts=[])"
    assert d(node.iffalse) == "Block(stmts=[])"


def test_while():
    node = stmt("while($var(i) < 10) { $var(i) = $var(i) + 1; }")
    assert d(node.cond) == cmp("<", PV("$var(i)"), N(10))
    assert d(node.body.stmts[0]) == (
        "Assign(target=%s, op='=', value=%s)" % (
            PV("$var(i)"), binop("+", PV("$var(i)"), N(1))))


def test_switch():
    node = stmt("switch($retcode) { case -1: case -3: t_newtran(); exit; "
                "case 2: break; case \"x\": f(); esac; default: route(1); }")
    assert d(node.subject) == PV("$retcode")
    assert [(d(c.value), len(c.body), c.brk) for c in node.cases] == [
        (N(-1), 0, False), (N(-3), 2, False), (N(2), 0, True), (S("x"), 1, True)]
    assert d(node.default) == "Default(body=[RouteCall(index=1)], brk=False)"


def test_switch_default_with_break_and_without_default():
    node = stmt("switch($rm) { case 'A': default: break; }")
    assert node.default.brk is True
    assert stmt("switch($rm) { case 1: }").default is None


@pytest.mark.parametrize("src", [
    "switch($rm) { }",                   # at least one case (1.3)
    "switch($rm) { default: case 1: }",  # default comes last
    "switch(method) { case 1: }",        # only a pseudo-variable
    "switch($rm) { case 1: break }",
])
def test_switch_errors(src):
    assert syntax_error("route { %s }" % src)


# --- assignments -------------------------------------------------------------
@pytest.mark.parametrize("op", ["=", ":=", "+=", "-=", "*=", "/=", "%=", "&=",
                                "|=", "^="])
def test_assign_ops(op):
    node = stmt("$avp(s:x) %s 1;" % op)
    assert (node.op, d(node.target), d(node.value)) == (op, PV("$avp(s:x)"), N(1))


@pytest.mark.parametrize("op", ["=", ":="])
def test_assign_null(op):
    assert d(stmt("$avp(i:3) %s null;" % op).value) == "Null()"


def test_assign_null_needs_plain_or_colon_assign():
    assert syntax_error("route { $var(x) += null; }")


@pytest.mark.parametrize("src,expected", [
    ("$fu", PV("$fu")),
    ('"str"', S("str")),
    ("bareword", W("bareword")),
    ("-5", N(-5)),
    ("1 + 2 * 3", binop("*", binop("+", N(1), N(2)), N(3))),   # one level!
    ("1 - 2 - 3", binop("-", binop("-", N(1), N(2)), N(3))),
    ("1 - (2 - 3)", binop("-", N(1), binop("-", N(2), N(3)))),
    ("1 | 2 + 3", binop("|", N(1), binop("+", N(2), N(3)))),    # bitwise lower
    ("1 & 2 ^ 3", binop("^", binop("&", N(1), N(2)), N(3))),
    ("~1 + 2", binop("+", "UnaryOp(op='~', operand=%s)" % N(1), N(2))),
    ('"sip:" + $rU + "@x"', binop("+", binop("+", S("sip:"), PV("$rU")), S("@x"))),
    ('is_method("INVITE")', call("is_method", S("INVITE"))),
    ("$var(a) == 1", cmp("==", PV("$var(a)"), N(1))),
    ("$a - 1", binop("-", PV("$a"), N(1))),
])
def test_assign_values(src, expected):
    assert d(rhs(src)) == expected


# --- conditions --------------------------------------------------------------
@pytest.mark.parametrize("src,expected", [
    ('method=="INVITE"', cmp("==", A("method"), S("INVITE"))),
    ("method==INVITE", cmp("==", A("method"), W("INVITE"))),
    ('method!="ACK"', cmp("!=", A("method"), S("ACK"))),
    ('method=~"^(A|B)"', cmp("=~", A("method"), S("^(A|B)"))),
    ('method > "A"', cmp(">", A("method"), S("A"))),
    ("uri==myself", cmp("==", A("uri"), ME)),
    ("status==\"200\"", cmp("==", A("status"), S("200"))),
    ("from_uri!=myself", cmp("!=", A("from_uri"), ME)),
    ('to_uri=~"x"', cmp("=~", A("to_uri"), S("x"))),
    ("uri==a.example.com", cmp("==", A("uri"), W("a.example.com"))),
    ("src_ip==10.0.0.0/8", cmp("==", A("src_ip"), "IpNet(addr=%s, mask=%s)"
                               % (ip("10.0.0.0"), N(8)))),
    ("src_ip==1.2.3.0/255.255.255.0", cmp("==", A("src_ip"), "IpNet(addr=%s, mask=%s)"
                                          % (ip("1.2.3.0"), ip("255.255.255.0")))),
    ("dst_ip!=1.2.3.4", cmp("!=", A("dst_ip"), ip("1.2.3.4"))),
    ("src_ip==fe80::/10", cmp("==", A("src_ip"), "IpNet(addr=%s, mask=%s)"
                              % (ip("fe80::", 6), N(10)))),
    ("src_ip==[::1]", cmp("==", A("src_ip"), ip("::1", 6))),
    ('src_ip=="10.0.0.1"', cmp("==", A("src_ip"), S("10.0.0.1"))),
    ('src_ip=~"^10"', cmp("=~", A("src_ip"), S("^10"))),
    ("src_ip==localhost", cmp("==", A("src_ip"), W("localhost"))),
    ("dst_ip==myself", cmp("==", A("dst_ip"), ME)),
    ("src_port==5060", cmp("==", A("src_port"), N(5060))),
    ("dst_port>=1024", cmp(">=", A("dst_port"), N(1024))),
    ("proto==udp", cmp("==", A("proto"), "ProtoName(name='udp')")),
    ("proto!=TLS", cmp("!=", A("proto"), "ProtoName(name='tls')")),
    ("af==inet6", cmp("==", A("af"), N(10, "inet6"))),
    ("msg:len>1500", cmp(">", A("msg:len"), N(1500))),
    ("msg:len>=max_len", cmp(">=", A("msg:len"), "MaxLen()")),
    ("myself==uri", cmp("==", ME, A("uri"))),
    ("myself!=src_ip", cmp("!=", ME, A("src_ip"))),
    ("$avp(s:x)==null", cmp("==", PV("$avp(s:x)"), "Null()")),
    ("$rd==myself", cmp("==", PV("$rd"), ME)),
    ("$var(i)<10", cmp("<", PV("$var(i)"), N(10))),
    ("$var(i)!=-1", cmp("!=", PV("$var(i)"), N(-1))),
    ('$rU=~"^0"', cmp("=~", PV("$rU"), S("^0"))),
    ("$rm==INVITE", cmp("==", PV("$rm"), W("INVITE"))),
    ("$a==$b", cmp("==", PV("$a"), PV("$b"))),
    ("$(hdr(Via)[1])!=$hdr(Via)[-1]",
     cmp("!=", PV("$(hdr(Via)[1])"), PV("$hdr(Via)[-1]"))),
    ("$(ru{uri.user}{s.len}) > 3", cmp(">", PV("$(ru{uri.user}{s.len})"), N(3))),
    ("$var(flag)", PV("$var(flag)")),
    ("1", N(1)),
    ("-1", N(-1)),
    ("has_totag()", call("has_totag")),
    ("isdsturiset", "Call(name='isdsturiset', args=[], parens=False)"),
    ("[$var(i) + 1]", "ExprCond(expr=%s)" % binop("+", PV("$var(i)"), N(1))),
    ("{ f(); }", "Block(stmts=[%s])" % call("f")),
    ("$var(t) = 3", "Assign(target=%s, op='=', value=%s)" % (PV("$var(t)"), N(3))),
])
def test_condition_operands(src, expected):
    assert d(cond(src)) == expected


@pytest.mark.parametrize("src", [
    "src_port =~ 5",          # int operands take == != < > <= >= only
    "method == 5",            # method needs a string or word
    "proto == foo",
    "uri > myself",           # myself only with == / !=
    "af == yesterday",
    "$a == $b == $c",         # comparisons are non-associative
    "myself == method",
    "src_ip == 1.2.3.4/",
    "msg:len == \"x\"",
])
def test_condition_syntax_errors(src):
    assert syntax_error("route { if (%s) exit; }" % src)


def test_and_or_have_equal_precedence_left_assoc():
    assert d(cond("a || b && c")) == binop(
        "&&", binop("||", "Call(name='a', args=[], parens=False)",
                    "Call(name='b', args=[], parens=False)"),
        "Call(name='c', args=[], parens=False)")
    assert d(cond("a && b || c")) == binop(
        "||", binop("&&", "Call(name='a', args=[], parens=False)",
                    "Call(name='b', args=[], parens=False)"),
        "Call(name='c', args=[], parens=False)")


def test_parentheses_group():
    node = cond("a || (b && c)")
    assert node.op == "||" and node.right.op == "&&"


def test_not_binds_tightest_and_covers_a_comparison():
    assert d(cond('!method=="REGISTER"')) == "UnaryOp(op='!', operand=%s)" % cmp(
        "==", A("method"), S("REGISTER"))
    node = cond('is_method("INVITE") && !has_totag()')
    assert d(node) == binop("&&", call("is_method", S("INVITE")),
                            "UnaryOp(op='!', operand=%s)" % call("has_totag"))
    node = cond("!a && b")
    assert node.op == "&&" and node.left.op == "!"


def test_word_operators():
    node = cond("not a and b or c")
    assert d(node) == d(cond("!a && b || c"))


# --- coordinates -------------------------------------------------------------
def test_coordinates():
    cfg = parse_string('debug=3\n\nroute {\n\tif (uri == myself) {\n'
                       '\t\txlog("L_INFO", "x");\n\t}\n}\n', "c.cfg")
    param, route = cfg.items
    assert param.coord == ("c.cfg", 1, 1)
    assert param.value.coord == ("c.cfg", 1, 7)
    assert route.coord == ("c.cfg", 3, 1)
    if_ = route.body[0]
    assert if_.coord == ("c.cfg", 4, 2)
    assert if_.cond.coord == ("c.cfg", 4, 6)
    assert if_.cond.right.coord == ("c.cfg", 4, 13)
    xlog = if_.iftrue.stmts[0]
    assert xlog.coord == ("c.cfg", 5, 3)
    assert [a.coord for a in xlog.args] == [("c.cfg", 5, 8), ("c.cfg", 5, 18)]
    assert str(xlog.coord) == "c.cfg:5:3"


def test_every_node_has_a_coord():
    cfg = parse_string(open_sample("syntax-showcase.cfg"), "s.cfg")
    missing = []

    def walk(node):
        if node.coord is None and not (isinstance(node, ast.Block)
                                       and not node.stmts):
            missing.append(d(node))
        for child in node:
            walk(child)
    walk(cfg)
    assert missing == []


def open_sample(name):
    import os
    here = os.path.dirname(__file__)
    with open(os.path.join(here, "..", "..", "data", "cfg", name)) as f:
        return f.read()


# --- node helpers ------------------------------------------------------------
def test_node_api():
    node = ast.Call("f", [ast.Number(1, "1")], True, coord=ast.Coord("x", 1, 2))
    assert node.fields() == [("name", "f"), ("args", node.args), ("parens", True)]
    assert [n for n, _ in node.children()] == ["args[0]"]
    assert ast.equal(node, ast.Call("f", [ast.Number(1, "1")], True))
    assert not ast.equal(node, ast.Call("f", [ast.Number(2, "2")], True))
    assert not ast.equal(node, ast.Call("g", [ast.Number(1, "1")], True))
    with pytest.raises(TypeError):
        ast.Call("f", [], True, bogus=1)
    with pytest.raises(AttributeError):
        node.other = 1                       # __slots__


def test_node_visitor():
    class Counter(ast.NodeVisitor):
        def __init__(self):
            self.calls = []

        def visit_Call(self, node):
            self.calls.append(node.name)
            self.generic_visit(node)

    v = Counter()
    v.visit(parse("route { a(); if (b()) { c(); } }"))
    assert v.calls == ["a", "b", "c"]


# --- forms real 1.3 configs use (from the issue) ----------------------------
@pytest.mark.parametrize("src", [
    "route { exit(); exit; drop; return; }",
    "route { if (method==INVITE) exit; if (method==\"INVITE\") exit; }",
    'route { lookup ("location"); };',
    'mpath=" ./modules/"',
    'modparam("usrloc", "db_url",\n    "mysql://openser:openserrw@localhost/openser")',
    "route { if (uri==myself) exit; }",
    'route { if (!method=="REGISTER") exit; }',
    'route { if (is_method("INVITE") && !has_totag()) exit; }',
    "listen=udp:127.0.0.1:5060",
    "listen=127.0.0.1",
    'alias="example.com"',
    'route { t_on_failure("1"); route(1); }',
    'route { append_hf("P-hint: foo\\r\\n"); }',
    'route { xlog("L_INFO", "$rm from $fu\\n"); }',
    "route { $avp(s:caller) = $fu; }",
    "route { $var(i) = $var(i) + 1; }",
    "route { switch($retcode) { case -1: f(); break; default: g(); } }",
    "route { while($var(i) < 10) { $var(i) = $var(i) + 1; } }",
    "route { if (src_ip==10.0.0.0/8) exit; }",
])
def test_real_world_forms(src):
    assert parse(src).items


def test_crlf_line_endings_and_no_final_newline():
    cfg = parse_string("debug=3\r\nroute {\r\n\txlog(\"a\");\r\n}\r\n# end", "w.cfg")
    assert cfg.items[1].body[0].coord == ("w.cfg", 3, 2)
