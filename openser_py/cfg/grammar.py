# ----------------------------------------------------------------------
# openser_py.cfg.grammar: PLY grammar of openser.cfg (OpenSER 1.3)
#
# p_* rules only; docstrings are the grammar.  Each rule builds ast
# nodes with coordinates; nothing here knows which functions, modules
# or core parameters exist (see cfg.parser for the driver and
# core.coreparams / the checker for meaning).
# ----------------------------------------------------------------------
"""LALR grammar for OpenSER 1.3 configuration files.

Expression quirks kept from OpenSER 1.3's cfg.y (reference section 1.6):

* ``&&``/``and`` and ``||``/``or`` have the SAME precedence and are
  left-associative: ``a || b && c`` is ``(a || b) && c``.
* ``!``/``not`` and ``~`` bind tightest (right-associative).  A comparison
  is one elementary condition, so ``!method == "X"`` is ``!(method == "X")``.
* Arithmetic ``+ - * / %`` is ONE level (left-assoc: ``1+2*3`` is 9); the
  bitwise ``| & ^`` level is below it.  Arithmetic only appears on the right
  of an assignment and inside ``[ ... ]`` conditions.
* Comparisons are not binary operators but fixed shapes
  ``operand OP value`` (non-associative); which operators and right-hand
  values an operand accepts is part of the grammar, as in 1.3
  (``src_port =~ 5`` is a syntax error).
* ``( exp )`` is only grouping; no node is kept for it.

Deliberately more permissive than cfg.y (the checker narrows these down):
global ``name = value`` is generic (names/types: core.coreparams); calls
take any number of arguments of any literal kind and any identifier may be
used without parentheses (``append_branch;``); ``default:`` may end with
``break;``; parameter values may be signed; a stray ``;`` is allowed at top
level (``};``).  Route numbers are not range-checked and duplicate blocks
are not detected here.  Checked here: failure_route/branch_route need
``[N]``, error_route takes none, IPv4 octets <= 255, mask bits <= 32/128.

Error recovery resynchronises at ``;`` (statements), at ``}`` (blocks), at
``)`` (call arguments, parenthesised conditions) and, at top level, at the
start of the next global statement.
"""
from openser_py.cfg import ast
from openser_py.cfg.lexer import CfgLexer


class CfgGrammar(object):
    """PLY rules.  The driver (cfg.parser) sets ``lexer`` (a CfgLexer),
    ``error_func(msg, coord)`` for errors found while building nodes and
    ``on_syntax_error(token_or_None)`` for PLY's syntax errors."""

    tokens = CfgLexer.tokens
    start = "config"

    # LOWER is a fictitious token: rules marked "%prec LOWER" lose their
    # shift/reduce conflicts (dangling else; inside "[ ... ]" the host in
    # "uri == a-b" keeps its dash and "src_ip == 1.2.3.0/24" its mask).
    precedence = (
        ("nonassoc", "LOWER"),
        ("nonassoc", "ELSE"),
        ("left", "OR", "AND"),
        ("left", "BOR", "BAND", "BXOR"),
        ("left", "PLUS", "MINUS", "SLASH", "MULT", "MODULO"),
        ("right", "NOT", "BNOT"),
    )

    lexer = None
    error_func = None
    on_syntax_error = None

    # --- helpers (not rules) ---------------------------------------------
    def _coord(self, p, i):
        tok = p.slice[i]
        return ast.Coord(self.lexer.filename, tok.lineno,
                         self.lexer.find_column(tok.lexpos))

    def _number(self, p, i):
        value, text = p[i]
        return ast.Number(value, text, coord=self._coord(p, i))

    def p_error(self, tok):
        # message building (expected tokens...) is the driver's job
        self.on_syntax_error(tok)

    # --- file structure ----------------------------------------------------
    def p_config(self, p):
        """ config : top_list """
        p[0] = ast.Config(p[1], coord=ast.Coord(self.lexer.filename, 1, 1))

    def p_top_list(self, p):
        """ top_list : top_list top_item
                     | empty
        """
        if len(p) == 2:
            p[0] = []
        else:
            p[0] = p[1]
            if p[2] is not None:
                p[0].append(p[2])

    def p_top_item(self, p):
        """ top_item : top_stmt
                     | error top_stmt
        """
        p[0] = p[len(p) - 1]

    def p_top_stmt(self, p):
        """ top_stmt : param_assign
                     | loadmodule
                     | modparam
                     | route_block
                     | domain_block
        """
        p[0] = p[1]

    def p_top_stmt_empty(self, p):
        """ top_stmt : SEMICOLON """
        p[0] = None

    def p_empty(self, p):
        """ empty : """
        p[0] = None

    def p_loadmodule(self, p):
        """ loadmodule : LOADMODULE STRING """
        p[0] = ast.LoadModule(ast.String(p[2], coord=self._coord(p, 2)),
                              coord=self._coord(p, 1))

    def p_modparam(self, p):
        """ modparam : MODPARAM LPAREN STRING COMMA STRING COMMA STRING RPAREN
                     | MODPARAM LPAREN STRING COMMA STRING COMMA snumber RPAREN
        """
        value = p[7]
        if not isinstance(value, ast.Node):
            value = ast.String(value, coord=self._coord(p, 7))
        p[0] = ast.ModParam(ast.String(p[3], coord=self._coord(p, 3)),
                            ast.String(p[5], coord=self._coord(p, 5)),
                            value, coord=self._coord(p, 1))

    def p_modparam_error(self, p):
        """ modparam : MODPARAM LPAREN error RPAREN """
        p[0] = None

    # --- global parameters ---------------------------------------------------
    def p_param_assign(self, p):
        """ param_assign : PARAMNAME EQUAL param_value """
        p[0] = ast.CoreParam(p[1], p[3], coord=self._coord(p, 1))

    def p_param_value_number(self, p):
        """ param_value : snumber """
        p[0] = p[1]

    def p_param_value_sockets(self, p):
        """ param_value : socket_list """
        specs = p[1]
        p[0] = specs[0] if len(specs) == 1 else ast.SocketList(
            specs, coord=specs[0].coord)

    def p_param_value_blacklist(self, p):
        """ param_value : listen_id COLON LBRACE blacklist_rules RBRACE """
        if not isinstance(p[1], ast.Word):
            self.error_func("blacklist name expected", p[1].coord)
            p[0] = None
            return
        p[0] = ast.Blacklist(p[1].name, p[4], coord=p[1].coord)

    def p_blacklist_rules(self, p):
        """ blacklist_rules : blacklist_rule
                            | blacklist_rules COMMA blacklist_rule
        """
        p[0] = [p[1]] if len(p) == 2 else p[1] + [p[3]]

    def p_blacklist_rule(self, p):
        """ blacklist_rule : LPAREN proto COMMA ipnet COMMA port COMMA STRING RPAREN
                           | NOT LPAREN proto COMMA ipnet COMMA port COMMA STRING RPAREN
        """
        neg = len(p) == 11
        i = 2 if neg else 1
        p[0] = ast.BlacklistRule(
            neg, p[i + 1].name, p[i + 3], p[i + 5],
            ast.String(p[i + 7], coord=self._coord(p, i + 7)),
            coord=self._coord(p, 1))

    def p_domain_block(self, p):
        """ domain_block : domain_kw LBRACK phostport RBRACK LBRACE domain_params RBRACE """
        name, coord = p[1]
        p[0] = ast.DomainBlock(name, p[3], p[6], coord=coord)

    def p_domain_kw(self, p):
        """ domain_kw : TLS_SERVER_DOMAIN
                      | TLS_CLIENT_DOMAIN
        """
        p[0] = (p[1], self._coord(p, 1))

    def p_domain_params(self, p):
        """ domain_params : domain_params param_assign
                          | empty
        """
        p[0] = [] if len(p) == 2 else p[1] + [p[2]]

    # --- socket specs, hosts, addresses ----------------------------------------
    def p_socket_list(self, p):
        """ socket_list : phostport
                        | socket_list phostport
        """
        p[0] = [p[1]] if len(p) == 2 else p[1] + [p[2]]

    def p_phostport(self, p):
        """ phostport : listen_id
                      | listen_id COLON port
                      | proto COLON listen_id
                      | proto COLON listen_id COLON port
        """
        if len(p) == 2:
            p[0] = p[1]
        elif len(p) == 6:
            p[0] = ast.SocketSpec(p[1].name, p[3], p[5], coord=p[1].coord)
        elif isinstance(p[1], ast.ProtoName):
            p[0] = ast.SocketSpec(p[1].name, p[3], None, coord=p[1].coord)
        else:
            p[0] = ast.SocketSpec(None, p[1], p[3], coord=p[1].coord)

    def p_listen_id_ip(self, p):
        """ listen_id : ip
                      | host
        """
        p[0] = p[1]

    def p_listen_id_string(self, p):
        """ listen_id : STRING """
        p[0] = ast.String(p[1], coord=self._coord(p, 1))

    def p_host(self, p):
        """ host : ID
                 | host DOT ID
                 | host MINUS ID
        """
        if len(p) == 2:
            p[0] = ast.Word(p[1], coord=self._coord(p, 1))
        else:
            p[0] = p[1]
            p[0].name += p[2] + p[3]

    def p_proto(self, p):
        """ proto : UDP
                  | TCP
                  | TLS
                  | SCTP
                  | ANY
        """
        p[0] = ast.ProtoName(p[1].lower(), coord=self._coord(p, 1))

    def p_port(self, p):
        """ port : NUMBER
                 | ANY
        """
        if p.slice[1].type == "ANY":
            p[0] = ast.Number(0, "any", coord=self._coord(p, 1))
        else:
            p[0] = self._number(p, 1)

    def p_snumber(self, p):
        """ snumber : NUMBER
                    | PLUS NUMBER
                    | MINUS NUMBER
        """
        if len(p) == 2:
            p[0] = self._number(p, 1)
        else:
            value, text = p[2]
            if p[1] == "-":
                value, text = -value, "-" + text
            p[0] = ast.Number(value, text, coord=self._coord(p, 1))

    def p_ip(self, p):
        """ ip : ipv4
               | ipv6
        """
        p[0] = p[1]

    def p_ipv4(self, p):
        """ ipv4 : NUMBER DOT NUMBER DOT NUMBER DOT NUMBER """
        octets = [p[i][0] for i in (1, 3, 5, 7)]
        coord = self._coord(p, 1)
        if any(o > 255 for o in octets):
            self.error_func("invalid IPv4 address '%s'" % ".".join(
                p[i][1] for i in (1, 3, 5, 7)), coord)
        p[0] = ast.IpAddr(".".join(str(o) for o in octets), 4, coord=coord)

    def p_ipv6(self, p):
        """ ipv6 : IPV6ADDR
                 | LBRACK IPV6ADDR RBRACK
        """
        i = len(p) - 2 if len(p) == 4 else 1
        p[0] = ast.IpAddr(p[i].lower(), 6, coord=self._coord(p, 1))

    def p_ipnet(self, p):
        """ ipnet : ip %prec LOWER
                  | ip SLASH ip
                  | ip SLASH NUMBER
        """
        if len(p) == 2:
            p[0] = p[1]
            return
        mask = p[3]
        if isinstance(mask, tuple):
            mask = self._number(p, 3)
            if mask.value > (32 if p[1].version == 4 else 128):
                self.error_func("invalid bit number in netmask", mask.coord)
        p[0] = ast.IpNet(p[1], mask, coord=p[1].coord)

    # --- route blocks ----------------------------------------------------------
    def p_route_block(self, p):
        """ route_block : route_kw block
                        | route_kw LBRACK NUMBER RBRACK block
        """
        kind, coord = p[1]
        index = p[3][0] if len(p) == 6 else None
        if index is None and kind in ("failure_route", "branch_route"):
            self.error_func("%s needs a number: %s[N]" % (kind, kind), coord)
        if index is not None and kind == "error_route":
            self.error_func("error_route takes no number", coord)
        p[0] = ast.Route(kind, index, p[len(p) - 1].stmts, coord=coord)

    def p_route_kw(self, p):
        """ route_kw : ROUTE
                     | ROUTE_FAILURE
                     | ROUTE_ONREPLY
                     | ROUTE_BRANCH
                     | ROUTE_ERROR
        """
        p[0] = (p[1], self._coord(p, 1))

    # --- statements ------------------------------------------------------------
    def p_block(self, p):
        """ block : LBRACE stmt_list RBRACE
                  | LBRACE stmt_list error RBRACE
        """
        p[0] = ast.Block(p[2], coord=self._coord(p, 1))

    def p_stmt_list(self, p):
        """ stmt_list : stmt_list stmt
                      | empty
        """
        if len(p) == 2:
            p[0] = []
        else:
            p[0] = p[1]
            if p[2] is not None:
                p[0].append(p[2])

    def p_stmt_simple(self, p):
        """ stmt : cmd SEMICOLON
                 | assign SEMICOLON
        """
        p[0] = p[1]

    def p_stmt_compound(self, p):
        """ stmt : if_stmt
                 | while_stmt
                 | switch_stmt
        """
        p[0] = p[1]

    def p_stmt_empty(self, p):
        """ stmt : SEMICOLON
                 | error SEMICOLON
        """
        p[0] = None

    def p_stm(self, p):
        """ stm : stmt
                | block
        """
        # a lone ';' (or a statement lost to an error) is an empty block
        p[0] = p[1] if p[1] is not None else ast.Block([])

    def p_if_stmt(self, p):
        """ if_stmt : IF exp stm %prec LOWER
                    | IF exp stm ELSE stm
        """
        iffalse = p[5] if len(p) == 6 else None
        p[0] = ast.If(p[2], p[3], iffalse, coord=self._coord(p, 1))

    def p_while_stmt(self, p):
        """ while_stmt : WHILE exp stm """
        p[0] = ast.While(p[2], p[3], coord=self._coord(p, 1))

    def p_switch_stmt(self, p):
        """ switch_stmt : SWITCH LPAREN PVAR RPAREN LBRACE case_list default_opt RBRACE """
        subject = ast.PV(p[3], coord=self._coord(p, 3))
        p[0] = ast.Switch(subject, p[6], p[7], coord=self._coord(p, 1))

    def p_switch_stmt_error(self, p):
        """ switch_stmt : SWITCH LPAREN PVAR RPAREN LBRACE error RBRACE """
        p[0] = None

    def p_case_list(self, p):
        """ case_list : case
                      | case_list case
        """
        p[0] = [p[1]] if len(p) == 2 else p[1] + [p[2]]

    def p_case(self, p):
        """ case : CASE case_value COLON stmt_list
                 | CASE case_value COLON stmt_list BREAK SEMICOLON
        """
        p[0] = ast.Case(p[2], p[4], len(p) == 7, coord=self._coord(p, 1))

    def p_case_value(self, p):
        """ case_value : snumber
                       | STRING
        """
        p[0] = p[1] if isinstance(p[1], ast.Node) else ast.String(
            p[1], coord=self._coord(p, 1))

    def p_default_opt(self, p):
        """ default_opt : empty
                        | DEFAULT COLON stmt_list
                        | DEFAULT COLON stmt_list BREAK SEMICOLON
        """
        if len(p) == 2:
            p[0] = None
        else:
            p[0] = ast.Default(p[3], len(p) == 6, coord=self._coord(p, 1))

    # --- commands ----------------------------------------------------------------
    def p_cmd(self, p):
        """ cmd : flow_cmd
                | call
        """
        p[0] = p[1]

    def p_cmd_bare(self, p):
        """ cmd : ID """
        p[0] = ast.Call(p[1], [], False, coord=self._coord(p, 1))

    def p_flow_cmd_exit(self, p):
        """ flow_cmd : EXIT
                     | EXIT LPAREN RPAREN
        """
        p[0] = ast.Exit(coord=self._coord(p, 1))

    def p_flow_cmd_drop(self, p):
        """ flow_cmd : DROP
                     | DROP LPAREN RPAREN
        """
        p[0] = ast.Drop(coord=self._coord(p, 1))

    def p_flow_cmd_return(self, p):
        """ flow_cmd : RETURN
                     | RETURN LPAREN RPAREN
                     | RETURN LPAREN snumber RPAREN
        """
        value = p[3] if len(p) == 5 else None
        p[0] = ast.Return(value, coord=self._coord(p, 1))

    def p_flow_cmd_route(self, p):
        """ flow_cmd : ROUTE LPAREN NUMBER RPAREN """
        p[0] = ast.RouteCall(p[3][0], coord=self._coord(p, 1))

    def p_call(self, p):
        """ call : ID LPAREN RPAREN
                 | ID LPAREN arg_list RPAREN
        """
        args = p[3] if len(p) == 5 else []
        p[0] = ast.Call(p[1], args, True, coord=self._coord(p, 1))

    def p_call_error(self, p):
        """ call : ID LPAREN error RPAREN """
        p[0] = ast.Call(p[1], [], True, coord=self._coord(p, 1))

    def p_arg_list(self, p):
        """ arg_list : arg
                     | arg_list COMMA arg
        """
        p[0] = [p[1]] if len(p) == 2 else p[1] + [p[3]]

    def p_arg(self, p):
        """ arg : snumber
                | phostport
                | pv
        """
        p[0] = p[1]

    # --- assignments ---------------------------------------------------------------
    def p_assign(self, p):
        """ assign : pv assignop assignexp
                   | pv EQUAL null
                   | pv COLONEQ null
        """
        p[0] = ast.Assign(p[1], p[2], p[3], coord=p[1].coord)

    def p_assignop(self, p):
        """ assignop : EQUAL
                     | COLONEQ
                     | PLUSEQ
                     | MINUSEQ
                     | SLASHEQ
                     | MULTEQ
                     | MODULOEQ
                     | BANDEQ
                     | BOREQ
                     | BXOREQ
        """
        p[0] = p[1]

    def p_assignexp_value(self, p):
        """ assignexp : snumber
                      | cond
                      | flow_cmd
                      | call
                      | pv
        """
        p[0] = p[1]

    def p_assignexp_string(self, p):
        """ assignexp : STRING """
        p[0] = ast.String(p[1], coord=self._coord(p, 1))

    def p_assignexp_word(self, p):
        """ assignexp : ID """
        p[0] = ast.Word(p[1], coord=self._coord(p, 1))

    def p_assignexp_binary(self, p):
        """ assignexp : assignexp PLUS assignexp
                      | assignexp MINUS assignexp
                      | assignexp MULT assignexp
                      | assignexp SLASH assignexp
                      | assignexp MODULO assignexp
                      | assignexp BAND assignexp
                      | assignexp BOR assignexp
                      | assignexp BXOR assignexp
        """
        p[0] = ast.BinaryOp(p[2], p[1], p[3], coord=p[1].coord)

    def p_assignexp_bnot(self, p):
        """ assignexp : BNOT assignexp """
        p[0] = ast.UnaryOp("~", p[2], coord=self._coord(p, 1))

    def p_assignexp_paren(self, p):
        """ assignexp : LPAREN assignexp RPAREN """
        p[0] = p[2]

    # --- conditions ------------------------------------------------------------------
    def p_exp_logical(self, p):
        """ exp : exp AND exp
                | exp OR exp
        """
        op = "&&" if p.slice[2].type == "AND" else "||"
        p[0] = ast.BinaryOp(op, p[1], p[3],
                            coord=p[1].coord if p[1] else self._coord(p, 2))

    def p_exp_not(self, p):
        """ exp : NOT exp """
        p[0] = ast.UnaryOp("!", p[2], coord=self._coord(p, 1))

    def p_exp_paren(self, p):
        """ exp : LPAREN exp RPAREN """
        p[0] = p[2]

    def p_exp_paren_error(self, p):
        """ exp : LPAREN error RPAREN """
        p[0] = None

    def p_exp_bracket(self, p):
        """ exp : LBRACK assignexp RBRACK """
        p[0] = ast.ExprCond(p[2], coord=self._coord(p, 1))

    def p_exp_elem(self, p):
        """ exp : cond
                | cmd
                | assign
                | snumber
                | block
                | pv
        """
        p[0] = p[1]

    def p_eqop(self, p):
        """ eqop : EQUAL_T
                 | DIFF
        """
        p[0] = p[1]

    def p_relop(self, p):
        """ relop : GT
                  | LT
                  | GTE
                  | LTE
        """
        p[0] = p[1]

    def p_matchop(self, p):
        """ matchop : MATCH
                    | NOTMATCH
        """
        p[0] = p[1]

    def p_strop(self, p):
        """ strop : eqop
                  | relop
                  | matchop
        """
        p[0] = p[1]

    def p_intop(self, p):
        """ intop : eqop
                  | relop
        """
        p[0] = p[1]

    def p_uri_type(self, p):
        """ uri_type : URI
                     | FROM_URI
                     | TO_URI
        """
        p[0] = ast.MsgAttr(p[1], coord=self._coord(p, 1))

    def p_ip_type(self, p):
        """ ip_type : SRCIP
                    | DSTIP
        """
        p[0] = ast.MsgAttr(p[1], coord=self._coord(p, 1))

    def p_int_type(self, p):
        """ int_type : SRCPORT
                     | DSTPORT
                     | AF
        """
        p[0] = ast.MsgAttr(p[1], coord=self._coord(p, 1))

    def p_cond_method(self, p):
        """ cond : METHOD strop STRING
                 | METHOD strop ID
        """
        cls = ast.String if p.slice[3].type == "STRING" else ast.Word
        p[0] = ast.Compare(p[2], ast.MsgAttr(p[1], coord=self._coord(p, 1)),
                           cls(p[3], coord=self._coord(p, 3)),
                           coord=self._coord(p, 1))

    def p_cond_uri(self, p):
        """ cond : uri_type eqop myself
                 | ip_type eqop myself
                 | ip_type eqop ipnet
                 | int_type intop number
                 | msglen intop number
                 | pv strop pv
                 | pv strop word
                 | pv intop snumber
                 | pv eqop myself
                 | pv eqop null
        """
        p[0] = ast.Compare(p[2], p[1], p[3], coord=p[1].coord)

    def p_cond_host(self, p):
        """ cond : uri_type strop host %prec LOWER
                 | ip_type strop host %prec LOWER
        """
        p[0] = ast.Compare(p[2], p[1], p[3], coord=p[1].coord)

    def p_cond_string(self, p):
        """ cond : uri_type strop STRING
                 | ip_type strop STRING
                 | pv strop STRING
        """
        p[0] = ast.Compare(p[2], p[1], ast.String(p[3], coord=self._coord(p, 3)),
                           coord=p[1].coord)

    def p_cond_proto(self, p):
        """ cond : PROTO intop proto """
        p[0] = ast.Compare(p[2], ast.MsgAttr(p[1], coord=self._coord(p, 1)),
                           p[3], coord=self._coord(p, 1))

    def p_cond_msglen_max(self, p):
        """ cond : msglen intop MAX_LEN """
        p[0] = ast.Compare(p[2], p[1], ast.MaxLen(coord=self._coord(p, 3)),
                           coord=p[1].coord)

    def p_msglen(self, p):
        """ msglen : MSGLEN """
        p[0] = ast.MsgAttr(p[1], coord=self._coord(p, 1))

    def p_cond_myself(self, p):
        """ cond : myself eqop uri_type
                 | myself eqop ip_type
        """
        p[0] = ast.Compare(p[2], p[1], p[3], coord=p[1].coord)

    def p_myself(self, p):
        """ myself : MYSELF """
        p[0] = ast.Myself(coord=self._coord(p, 1))

    def p_null(self, p):
        """ null : NULL """
        p[0] = ast.Null(coord=self._coord(p, 1))

    def p_pv(self, p):
        """ pv : PVAR """
        p[0] = ast.PV(p[1], coord=self._coord(p, 1))

    def p_word(self, p):
        """ word : ID """
        p[0] = ast.Word(p[1], coord=self._coord(p, 1))

    def p_number(self, p):
        """ number : NUMBER """
        p[0] = self._number(p, 1)
