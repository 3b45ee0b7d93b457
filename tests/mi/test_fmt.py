"""openser_py.mi.fmt: the MI text format (requests and replies)."""
import pytest

from openser_py.mi import fmt
from openser_py.mi.fmt import MiParseError
from openser_py.mi.tree import MiNode, MiRoot


def parse(text, stop_at_empty=True):
    return fmt.parse_request(text, stop_at_empty)


def pairs(nodes):
    return [(n.name, n.value) for n in nodes]


# -- command line ------------------------------------------------------------
@pytest.mark.parametrize("line,expect", [
    (":ps:reply_1\n", ("ps", "reply_1")),
    (":ps:\n", ("ps", "")),
    (":get_statistics:r \t\r\n", ("get_statistics", "r")),
    (":t_uac_dlg:abc", ("t_uac_dlg", "abc")),
])
def test_command_line(line, expect):
    assert fmt.parse_command_line(line) == expect


@pytest.mark.parametrize("line", ["", "\n", ":a", "ps:x", ":ps", "::x",
                                  "   "])
def test_bad_command_lines(line):
    with pytest.raises(MiParseError):
        fmt.parse_command_line(line)


def test_reply_fifo_name_rules():
    assert fmt.reply_fifo_path("openser_rpl", "/tmp/") == "/tmp/openser_rpl"
    for bad in ("../etc/passwd", "a.b", "a/b", "a\\b"):
        with pytest.raises(MiParseError):
            fmt.reply_fifo_path(bad, "/tmp/")
    longest = "x" * (fmt.MAX_FILENAME - len("/tmp/") - 1)
    assert fmt.reply_fifo_path(longest, "/tmp/").endswith(longest)
    with pytest.raises(MiParseError):
        fmt.reply_fifo_path(longest + "x", "/tmp/")


# -- argument lines -------------------------------------------------------------
def test_argument_forms():
    cmd, reply, args = parse(
        ":cmd:r\n"
        "plain value  \n"
        "   leading blanks\n"
        "name::value\n"
        " name 2 ::  spaced value \n"
        "empty::\n"
        "::no name\n"
        "\t \n"                       # blank-only line: skipped
        '"quoted  "\n'
        'q::"with \\"escapes\\" inside"\n'
        "\n"
        "after the end\n")
    assert (cmd, reply) == ("cmd", "r")
    assert pairs(args) == [
        ("", "plain value"), ("", "leading blanks"), ("name", "value"),
        ("name 2", "spaced value"), ("empty", ""), ("", "no name"),
        ("", "quoted  "), ("q", 'with "escapes" inside')]


def test_quoted_value_spans_lines():
    _, _, args = parse(':c:r\nhdrs::"From: a\nTo: b\n"\nlast\n\n')
    assert pairs(args) == [("hdrs", "From: a\nTo: b\n"), ("", "last")]


@pytest.mark.parametrize("body", [
    'a"b\n\n',                 # quote inside an unquoted value
    'n::a"b\n\n',
    'x"y::v\n\n',              # quote inside a name
    '"closed" junk\n\n',       # text after the closing quote
    '"never closed\n\n',       # the request ends inside the quotes
])
def test_argument_parse_errors(body):
    with pytest.raises(MiParseError):
        parse(":c:r\n" + body)


def test_fifo_request_needs_its_empty_line():
    with pytest.raises(MiParseError):
        parse(":c:r\nvalue\n")


def test_datagram_requests():
    cmd, read = fmt.parse_datagram(b":get_statistics:\ncore:\n\nsl:\n")
    assert cmd == "get_statistics"
    assert pairs(fmt.parse_arg_lines(read, stop_at_empty=False)) == [
        ("", "core:"), ("", "sl:")]
    cmd, read = fmt.parse_datagram(":which:")
    assert cmd == "which"
    assert fmt.parse_arg_lines(read, stop_at_empty=False) == []
    with pytest.raises(MiParseError):
        fmt.parse_datagram(b"which\n")
    with pytest.raises(MiParseError):
        fmt.parse_datagram(b":x:\n" + b"a" * fmt.MAX_DATAGRAM)


# -- building requests (round trips) -------------------------------------------------
VALUES = ["simple", "with blanks inside", " leading", "trailing ", "",
          'a "quoted" word', "multi\nline", "a::b", '"', "tab\there",
          "back\\slash", "ünïcödé"]


@pytest.mark.parametrize("value", VALUES)
def test_unnamed_value_round_trip(value):
    text = fmt.build_request("cmd", [value], "rpl")
    cmd, reply, args = parse(text)
    assert (cmd, reply, pairs(args)) == ("cmd", "rpl", [("", value)])
    # the same request as a datagram
    cmd, read = fmt.parse_datagram(fmt.build_request("cmd", [value]))
    assert pairs(fmt.parse_arg_lines(read, stop_at_empty=False)) == \
        [("", value)]


@pytest.mark.parametrize("value", VALUES)
def test_named_value_round_trip(value):
    _, _, args = parse(fmt.build_request("cmd", [("the_name", value)]))
    assert pairs(args) == [("the_name", value)]


def test_build_request_rejects_what_cannot_be_sent():
    for bad in ("", "a b", "a:b", "a\n"):
        with pytest.raises(ValueError):
            fmt.build_request(bad)
    with pytest.raises(ValueError):
        fmt.build_request("c", [("a::b", "v")])
    with pytest.raises(ValueError):                # quoted + final backslash
        fmt.build_request("c", [" x\\"])
    assert fmt.build_request("ps") == ":ps:\n\n"


# -- replies ------------------------------------------------------------------------
def sample_tree():
    root = MiRoot()
    dom = root.add_child("Domain", "location")
    dom.add_attr("table", 512).add_attr("records", 1)
    aor = dom.add_child("AOR", "alice")
    aor.add_child("Contact", "<sip:a@h>").add_attr("Q", "")
    root.add_child("", "unnamed")
    root.add_child("Process").add_attr("ID", 0)
    return root


def test_encode_reply_layout():
    assert fmt.encode_reply(sample_tree()) == (
        "200 OK\n"
        "Domain:: location table=512 records=1\n"
        "\tAOR:: alice\n"
        "\t\tContact:: <sip:a@h> Q=\n"
        "unnamed\n"
        "Process::  ID=0\n"
        "\n")
    assert fmt.encode_reply(sample_tree(), indent="  ",
                            final_empty_line=False).endswith(
        "\n    Contact:: <sip:a@h> Q=\nunnamed\nProcess::  ID=0\n")
    assert fmt.encode_reply(MiRoot(code=404, reason="AOR not found")) == \
        "404 AOR not found\n\n"


def test_reply_round_trip_without_attributes():
    root = MiRoot(code=202, reason="Accepted")
    a = root.add_child("A", "1")
    a.add_child("B", "2").add_child("", "deep")
    a.add_child("C", "")
    root.add_child("", "x:: y")
    back = fmt.parse_reply(fmt.encode_reply(root))
    assert (back.code, back.reason) == (202, "Accepted")

    def shape(node):
        return [(k.name, k.value, shape(k)) for k in node.kids]
    assert shape(back) == [("A", "1", [("B", "2", [("", "deep", [])]),
                                       ("C", "", [])]),
                           ("x", "y", [])]   # ambiguous by design


def test_parse_reply_errors_and_transport_lines():
    with pytest.raises(MiParseError):
        fmt.parse_reply("hello\n")
    r = fmt.parse_reply(fmt.transport_error("not_available", "nope"))
    assert (r.code, r.reason, r.kids) == (
        500, "command 'nope' not available", [])
    assert fmt.transport_error("parse", "debug") == \
        "400 parse error in command 'debug'\n"
    assert fmt.transport_error("parse") == "400 parse error in command\n"
    assert fmt.transport_error("failed") == "500 command failed\n"
    assert fmt.transport_error("internal") == "500 Internal server error\n"
    with pytest.raises(ValueError):
        fmt.transport_error("other")


def test_parse_arg_line_blank_and_more():
    assert fmt.parse_arg_line("   ") is None
    lines = iter(['b"'])
    node = fmt.parse_arg_line('"a', lambda: next(lines, None))
    assert node == MiNode("", "a\nb")
