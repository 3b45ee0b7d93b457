"""``openser --trace-msg MSGFILE -f CFG``: run one message through the script.

The config is loaded and compiled as the server would (modules, modparams,
fixups, mod_init), but with a tracing compiler: every executed statement is
printed with its ``file:line`` and source text, every condition with its
result, every function call with its return value.  Nothing goes to the
network: sends are captured and printed at the end with the disposition
(replied / forwarded / dropped).
"""
import sys

from openser_py.core import route
from openser_py.core.cfgload import load_config
from openser_py.core.exports import ONREPLY_ROUTE, REQUEST_ROUTE
from openser_py.core.scriptrun import SendRecorder, make_msg
from openser_py.parser.errors import SipParseError


class Tracer:
    """Wraps compiled statements and conditions so that they report."""

    def __init__(self, out, sources):
        self.out = out
        self.sources = sources     # file -> list of lines
        self.depth = 0

    def _line(self, coord):
        lines = self.sources.get(coord.file)
        if lines and 1 <= coord.line <= len(lines):
            return lines[coord.line - 1].strip()
        return "?"

    def _say(self, coord, text):
        self.out.write("%s%s:%d: %s\n" % ("  " * self.depth, coord.file,
                                          coord.line, text))

    def wrap_stmt(self, node, fn):
        """Report *node* when it runs (calls: with their return value)."""
        coord = node.coord
        simple = type(node).__name__ in ("Call", "Assign", "Exit", "Drop",
                                         "Return", "RouteCall")

        def traced(msg):
            text = self._line(coord)
            if not simple:
                self._say(coord, text)
                self.depth += 1
                try:
                    return fn(msg)
                finally:
                    self.depth -= 1
            try:
                ret = fn(msg)
            except route.ScriptExit as exc:
                self._say(coord, "%s  => %s" % (text, "drop" if exc.drop
                                                 else "exit"))
                raise
            except route.RouteReturn as exc:
                self._say(coord, "%s  => return %d" % (text, exc.value))
                raise
            self._say(coord, "%s  => %s" % (text, ret))
            return ret
        return traced

    def wrap_cond(self, node, fn):
        """Report the value of the condition *node*."""
        def traced(msg):
            result = fn(msg)
            self.out.write("%s(condition is %s)\n" % ("  " * (self.depth + 1),
                                                      "true" if result
                                                      else "false"))
            return result
        return traced


def describe_send(proto, ip, port, data):
    """One line saying what a captured send was."""
    from openser_py.core.ip_addr import PROTO_NAMES
    first = data.split(b"\r\n", 1)[0].decode("latin-1")
    dest = "%s:%s:%d" % (PROTO_NAMES.get(proto, "?"), ip, port)
    if first.startswith("SIP/2.0 "):
        return "replied %s to %s" % (first[8:], dest)
    return "forwarded %s to %s" % (first.split(" ", 1)[0] + " " +
                                   first.split(" ")[1], dest)


def run_trace(cfg_path, msg_path, src="192.0.2.10:5060", proto="udp",
              out=None, show_bytes=True):
    """Trace *msg_path* through *cfg_path*; return the exit status."""
    out = out or sys.stdout
    try:
        with open(cfg_path, "rb") as fh:
            cfg_lines = fh.read().decode("latin-1").split("\n")
        with open(msg_path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        sys.stderr.write("openser: %s\n" % exc)
        return 1
    tracer = Tracer(out, {cfg_path: cfg_lines})
    script = load_config(cfg_path, tracer=tracer)
    if script.errors:
        sys.stderr.write(script.format_errors() + "\n")
        return 1
    ip, _, port = src.rpartition(":")
    try:
        msg = make_msg(data, src_ip=ip, src_port=int(port), proto=proto)
    except SipParseError as exc:
        out.write("message rejected by the parser: %d %s (%s)\n"
                  % (exc.status, exc.reply_reason, exc.reason))
        return 0
    rtype = REQUEST_ROUTE if msg.is_request else ONREPLY_ROUTE
    fn = script.tables.get(rtype, 0)
    out.write("tracing %s %s through %s\n" % (
        "request" if msg.is_request else "reply",
        msg.method if msg.is_request else msg.status, cfg_path))
    flags = 0
    with SendRecorder() as rec:
        if fn is not None:
            route.reset_msg_context()
            flags = route.run_top_route(fn, rtype, msg)
    out.write("disposition:\n")
    for proto_, ip_, port_, payload in rec.sent:
        out.write("  %s\n" % describe_send(proto_, ip_, port_, payload))
    if not rec.sent:
        out.write("  %s\n" % ("dropped" if flags & route.DROP_R_F else
                              "nothing sent (the script ended without "
                              "replying or forwarding)"))
    if show_bytes:
        for _, _, _, payload in rec.sent:
            out.write("\n" + payload.decode("latin-1"))
    return 0
