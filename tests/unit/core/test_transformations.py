"""Transformations: string, uri and param classes, chains, errors."""
import hashlib

import pytest

from openser_py.core import transformations as tr
from openser_py.core.pvar import IntStr, PvError, parse_pv_format, \
    parse_pv_spec
from openser_py.core.script_state import state
from openser_py.parser.msg import parse_msg

INVITE = (b"INVITE sip:+49%2012@gw.example.com:5080;transport=tcp;lr;"
          b"user=phone SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
          b"From: \"A\" <sip:alice:secret@a.example;maddr=1.2.3.4;ttl=5;"
          b"method=INVITE;r2=on?subject=hi>;tag=77\r\n"
          b"To: <sip:bob@b.example>\r\n"
          b"Call-ID: abc\r\nCSeq: 1 INVITE\r\n"
          b"X-List: a=1;b=\"two\";c\r\n"
          b"Content-Length: 0\r\n\r\n")


@pytest.fixture
def msg():
    state.vars.clear()
    return parse_msg(INVITE)


def ev(text, msg, **vars_):
    """Set $var()s, then evaluate a PV text."""
    state.vars.update(vars_)
    return parse_pv_spec(text).get(msg)


# -- string class -----------------------------------------------------------

def test_len_int_md5(msg):
    assert ev("$(var(s){s.len})", msg, s="hello") == 5
    assert ev("$(var(n){s.len})", msg, n=12345) == 5
    assert ev("$(var(s){s.int})", msg, s="-42") == -42
    assert ev("$(var(s){s.int})", msg, s="+7") == 7
    assert ev("$(var(n){s.int})", msg, n=9) == 9
    assert ev("$(rp{s.int})", msg) == 5080          # IntStr -> its int
    assert ev("$(var(s){s.int})", msg, s="12a") is None
    assert ev("$(var(s){s.int})", msg, s="") is None
    assert ev("$(var(s){s.md5})", msg, s="abc") == \
        hashlib.md5(b"abc").hexdigest()


@pytest.mark.parametrize("value,o,length,want", [
    ("abcdef", 0, 0, "abcdef"),
    ("abcdef", 1, 2, "bc"),
    ("abcdef", 2, 0, "cdef"),
    ("abcdef", 4, 10, "ef"),        # length past the end -> to the end
    ("abcdef", -2, 0, "ef"),
    ("abcdef", -4, 2, "cd"),
    ("abcdef", -2, 5, "ef"),        # length > rest -> to the end
    ("abcdef", -6, 1, "a"),
    ("abcdef", 6, 1, None),         # offset out of range
    ("abcdef", -7, 1, None),
    ("", 0, 0, None),
])
def test_substr(msg, value, o, length, want):
    assert ev("$(var(s){s.substr,%d,%d})" % (o, length), msg, s=value) == want


def test_substr_with_pv_params(msg):
    assert ev("$(var(s){s.substr,$var(o),$var(l)})", msg, s="abcdef",
              o=1, l=3) == "bcd"
    assert ev("$(var(s){s.substr,$var(o),1})", msg, s="abcdef",
              o="x") is None                          # no integer value
    assert ev("$(var(s){s.substr,0,$var(l)})", msg, s="abcdef",
              l=-1) is None                           # negative length


def test_substr_negative_length_rejected_at_parse():
    with pytest.raises(PvError):
        parse_pv_spec("$(var(s){s.substr,1,-1})")


@pytest.mark.parametrize("idx,want", [
    (0, "a"), (1, "b"), (2, "c"), (3, ""), (-1, "c"), (-3, "a"), (-4, "")])
def test_select(msg, idx, want):
    assert ev("$(var(s){s.select,%d,,})" % idx, msg, s="a,b,c") == want


def test_select_other_separator(msg):
    assert ev("$(var(s){s.select,1,;})", msg, s="x;y;z") == "y"
    assert ev("$(var(s){s.select,0, })", msg, s="no sep") == "no"


def test_hexa(msg):
    assert ev("$(var(s){s.encode.hexa})", msg, s="a\x01\xff") == "6101ff"
    assert ev("$(var(s){s.decode.hexa})", msg, s="6101FF") == "a\x01\xff"
    assert ev("$(var(s){s.decode.hexa})", msg, s="616") == "a"   # odd tail
    assert ev("$(var(s){s.decode.hexa})", msg, s="zz") is None


def test_escape_common(msg):
    raw = "it's \"q\" \\ \x00"
    esc = ev("$(var(s){s.escape.common})", msg, s=raw)
    assert esc == "it\\'s \\\"q\\\" \\\\ \\0"
    assert ev("$(var(s){s.unescape.common})", msg, s=esc) == raw
    assert tr.unescape_common("a\\nb\\") == "a\\nb\\"     # kept as written


def test_escape_user(msg):
    assert ev("$(var(s){s.escape.user})", msg, s="a b@c/d;e") == \
        "a%20b%40c%2fd;e"
    assert ev("$(var(s){s.unescape.user})", msg, s="a%20b%40c") == "a b@c"
    assert ev("$(var(s){s.unescape.user})", msg, s="bad%2") is None
    assert ev("$(var(s){s.unescape.user})", msg, s="ctl%0a") is None
    assert ev("$(var(s){s.escape.user})", msg, s="tab\t") is None


def test_chains(msg):
    assert ev("$(var(s){s.len}{s.int})", msg, s="abcd") == 4
    assert ev("$(var(s){s.substr,0,3}{s.len})", msg, s="abcdef") == 3
    assert ev("$(ru{uri.user}{s.unescape.user})", msg) == "+49 12"
    assert ev("$(var(s){s.select,1,@} {s.len})", msg, s="u@host") == 4
    fmt = parse_pv_format("[$(fu{uri.host}{s.len})]")
    assert fmt.format(msg) == "[9]"


def test_null_input_and_failed_chain(msg):
    assert ev("$(hdr(X-None){s.len})", msg) is None
    # a failing transformation prints nothing (null prints <null>)
    assert parse_pv_format("<$(var(s){s.substr,9,1})>").format(msg) == "<>"
    assert parse_pv_format("<$hdr(X-None)>").format(msg) == "<<null>>"


# -- uri class --------------------------------------------------------------

def test_uri_parts(msg):
    assert ev("$(ru{uri.user})", msg) == "+49%2012"
    assert ev("$(ru{uri.host})", msg) == "gw.example.com"
    assert ev("$(ru{uri.domain})", msg) == "gw.example.com"
    assert ev("$(ru{uri.port})", msg) == 5080
    assert ev("$(ru{uri.params})", msg) == "transport=tcp;lr;user=phone"
    assert ev("$(ru{uri.transport})", msg) == "tcp"
    assert ev("$(ru{uri.lr})", msg) == ""
    assert ev("$(ru{uri.uparam})", msg) == "phone"
    assert ev("$(ru{uri.param,USER})", msg) == "phone"
    assert ev("$(ru{uri.param,missing})", msg) == ""
    assert ev("$(ru{uri.headers})", msg) == ""
    assert ev("$(fu{uri.passwd})", msg) == "secret"
    assert ev("$(fu{uri.maddr})", msg) == "1.2.3.4"
    assert ev("$(fu{uri.ttl})", msg) == "5"
    assert ev("$(fu{uri.method})", msg) == "INVITE"
    assert ev("$(fu{uri.r2})", msg) == "on"
    assert ev("$(fu{uri.headers})", msg) == "subject=hi"
    assert ev("$(tu{uri.passwd})", msg) == ""
    assert ev("$(tu{uri.transport})", msg) == ""


def test_uri_port_absent(msg):
    port = ev("$(tu{uri.port})", msg)
    assert port == "" and isinstance(port, IntStr) and port.ri == 0


def test_uri_param_from_pv(msg):
    assert ev("$(ru{uri.param,$var(p)})", msg, p="transport") == "tcp"
    assert ev("$(ru{uri.param,$var(p)})", msg, p="") is None


def test_uri_errors(msg):
    assert ev("$(var(s){uri.user})", msg, s="not a uri") is None
    assert ev("$(var(s){uri.user})", msg, s="") is None
    assert ev("$(var(n){uri.user})", msg, n=5) is None


# -- param class ------------------------------------------------------------

def test_param_class(msg):
    assert ev("$(hdr(X-List){param.value,b})", msg) == "two"
    assert ev("$(hdr(X-List){param.value,A})", msg) == "1"
    assert ev("$(hdr(X-List){param.value,c})", msg) == ""
    assert ev("$(hdr(X-List){param.value,zz})", msg) == ""
    assert ev("$(hdr(X-List){param.name,0})", msg) == "a"
    assert ev("$(hdr(X-List){param.name,2})", msg) == "c"
    assert ev("$(hdr(X-List){param.name,-1})", msg) == "c"
    assert ev("$(hdr(X-List){param.name,3})", msg) == ""
    assert ev("$(hdr(X-List){param.valueat,1})", msg) == "two"
    assert ev("$(hdr(X-List){param.count})", msg) == 3
    assert ev("$(var(s){param.value,x})", msg, s=";x=9") == "9"
    assert ev("$(var(s){param.value,x})", msg, s="") is None
    assert ev("$(var(s){param.count})", msg, s="a=1;;b") is None


# -- parsing ----------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "$(ru{uri.nope})", "$(ru{x.len})", "$(ru{s.nope})", "$(ru{s.len)",
    "$(ru{len})", "$(ru{s.substr,1})", "$(ru{s.substr,a,1})",
    "$(ru{s.select,1})", "$(ru{uri.param})", "$(ru{param.value})",
    "$(ru{s.len}x)", "$(ru{})", "$(ru{.len})", "$(ru{s.substr,$nope,1})",
])
def test_bad_transformations(text):
    with pytest.raises(PvError):
        parse_pv_spec(text)


def test_case_insensitive_names_and_spaces(msg):
    assert ev("$(var(s){S.LEN})", msg, s="abc") == 3
    assert ev("$(var(s){s.substr, 1 , 1 })", msg, s="abc") == "b"
    assert ev("$(ru{URI.User})", msg) == "+49%2012"


def test_parse_transformations_api():
    funcs, end = tr.parse_transformations("{s.len} {s.int}) tail", 0)
    assert len(funcs) == 2 and end == 15
    assert tr.run_transformations(funcs, None, "abc") == 3
    with pytest.raises(tr.TrError):
        tr.run_transformations(funcs, None, None)
