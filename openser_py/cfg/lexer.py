# ----------------------------------------------------------------------
# openser_py.cfg.lexer: PLY lexer for openser.cfg (OpenSER 1.3)
#
# Tokens only.  Lexical rules follow OpenSER 1.3's cfg.lex (reference
# section 1.1); the grammar lives in grammar.py.
# ----------------------------------------------------------------------
"""Tokenizer for OpenSER 1.3 configuration files.

Differences from cfg.lex worth knowing:

* core parameter and core action names are *not* keywords: they are ``ID``
  tokens (the registry in ``openser_py.core.coreparams`` and the checker
  give them meaning).  To keep ``listen=a b`` lists unambiguous, an
  identifier followed by ``=`` (but not ``==`` / ``=~``) is returned as
  ``PARAMNAME``; that position only occurs in global assignments.
* ``tls_server_domain`` / ``tls_client_domain`` are keywords (they start
  blocks, like ``route``).
* a pseudo-variable at depth 0 stops, as in 1.3, before whitespace, ``;``,
  ``)``, ``:=`` and operator characters, and also before ``,`` ``}`` ``]``
  and quotes; ``$hdr(X)[1]`` / ``$var(x){s.len}`` keep their trailing
  index / transformations in the token (OpenSER writes ``$(hdr(X)[1])``).
* NUMBER tokens carry ``(value, text)`` so ``yes``/``inet``/``0x1f`` keep
  their spelling; ``08``/``09`` are reported instead of being split.
* ``#`` comments are a plain rule; strings and nested ``/* */`` comments
  use exclusive lexer states so unterminated ones are reported at their
  start.

Errors go to ``error_func(msg, line, col)``; the lexer skips the bad input
and goes on, so one pass reports every lexical error.
"""
import re

import ply.lex

KEYWORDS = {
    "if": "IF", "else": "ELSE", "switch": "SWITCH", "case": "CASE",
    "default": "DEFAULT", "break": "BREAK", "esac": "BREAK", "while": "WHILE",
    "route": "ROUTE", "failure_route": "ROUTE_FAILURE",
    "onreply_route": "ROUTE_ONREPLY", "branch_route": "ROUTE_BRANCH",
    "error_route": "ROUTE_ERROR",
    "tls_server_domain": "TLS_SERVER_DOMAIN",
    "tls_client_domain": "TLS_CLIENT_DOMAIN",
    "loadmodule": "LOADMODULE", "modparam": "MODPARAM",
    "exit": "EXIT", "drop": "DROP", "return": "RETURN",
    "method": "METHOD", "uri": "URI", "status": "URI",
    "from_uri": "FROM_URI", "to_uri": "TO_URI",
    "src_ip": "SRCIP", "src_port": "SRCPORT",
    "dst_ip": "DSTIP", "dst_port": "DSTPORT",
    "proto": "PROTO", "af": "AF", "myself": "MYSELF", "max_len": "MAX_LEN",
    "null": "NULL", "NULL": "NULL",
    "udp": "UDP", "UDP": "UDP", "tcp": "TCP", "TCP": "TCP",
    "tls": "TLS", "TLS": "TLS", "sctp": "SCTP", "SCTP": "SCTP",
    "any": "ANY",
    "and": "AND", "or": "OR", "not": "NOT",
}

# words the lexer turns into NUMBER tokens
NUMBER_WORDS = {
    "yes": 1, "true": 1, "on": 1, "enable": 1,
    "no": 0, "false": 0, "off": 0, "disable": 0,
    "inet": 2, "INET": 2, "inet6": 10, "INET6": 10,
}

_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "a": "\a", "t": "\t",
                   '"': '"', "\\": "\\"}

# characters that end a pseudo-variable at parenthesis depth 0
_PV_STOP = frozenset(";,)}]\"'=+-*/%&|^~!<>")
_PV_TRANS = re.compile(r"\{[A-Za-z]+\.")
_PARAM_ASSIGN = re.compile(r"[ \t\r]*=(?![=~])")
_HEX4 = r"[0-9a-fA-F]{1,4}"
# the five IPv6 forms of cfg.lex (full, a::b, ::b, a::, ::)
_IPV6_RE = (r"(?:(?:H:){7}H|(?:H:){1,7}(?::H){1,7}|:(?::H){1,7}"
            r"|(?:H:){1,7}:|::)(?![0-9A-Za-z_])").replace("H", _HEX4)


class CfgLexer(object):
    """PLY lexer; build() once, then input() text for each file.

    ``error_func(msg, line, col)`` is called for every lexical error; the
    offending input is skipped and lexing continues.
    """

    def __init__(self, error_func):
        self.error_func = error_func
        self.filename = "<string>"
        self.lexer = None
        self._comment_depth = 0
        self._start = None           # (lexpos, lineno) of string/comment
        self._parts = []

    def build(self, **kwargs):
        self.lexer = ply.lex.lex(object=self, optimize=False, debug=False,
                                 **kwargs)

    def input(self, text, filename="<string>"):
        self.filename = filename
        self.lexer.input(text)
        self.lexer.lineno = 1
        self.lexer.begin("INITIAL")
        self._comment_depth = 0
        self._parts = []

    def token(self):
        return self.lexer.token()

    def __iter__(self):
        return iter(self.lexer.token, None)

    def find_column(self, lexpos):
        """1-based column of offset *lexpos* (tab = one column)."""
        data = self.lexer.lexdata
        return lexpos - data.rfind("\n", 0, lexpos)

    def _error(self, msg, lexpos, lineno):
        self.error_func(msg, lineno, self.find_column(lexpos))

    # ---------------------------------------------------------------
    keyword_tokens = sorted(set(KEYWORDS.values()))

    tokens = tuple(keyword_tokens) + (
        # values
        "ID", "PARAMNAME", "NUMBER", "STRING", "PVAR", "IPV6ADDR", "MSGLEN",
        # comparison and logical operators
        "EQUAL_T", "DIFF", "MATCH", "NOTMATCH", "GT", "LT", "GTE", "LTE",
        # arithmetic and bitwise operators
        "PLUS", "MINUS", "MULT", "SLASH", "MODULO",
        "BAND", "BOR", "BXOR", "BNOT",
        # assignment operators
        "EQUAL", "COLONEQ", "PLUSEQ", "MINUSEQ", "SLASHEQ", "MULTEQ",
        "MODULOEQ", "BANDEQ", "BOREQ", "BXOREQ",
        # punctuation
        "LPAREN", "RPAREN", "LBRACE", "RBRACE", "LBRACK", "RBRACK",
        "COMMA", "SEMICOLON", "COLON", "DOT",
    )

    states = (
        ("comment", "exclusive"),
        ("dstring", "exclusive"),
        ("sstring", "exclusive"),
    )

    t_ignore = " \t\r\b"

    # --- INITIAL: line structure and comments --------------------------
    def t_continuation(self, t):
        r"\\\n"
        t.lexer.lineno += 1

    def t_newline(self, t):
        r"\n+"
        t.lexer.lineno += len(t.value)

    def t_linecomment(self, t):
        r"\#[^\n]*"

    def t_begin_comment(self, t):
        r"/\*"
        self._comment_depth = 1
        self._start = (t.lexpos, t.lexer.lineno)
        t.lexer.begin("comment")

    # --- INITIAL: literals that need code -------------------------------
    def t_dquote(self, t):
        r'"'
        self._start = (t.lexpos, t.lexer.lineno)
        self._parts = []
        t.lexer.begin("dstring")

    def t_squote(self, t):
        r"'"
        self._start = (t.lexpos, t.lexer.lineno)
        self._parts = []
        t.lexer.begin("sstring")

    def t_PVAR(self, t):
        r"\$"
        end = self._scan_pv(t.lexer.lexdata, t.lexpos, t.lexer.lineno)
        t.value = t.lexer.lexdata[t.lexpos:end]
        t.lexer.lexpos = end
        t.lexer.lineno += t.value.count("\n")
        if len(t.value) == 1:
            self._error("invalid pseudo-variable name '$'", t.lexpos, t.lineno)
        return t

    def t_MSGLEN(self, t):
        r"msg:len"
        return t

    @ply.lex.TOKEN(_IPV6_RE)
    def t_IPV6ADDR(self, t):
        return t

    def t_NUMBER(self, t):
        r"0[xX][0-9a-fA-F]+|[0-9]+"
        text = t.value
        if text[:2] in ("0x", "0X"):
            value = int(text[2:], 16)
        elif len(text) > 1 and text[0] == "0":
            if not all(c in "01234567" for c in text):
                self._error("invalid octal number '%s'" % text,
                            t.lexpos, t.lineno)
                value = 0
            else:
                value = int(text, 8)
        else:
            value = int(text)
        t.value = (value, text)
        return t

    def t_ID(self, t):
        r"[a-zA-Z][a-zA-Z0-9_]*"
        word = t.value
        if word in KEYWORDS:
            t.type = KEYWORDS[word]
        elif word in NUMBER_WORDS:
            t.type = "NUMBER"
            t.value = (NUMBER_WORDS[word], word)
        elif _PARAM_ASSIGN.match(t.lexer.lexdata, t.lexer.lexpos):
            t.type = "PARAMNAME"
        return t

    # --- INITIAL: operators and punctuation (longest first, by PLY) -------
    t_EQUAL_T = r"=="
    t_DIFF = r"!="
    t_MATCH = r"=~"
    t_NOTMATCH = r"!~"
    t_GTE = r">="
    t_LTE = r"<="
    t_COLONEQ = r":="
    t_PLUSEQ = r"\+="
    t_MINUSEQ = r"-="
    t_SLASHEQ = r"/="
    t_MULTEQ = r"\*="
    t_MODULOEQ = r"%="
    t_BANDEQ = r"&="
    t_BOREQ = r"\|="
    t_BXOREQ = r"\^="

    t_AND = r"&&"
    t_OR = r"\|\|"
    t_GT = r">"
    t_LT = r"<"
    t_NOT = r"!"
    t_EQUAL = r"="
    t_PLUS = r"\+"
    t_MINUS = r"-"
    t_MULT = r"\*"
    t_SLASH = r"/"
    t_MODULO = r"%"
    t_BAND = r"&"
    t_BOR = r"\|"
    t_BXOR = r"\^"
    t_BNOT = r"~"
    t_LPAREN = r"\("
    t_RPAREN = r"\)"
    t_LBRACE = r"\{"
    t_RBRACE = r"\}"
    t_LBRACK = r"\["
    t_RBRACK = r"\]"
    t_COMMA = r","
    t_SEMICOLON = r";"
    t_COLON = r":"
    t_DOT = r"\."

    def t_error(self, t):
        self._error("illegal character %r" % t.value[0], t.lexpos, t.lineno)
        t.lexer.skip(1)

    # --- nested /* */ comments ------------------------------------------
    def t_comment_open(self, t):
        r"/\*"
        self._comment_depth += 1

    def t_comment_close(self, t):
        r"\*/"
        self._comment_depth -= 1
        if self._comment_depth == 0:
            t.lexer.begin("INITIAL")

    def t_comment_newline(self, t):
        r"\n+"
        t.lexer.lineno += len(t.value)

    def t_comment_text(self, t):
        r"[^*/\n]+|[*/]"

    t_comment_ignore = ""

    def t_comment_error(self, t):  # pragma: no cover - every char matches
        t.lexer.skip(1)

    def t_comment_eof(self, t):
        lexpos, lineno = self._start
        self._error("unterminated comment (%d open)" % self._comment_depth,
                    lexpos, lineno)
        t.lexer.begin("INITIAL")

    # --- "double quoted" strings: 1.3 escapes ------------------------------
    def t_dstring_continuation(self, t):
        r"\\\n"
        t.lexer.lineno += 1

    def t_dstring_octal(self, t):
        r"\\[0-7]{2,3}"
        self._parts.append(chr(int(t.value[1:], 8) & 0xFF))

    def t_dstring_hex(self, t):
        r"\\x[0-9a-fA-F]{1,2}"
        self._parts.append(chr(int(t.value[2:], 16)))

    def t_dstring_escape(self, t):
        r"""\\[nrat"\\]"""
        self._parts.append(_SIMPLE_ESCAPES[t.value[1]])

    def t_dstring_backslash(self, t):
        r"\\"
        # not an escape (e.g. the "\1" back-reference): keep it literally
        self._parts.append("\\")

    def t_dstring_newline(self, t):
        r"\n"
        t.lexer.lineno += 1
        self._parts.append("\n")

    def t_dstring_text(self, t):
        r'[^"\\\n]+'
        self._parts.append(t.value)

    def t_dstring_STRING(self, t):
        r'"'
        return self._end_string(t)

    t_dstring_ignore = ""

    def t_dstring_error(self, t):  # pragma: no cover - every char matches
        t.lexer.skip(1)

    def t_dstring_eof(self, t):
        self._unterminated_string(t)

    # --- 'single quoted' strings: raw --------------------------------------
    def t_sstring_text(self, t):
        r"[^']+"
        t.lexer.lineno += t.value.count("\n")
        self._parts.append(t.value)

    def t_sstring_STRING(self, t):
        r"'"
        return self._end_string(t)

    t_sstring_ignore = ""

    def t_sstring_error(self, t):  # pragma: no cover - every char matches
        t.lexer.skip(1)

    def t_sstring_eof(self, t):
        self._unterminated_string(t)

    # --- helpers ------------------------------------------------------------
    def _end_string(self, t):
        t.type = "STRING"
        t.value = "".join(self._parts)
        t.lexpos, t.lineno = self._start
        self._parts = []
        t.lexer.begin("INITIAL")
        return t

    def _unterminated_string(self, t):
        lexpos, lineno = self._start
        self._error("unterminated string", lexpos, lineno)
        self._parts = []
        t.lexer.begin("INITIAL")

    def _scan_pv(self, data, pos, lineno):
        """Return the end offset of the pseudo-variable starting at *pos*.

        OpenSER rule: consume while inside balanced ( ); at depth 0 stop
        before whitespace, ';', ')' and operator characters.  The token also
        ends right after the ')' that closes the first parenthesis, except
        for a directly following ``[index]`` / ``{transformation}``.
        """
        i, n, depth = pos + 1, len(data), 0
        while i < n:
            c = data[i]
            if depth:
                if c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        return self._scan_pv_suffix(data, i + 1, pos, lineno)
                i += 1
            elif c == "(":
                depth = 1
                i += 1
            elif c == "[" or (c == "{" and _PV_TRANS.match(data, i)):
                return self._scan_pv_suffix(data, i, pos, lineno)
            elif (c in _PV_STOP or c.isspace() or c == "{"
                  or data.startswith(":=", i)):
                return i
            else:
                i += 1
        if depth:
            self._error("unterminated pseudo-variable", pos, lineno)
        return i

    def _scan_pv_suffix(self, data, i, pos, lineno):
        """Consume an optional ``[...]`` then any ``{x.y...}`` groups."""
        if i < len(data) and data[i] == "[":
            i = self._balanced(data, i, "[", "]", pos, lineno)
        while i < len(data) and _PV_TRANS.match(data, i):
            i = self._balanced(data, i, "{", "}", pos, lineno)
        return i

    def _balanced(self, data, i, open_c, close_c, pos, lineno):
        depth = 0
        while i < len(data):
            if data[i] == open_c:
                depth += 1
            elif data[i] == close_c:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        self._error("unterminated pseudo-variable", pos, lineno)
        return i


# --- token descriptions for error messages -----------------------------------
_PUNCT_NAMES = {
    "EQUAL_T": "==", "DIFF": "!=", "MATCH": "=~", "NOTMATCH": "!~",
    "GT": ">", "LT": "<", "GTE": ">=", "LTE": "<=", "AND": "&&", "OR": "||",
    "NOT": "!", "PLUS": "+", "MINUS": "-", "MULT": "*", "SLASH": "/",
    "MODULO": "%", "BAND": "&", "BOR": "|", "BXOR": "^", "BNOT": "~",
    "EQUAL": "=", "COLONEQ": ":=", "PLUSEQ": "+=", "MINUSEQ": "-=",
    "SLASHEQ": "/=", "MULTEQ": "*=", "MODULOEQ": "%=", "BANDEQ": "&=",
    "BOREQ": "|=", "BXOREQ": "^=", "LPAREN": "(", "RPAREN": ")",
    "LBRACE": "{", "RBRACE": "}", "LBRACK": "[", "RBRACK": "]",
    "COMMA": ",", "SEMICOLON": ";", "COLON": ":", "DOT": ".",
    "MSGLEN": "msg:len",
}
_CLASS_NAMES = {
    "ID": "identifier", "PARAMNAME": "parameter name", "NUMBER": "number",
    "STRING": "string", "PVAR": "pseudo-variable",
    "IPV6ADDR": "IPv6 address",
}


def token_name(tok_type):
    """Human name of a token type, as used in "expected ..." lists."""
    if tok_type in _PUNCT_NAMES:
        return "'%s'" % _PUNCT_NAMES[tok_type]
    if tok_type in _CLASS_NAMES:
        return _CLASS_NAMES[tok_type]
    for word, ttype in KEYWORDS.items():
        if ttype == tok_type:
            return "'%s'" % word
    return tok_type


def describe_token(tok):
    """Describe a lexed token for an "unexpected ..." message."""
    if tok.type == "STRING":
        text = tok.value if len(tok.value) <= 30 else tok.value[:27] + "..."
        return "string %r" % text
    if tok.type == "NUMBER":
        return "number '%s'" % tok.value[1]
    if tok.type in _CLASS_NAMES:
        return "%s '%s'" % (_CLASS_NAMES[tok.type], tok.value)
    if tok.type in _PUNCT_NAMES:
        return "'%s'" % _PUNCT_NAMES[tok.type]
    return "'%s'" % tok.value
