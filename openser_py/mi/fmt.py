"""The MI text format: requests and replies as the transports carry them.

Pure functions (no I/O) shared by ``mi_fifo``, ``mi_datagram`` and the
client tools (``openserunix``, :mod:`openser_py.ctl.mi_client`).  Reference
§9.2/§9.3; the parsing rules are OpenSER 1.3's ``mi_parser.c``.

Request::

    :<command>:<reply_fifo>        (FIFO; datagram: ":<command>:")
    value                          unnamed argument, trimmed
    name::value                    named argument (name and value trimmed)
    name::                         named argument, empty value
    "a \\"quoted\\" value"           quoted: kept verbatim, \\" is a quote,
                                   may go on over several lines
    <empty line>                   end of the request (FIFO)

A line holding only blanks is skipped.  A ``"`` inside an unquoted value, or
anything but blanks after a closing quote, is a parse error.  (1.3 does not
take ``\\"`` as an escape when the backslash is the value's first character;
here it always is one -- the one corner where this parser differs.)

Reply::

    <code> <reason>
    <indent*depth>[<name>:: ]<value>[ <attr>=<value>]...
    <empty line>                   (FIFO only; 1.3.1 datagrams drop it)

A node with a name but no value is written ``name:: `` and its attributes
follow, so ``ps`` rows read ``Process::  ID=0 PID=..`` (two blanks), byte
for byte what 1.3 writes.
"""
from openser_py.mi.tree import MiNode, MiRoot

#: longest FIFO request line, newline included (MAX_MI_FIFO_BUFFER)
MAX_LINE = 1024
#: longest reply-fifo path, reply_dir included (MAX_MI_FILENAME)
MAX_FILENAME = 128
#: largest datagram request/reply (DATAGRAM_SOCK_BUF_SIZE)
MAX_DATAGRAM = 65457

_BLANKS = " \t\r\n\v\f"


class MiParseError(ValueError):
    """A request that does not follow the format (message says why)."""


# -- the command line ---------------------------------------------------------
def parse_command_line(line):
    """``":cmd:reply"`` -> ``(cmd, reply)``; reply may be ``""``.

    Trailing blanks and the newline are ignored, as 1.3 trims them.
    Raises :class:`MiParseError` for a line that is not a command line.
    """
    line = line.rstrip(" \t\r\n")
    if not line:
        raise MiParseError("empty command line")
    if len(line) < 3:
        raise MiParseError("command must have at least 3 chars")
    if line[0] != ":":
        raise MiParseError("command must begin with ':'")
    sep = line.find(":", 1)
    if sep < 0:
        raise MiParseError("separator ':' after the command missing")
    if sep == 1:
        raise MiParseError("empty command")
    return line[1:sep], line[sep + 1:]


def reply_fifo_path(name, reply_dir):
    """The reply fifo for the bare *name* inside *reply_dir*.

    1.3's rules: no ``.``, ``/`` or ``\\`` in the name (a client cannot
    point the server at another file) and at most :data:`MAX_FILENAME`
    bytes in all.  Raises :class:`MiParseError`.
    """
    if any(c in name for c in "./\\"):
        raise MiParseError("forbidden reply fifo filename %r" % name)
    if len(reply_dir.encode()) + len(name.encode()) + 1 > MAX_FILENAME:
        raise MiParseError("reply fifo filename too long")
    return reply_dir + name


# -- argument lines -------------------------------------------------------------
def _unquoted(text, start, end):
    """Trimmed text[start:end]; a quote inside is an error."""
    value = text[start:end].strip(_BLANKS)
    if '"' in value:
        raise MiParseError("unexpected '\"' in unquoted value %r" % value)
    return value


def _quoted(first, more):
    """Read a quoted value whose text after the opening quote is *first*.

    *more()* returns the next line (without newline) or None at the end of
    the request.  Returns the value; the newline between two lines of a
    multi-line value is part of it.
    """
    parts = []
    rest = first
    while True:
        i = 0
        chunk = []
        while i < len(rest):
            c = rest[i]
            if c == "\\" and i + 1 < len(rest) and rest[i + 1] == '"':
                chunk.append('"')
                i += 2
                continue
            if c == '"':
                if rest[i + 1:].strip(_BLANKS):
                    raise MiParseError("text after the closing quote")
                parts.append("".join(chunk))
                return "".join(parts)
            chunk.append(c)
            i += 1
        parts.append("".join(chunk) + "\n")
        rest = more()
        if rest is None or rest == "":
            raise MiParseError("unterminated quoted value")


def parse_arg_line(line, more=lambda: None):
    """One argument line -> :class:`MiNode`, or None for a blank line.

    *more* supplies further lines for a quoted value spanning lines.
    """
    line = line.rstrip("\r\n")
    start = len(line) - len(line.lstrip(_BLANKS))
    if start == len(line):
        return None
    name = ""
    if line[start] != '"':
        sep = line.find("::", start)
        if sep < 0:
            return MiNode("", _unquoted(line, start, len(line)))
        name = line[start:sep].strip(_BLANKS)
        if '"' in name:
            raise MiParseError("unexpected '\"' in name %r" % name)
        rest = line[sep + 2:]
        body = rest.lstrip(_BLANKS)
        if not body:
            return MiNode(name, "")
        if body[0] != '"':
            return MiNode(name, _unquoted(body, 0, len(body)))
        return MiNode(name, _quoted(body[1:], more))
    return MiNode("", _quoted(line[start + 1:], more))


def parse_arg_lines(read_line, stop_at_empty=True):
    """Argument lines up to the end of the request -> ``[MiNode]``.

    *read_line()* returns the next line without its newline, or None at
    the end of input.  With *stop_at_empty* (FIFO) an empty line ends the
    request and the end of input before it is an error; without it
    (datagram) empty lines are skipped and the input simply ends.
    """
    args = []
    while True:
        line = read_line()
        if line is None:
            if stop_at_empty:
                raise MiParseError("request not terminated by an empty line")
            return args
        if line == "" and stop_at_empty:
            return args
        node = parse_arg_line(line, read_line)
        if node is not None:
            args.append(node)


def parse_datagram(data):
    """A datagram request (bytes or str) -> ``(cmd, lines)``.

    *lines* is a ``read_line`` callable for :func:`parse_arg_lines` (called
    with ``stop_at_empty=False``) over the argument lines.  Anything after
    the second ``:`` on the command line is ignored.  Raises
    :class:`MiParseError` for a bad command line or an oversized datagram.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_DATAGRAM:
            raise MiParseError("datagram too big (%d bytes)" % len(data))
        data = data.decode("utf-8", "replace")
    first, _, rest = data.partition("\n")
    cmd, _ = parse_command_line(first)
    lines = rest.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    it = iter(lines)
    return cmd, (lambda: next(it, None))


def parse_request(text, stop_at_empty=True):
    """A whole request text -> ``(cmd, reply_name, [MiNode])`` (tests, tools)."""
    first, _, rest = text.partition("\n")
    cmd, reply = parse_command_line(first)
    lines = rest.split("\n")
    if lines and lines[-1] == "":     # what follows the last newline
        lines.pop()
    it = iter(lines)
    return cmd, reply, parse_arg_lines(lambda: next(it, None), stop_at_empty)


# -- building requests (clients) ------------------------------------------------
def quote_value(value, named=False):
    """*value* as it must appear on an argument line.

    Plain text stays as it is; a value the parser would change (blanks at
    either end, a quote, a newline, an empty unnamed value, ``::`` in an
    unnamed value) is quoted with ``\\"`` escapes.  A quoted value cannot
    end in a backslash (1.3's format has no escape for it): ValueError.
    """
    value = str(value)
    needs = (value != value.strip(_BLANKS) or '"' in value or "\n" in value
             or "\r" in value or (not named and (value == "" or "::" in value)))
    if not needs:
        return value
    if value.endswith("\\"):
        raise ValueError("a quoted MI value cannot end with a backslash")
    return '"%s"' % value.replace('"', '\\"')


def build_request(cmd, args=(), reply_name=""):
    """The request text for *cmd* (FIFO form when *reply_name* is given).

    *args* items are values or ``(name, value)`` pairs.  The text ends with
    the empty line that terminates a request.
    """
    if not cmd or ":" in cmd or any(c in cmd for c in _BLANKS):
        raise ValueError("bad MI command name %r" % cmd)
    out = [":%s:%s" % (cmd, reply_name or "")]
    for arg in args:
        if isinstance(arg, tuple):
            name, value = arg
            if not name or "::" in name or '"' in name or \
                    name != name.strip(_BLANKS):
                raise ValueError("bad MI argument name %r" % name)
            out.append("%s::%s" % (name, quote_value(value, named=True)))
        else:
            out.append(quote_value(arg))
    return "\n".join(out) + "\n\n"


# -- replies ----------------------------------------------------------------------
def encode_node(node, depth, indent="\t"):
    """One reply line (without newline) for *node* at *depth*."""
    out = [indent * depth if indent else ""]
    if node.name:
        out.append(node.name + ":: ")
    if node.value is not None:
        out.append(node.value)
    for name, value in node.attrs:
        out.append(" %s=%s" % (name, value))
    return "".join(out)


def encode_reply(root, indent="\t", final_empty_line=True):
    """The reply text for *root* (an :class:`MiRoot`)."""
    lines = ["%d %s" % (root.code, root.reason or "")]
    for depth, node in root.walk():
        lines.append(encode_node(node, depth, indent))
    text = "\n".join(lines) + "\n"
    return text + "\n" if final_empty_line else text


def parse_reply(text, indent="\t"):
    """A reply text -> :class:`MiRoot` (clients).

    The status line gives code and reason; every further line becomes a
    node whose depth is its count of leading *indent* strings and whose
    name is the text before ``":: "``.  Attributes are not split off (the
    format cannot tell them from the value), so they stay in the value.
    Raises :class:`MiParseError` when the first line is not a status line.
    """
    lines = text.split("\n")
    status = lines[0].split(" ", 1)
    if not status[0].isdigit():
        raise MiParseError("not an MI reply: %r" % lines[0][:80])
    root = MiRoot(code=int(status[0]),
                  reason=status[1] if len(status) > 1 else "")
    stack = [root]
    body = lines[1:]
    while body and body[-1] == "":
        body.pop()
    for line in body:
        depth = 0
        if indent:
            while line.startswith(indent):
                line = line[len(indent):]
                depth += 1
        depth = min(depth, len(stack) - 1)
        name, sep, value = line.partition(":: ")
        if not sep:
            if line.endswith("::") and " " not in line:
                name, value = line[:-2], ""
            else:
                name, value = "", line
        del stack[depth + 1:]
        node = stack[-1].add_child(name, value)
        stack.append(node)
    return root


def transport_error(kind, cmd=None):
    """A transport-level error line (reference §9.2/§9.3).

    *kind* is ``"not_available"``, ``"parse"``, ``"failed"`` or
    ``"internal"``; with *cmd* the FIFO wording (command named), without
    it the datagram wording.
    """
    if kind == "internal":
        return "500 Internal server error\n"
    named = " '%s'" % cmd if cmd is not None else ""
    if kind == "not_available":
        return "500 command%s not available\n" % named
    if kind == "parse":
        return "400 parse error in command%s\n" % named
    if kind == "failed":
        return "500 command%s failed\n" % named
    raise ValueError("unknown transport error kind %r" % kind)
