"""Token lists for every lexical rule of OpenSER 1.3 cfg files (ref 1.1)."""
import pytest

from openser_py.cfg.lexer import CfgLexer, KEYWORDS, describe_token, token_name


@pytest.fixture(scope="module")
def lexer():
    errors = []
    lx = CfgLexer(lambda msg, line, col: errors.append((msg, line, col)))
    lx.build()
    lx.errors = errors
    return lx


@pytest.fixture
def lex(lexer):
    def run(text):
        del lexer.errors[:]
        lexer.input(text, "t.cfg")
        toks = list(lexer)
        return toks, list(lexer.errors)
    return run


@pytest.fixture
def types(lex):
    def run(text):
        toks, errors = lex(text)
        assert errors == []
        return [t.type for t in toks]
    return run


@pytest.fixture
def values(lex):
    def run(text):
        toks, errors = lex(text)
        assert errors == []
        return [(t.type, t.value) for t in toks]
    return run


def pos(lexer, tok):
    return tok.lineno, lexer.find_column(tok.lexpos)


# --- keywords and words -------------------------------------------------------
@pytest.mark.parametrize("word", sorted(KEYWORDS))
def test_every_keyword(types, word):
    assert types(word) == [KEYWORDS[word]]


def test_keyword_aliases(types):
    assert types("uri status") == ["URI", "URI"]
    assert types("break esac") == ["BREAK", "BREAK"]
    assert types("null NULL") == ["NULL", "NULL"]
    assert types("udp UDP tcp TCP tls TLS sctp SCTP any") == [
        "UDP", "UDP", "TCP", "TCP", "TLS", "TLS", "SCTP", "SCTP", "ANY"]
    assert types("and && or || not !") == ["AND", "AND", "OR", "OR",
                                           "NOT", "NOT"]


def test_keywords_are_case_sensitive(types):
    assert types("If Udp Null ANY Route") == ["ID"] * 5


def test_core_names_are_identifiers(types):
    # core actions and parameters are not keywords (registry/checker)
    assert types("forward t_relay sl_send_reply listen children") == ["ID"] * 5


@pytest.mark.parametrize("word,value", [
    ("yes", 1), ("true", 1), ("on", 1), ("enable", 1),
    ("no", 0), ("false", 0), ("off", 0), ("disable", 0),
    ("inet", 2), ("INET", 2), ("inet6", 10), ("INET6", 10)])
def test_number_words(values, word, value):
    assert values(word) == [("NUMBER", (value, word))]


def test_identifier_rule(values):
    assert values("a A1 abc_9 x_") == [("ID", "a"), ("ID", "A1"),
                                       ("ID", "abc_9"), ("ID", "x_")]


def test_identifier_cannot_start_with_underscore(lex):
    toks, errors = lex("_x")
    assert [t.type for t in toks] == ["ID"]
    assert errors == [("illegal character '_'", 1, 1)]


def test_paramname_before_single_equal(types):
    assert types("debug=3") == ["PARAMNAME", "EQUAL", "NUMBER"]
    assert types("debug \t = 3") == ["PARAMNAME", "EQUAL", "NUMBER"]
    assert types("x == 3") == ["ID", "EQUAL_T", "NUMBER"]
    assert types("x =~ 3") == ["ID", "MATCH", "NUMBER"]
    assert types("x\n= 3") == ["ID", "EQUAL", "NUMBER"]
    # keywords never become PARAMNAME
    assert types("method=") == ["METHOD", "EQUAL"]


# --- numbers -----------------------------------------------------------------------
@pytest.mark.parametrize("text,value", [
    ("0", 0), ("7", 7), ("5060", 5060), ("0x1f", 31), ("0X10", 16),
    ("0660", 432), ("00", 0), ("0777", 511)])
def test_numbers(values, text, value):
    assert values(text) == [("NUMBER", (value, text))]


def test_number_has_no_sign(types):
    assert types("-1 +2") == ["MINUS", "NUMBER", "PLUS", "NUMBER"]


def test_bad_octal_is_reported(lex):
    toks, errors = lex("x 0\t09")
    assert [t.type for t in toks] == ["ID", "NUMBER", "NUMBER"]
    assert errors == [("invalid octal number '09'", 1, 5)]


def test_number_followed_by_letters(types):
    assert types("5060abc") == ["NUMBER", "ID"]


# --- addresses --------------------------------------------------------------------
def test_ipv4_is_numbers_and_dots(types):
    assert types("10.0.0.255") == ["NUMBER", "DOT"] * 3 + ["NUMBER"]


@pytest.mark.parametrize("text", [
    "1:2:3:4:5:6:7:8", "fe80::1", "::1", "::", "fe80::", "2001:db8::8:800:200c:417a",
    "FF01::101", "0:0:0:0:0:0:0:1"])
def test_ipv6_literals(values, text):
    assert values(text) == [("IPV6ADDR", text)]


def test_ipv6_bracketed_and_with_port(types):
    assert types("[::1]:5060") == ["LBRACK", "IPV6ADDR", "RBRACK", "COLON",
                                   "NUMBER"]


def test_words_with_hex_letters_are_not_ipv6(types):
    assert types("default: beef: face") == ["DEFAULT", "COLON", "ID",
                                            "COLON", "ID"]


def test_socket_spec_tokens(types):
    assert types("udp:127.0.0.1:5060") == (
        ["UDP", "COLON"] + ["NUMBER", "DOT"] * 3 + ["NUMBER", "COLON", "NUMBER"])


# --- operators ---------------------------------------------------------------------
def test_all_operators(types):
    text = ("== != =~ !~ > < >= <= && || ! + - * / % & | ^ ~ = := += -= /= *= "
            "%= &= |= ^= ( ) { } [ ] , ; : .")
    assert types(text) == [
        "EQUAL_T", "DIFF", "MATCH", "NOTMATCH", "GT", "LT", "GTE", "LTE",
        "AND", "OR", "NOT", "PLUS", "MINUS", "MULT", "SLASH", "MODULO",
        "BAND", "BOR", "BXOR", "BNOT", "EQUAL", "COLONEQ", "PLUSEQ",
        "MINUSEQ", "SLASHEQ", "MULTEQ", "MODULOEQ", "BANDEQ", "BOREQ",
        "BXOREQ", "LPAREN", "RPAREN", "LBRACE", "RBRACE", "LBRACK", "RBRACK",
        "COMMA", "SEMICOLON", "COLON", "DOT"]


def test_longest_operator_wins(types):
    assert types("a>=b") == ["ID", "GTE", "ID"]
    assert types("a=~b") == ["ID", "MATCH", "ID"]
    assert types("a= ~b") == ["PARAMNAME", "EQUAL", "BNOT", "ID"]


def test_msg_len_and_max_len(types):
    assert types("msg:len >= max_len") == ["MSGLEN", "GTE", "MAX_LEN"]
    assert types("msg : len") == ["ID", "COLON", "ID"]


# --- whitespace, comments, continuation -------------------------------------------
def test_ignored_whitespace(types):
    assert types(" \t\r\b a \r\n b") == ["ID", "ID"]


def test_line_comment(lex, lexer):
    toks, _ = lex("a # comment \"not a string\" /* nor\nb")
    assert [(t.value, pos(lexer, t)) for t in toks] == [("a", (1, 1)),
                                                        ("b", (2, 1))]


def test_hash_inside_string_is_literal(values):
    assert values('"a # b"') == [("STRING", "a # b")]


def test_block_comment_nests(lex, lexer):
    toks, errors = lex("a /* 1 /* 2 */ still\n comment */ b")
    assert errors == []
    assert [(t.value, pos(lexer, t)) for t in toks] == [("a", (1, 1)),
                                                        ("b", (2, 13))]


def test_unterminated_comment(lex):
    toks, errors = lex("a\n  /* x /* y */\n\n")
    assert [t.value for t in toks] == ["a"]
    assert errors == [("unterminated comment (1 open)", 2, 3)]


def test_line_continuation(lex, lexer):
    toks, errors = lex("listen=a \\\n b\nc")
    assert errors == []
    assert [(t.value, pos(lexer, t)) for t in toks][-2:] == [("b", (2, 2)),
                                                             ("c", (3, 1))]


def test_columns_count_tabs_as_one(lex, lexer):
    toks, _ = lex("\t\tx\n  \ty")
    assert [pos(lexer, t) for t in toks] == [(1, 3), (2, 4)]


def test_illegal_character_is_skipped(lex):
    toks, errors = lex("a @ b\n  `")
    assert [t.value for t in toks] == ["a", "b"]
    assert errors == [("illegal character '@'", 1, 3),
                      ("illegal character '`'", 2, 3)]


# --- strings --------------------------------------------------------------------
@pytest.mark.parametrize("src,value", [
    (r'"plain"', "plain"),
    (r'"a\nb\rc\td\ae"', "a\nb\rc\td\ae"),
    (r'"q\"q"', 'q"q'),
    (r'"back\\slash"', "back\\slash"),
    (r'"\x41\x4g"', "A\x04g"),
    (r'"\101\0101"', "A\x081"),        # at most 3 octal digits
    (r'"\1 \9 \d"', "\\1 \\9 \\d"),        # single octal digit: not an escape
    (r'"\777"', "\xff"),                   # truncated to 8 bits like C
    ('"line\nbreak"', "line\nbreak"),      # raw newline kept
    ('"join \\\nme"', "join me"),          # backslash-newline removed
    (r'""', ""),
])
def test_double_quoted_escapes(values, src, value):
    assert values(src) == [("STRING", value)]


@pytest.mark.parametrize("src,value", [
    (r"'raw \n \\ \x41'", r"raw \n \\ \x41"),
    ("'multi\nline \"x\"'", 'multi\nline "x"'),
    ("''", ""),
])
def test_single_quoted_is_raw(values, src, value):
    assert values(src) == [("STRING", value)]


def test_string_position_and_following_lines(lex, lexer):
    toks, _ = lex('x "a\nb\\\nc" y\nz')
    assert [(t.type, pos(lexer, t)) for t in toks] == [
        ("ID", (1, 1)), ("STRING", (1, 3)), ("ID", (3, 4)), ("ID", (4, 1))]


@pytest.mark.parametrize("src,col", [('a "abc\n', 3), ("a 'abc\n", 3)])
def test_unterminated_string(lex, src, col):
    toks, errors = lex(src)
    assert [t.value for t in toks] == ["a"]
    assert errors == [("unterminated string", 1, col)]


# --- pseudo-variables ---------------------------------------------------------------
@pytest.mark.parametrize("src,pvs", [
    ("$ru", ["$ru"]),
    ("$ruri.user $T_branch_idx $err.class", ["$ruri.user", "$T_branch_idx",
                                             "$err.class"]),
    ("$avp(s:caller)", ["$avp(s:caller)"]),
    ("$avp(i:12)", ["$avp(i:12)"]),
    ("$(hdr(Via)[1])", ["$(hdr(Via)[1])"]),
    ("$(avp(s:x)[*])", ["$(avp(s:x)[*])"]),
    ("$hdr(Via)[-1]", ["$hdr(Via)[-1]"]),
    ("$var(x){s.len}", ["$var(x){s.len}"]),
    ("$(ru{uri.user}{s.substr,1,2})", ["$(ru{uri.user}{s.substr,1,2})"]),
    ("$hdr(X-a b)", ["$hdr(X-a b)"]),       # inside ( ) whitespace is kept
    ("$avp($var(n))", ["$avp($var(n))"]),
])
def test_pv_tokens(values, src, pvs):
    assert [v for t, v in values(src) if t == "PVAR"] == pvs


@pytest.mark.parametrize("src,expected", [
    ("$rc;", ["PVAR", "SEMICOLON"]),
    ("f($ru)", ["ID", "LPAREN", "PVAR", "RPAREN"]),
    ("f($ru,$fu)", ["ID", "LPAREN", "PVAR", "COMMA", "PVAR", "RPAREN"]),
    ("$var(i)<10", ["PVAR", "LT", "NUMBER"]),
    ("$x==$y", ["PVAR", "EQUAL_T", "PVAR"]),
    ("$rc-1", ["PVAR", "MINUS", "NUMBER"]),
    ("$a+$b*$c", ["PVAR", "PLUS", "PVAR", "MULT", "PVAR"]),
    ("$a:=1", ["PVAR", "COLONEQ", "NUMBER"]),
    ("!$x", ["NOT", "PVAR"]),
    ("switch($retcode){", ["SWITCH", "LPAREN", "PVAR", "RPAREN", "LBRACE"]),
    ("$var(x)y", ["PVAR", "ID"]),          # token ends at the closing ')'
    ("$x{", ["PVAR", "LBRACE"]),           # not a transformation
    ("$x}", ["PVAR", "RBRACE"]),
])
def test_pv_stops(types, src, expected):
    assert types(src) == expected


def test_pv_errors(lex):
    toks, errors = lex("$ ;\n  $var(x")
    assert [t.value for t in toks] == ["$", ";", "$var(x"]
    assert errors == [("invalid pseudo-variable name '$'", 1, 1),
                      ("unterminated pseudo-variable", 2, 3)]


def test_pv_spanning_lines_counts_them(lex, lexer):
    toks, _ = lex("$hdr(a\nb) x")
    assert pos(lexer, toks[1]) == (2, 4)


# --- descriptions ----------------------------------------------------------------
def test_token_names():
    assert token_name("SEMICOLON") == "';'"
    assert token_name("AND") == "'&&'"
    assert token_name("ID") == "identifier"
    assert token_name("URI") == "'uri'"
    assert token_name("BREAK") == "'break'"


def test_describe_token(lex):
    toks, _ = lex('x "a string" 0x10 $ru ; route')
    assert [describe_token(t) for t in toks] == [
        "identifier 'x'", "string 'a string'", "number '0x10'",
        "pseudo-variable '$ru'", "';'", "'route'"]
