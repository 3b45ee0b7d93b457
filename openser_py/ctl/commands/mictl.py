"""MI access for ``openserctl``: FIFO or unix datagram, chosen by CTLENGINE.

:func:`mi_call` runs one command through :mod:`openser_py.ctl.mi_client`
and turns every failure into a :class:`~.base.CtlError` whose hint says what
to check: the path in openserctlrc against the module parameter in
openser.cfg, permissions, whether mi_fifo/mi_datagram is loaded, whether the
PID in PID_FILE is alive.
"""
import os
import stat

from openser_py.ctl.commands.base import CtlError, Unreachable, UsageError
from openser_py.ctl.mi_client import MiClientError, MiTimeout
from openser_py.ctl.mi_client.datagram import datagram_request
from openser_py.ctl.mi_client.fifo import fifo_request
from openser_py.mi import fmt


def transport(ctx, engine=None):
    """``("FIFO", path)`` or ``("UNIXSOCK", address)``."""
    engine = (engine or ctx.get("CTLENGINE")).upper()
    if engine == "FIFO":
        return engine, ctx.get("OSER_FIFO")
    if engine in ("UNIXSOCK", "UNIX", "DATAGRAM"):
        return "UNIXSOCK", ctx.get("OSER_UNIXSOCK")
    raise UsageError("CTLENGINE %s is not supported" % engine,
                     hint="CTLENGINE=FIFO or CTLENGINE=UNIXSOCK")


def pid_status(ctx):
    """``(pid or None, running, text)`` from PID_FILE."""
    path = ctx.get("PID_FILE")
    try:
        with open(path) as fh:
            pid = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None, False, "no readable PID file %s" % path
    try:
        os.kill(pid, 0)
        running = True
    except ProcessLookupError:
        running = False
    except PermissionError:
        running = True
    if running:
        return pid, True, "server PID %d from %s is running" % (pid, path)
    return pid, False, "server PID %d from %s is not running" % (pid, path)


def _unreachable(ctx, engine, path, cause):
    """Unreachable error with the most specific hint we can give."""
    param = ("fifo_name (mi_fifo)" if engine == "FIFO"
             else "socket_name (mi_datagram)")
    setting = "OSER_FIFO" if engine == "FIFO" else "OSER_UNIXSOCK"
    module = "mi_fifo" if engine == "FIFO" else "mi_datagram"
    hints = []
    if not path.lower().startswith("udp:"):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            hints.append("%s does not exist: is openser running, with %s "
                         "loaded? %s in openser.cfg must equal %s=%s in "
                         "openserctlrc" % (path, module, param, setting, path))
        except PermissionError:
            hints.append("permission denied on the directory of %s" % path)
        else:
            want = stat.S_ISFIFO if engine == "FIFO" else stat.S_ISSOCK
            if not want(st.st_mode):
                hints.append("%s is not a %s" % (
                    path, "FIFO" if engine == "FIFO" else "unix socket"))
            elif not os.access(path, os.W_OK):
                hints.append("permission denied writing %s: run openserctl "
                             "as the server's user or a member of its group "
                             "(%s fifo_mode/fifo_group or socket_mode/"
                             "socket_group)" % (path, module))
            else:
                hints.append("nobody serves %s: the server is not running "
                             "or %s is not loaded (stale file)" % (path,
                                                                  module))
    _, running, text = pid_status(ctx)
    if not running:
        hints.append(text)
    return Unreachable("cannot reach the server over %s %s: %s"
                       % (engine, path, cause), hint="; ".join(hints) or None)


def raw_call(ctx, cmd, args=(), engine=None):
    """Send *cmd* with *args*; return the reply text (transport errors
    raise Unreachable)."""
    engine, path = transport(ctx, engine)
    try:
        request = fmt.build_request(cmd, args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    timeout = ctx.timeout()
    if engine == "FIFO":
        reply_dir = ctx.get("OSER_REPLY_DIR")
        if not os.access(reply_dir, os.W_OK | os.X_OK):
            raise Unreachable(
                "cannot create the reply FIFO in %s: permission denied or "
                "no such directory" % reply_dir,
                hint="OSER_REPLY_DIR must be a directory you can write and "
                     "equal mi_fifo's reply_dir modparam (default /tmp/)")
    try:
        if engine == "FIFO":
            return fifo_request(path, request, timeout,
                                reply_dir=ctx.get("OSER_REPLY_DIR"))
        return datagram_request(path, request, timeout)
    except MiTimeout as exc:
        hint = ("the server took the request but no reply came: the reply "
                "FIFO is created in OSER_REPLY_DIR=%s, which must equal "
                "mi_fifo's reply_dir" % ctx.get("OSER_REPLY_DIR")
                if engine == "FIFO" else
                "is the MI Datagram process alive? (openserctl ps)")
        raise Unreachable("no reply from the server over %s %s within %.1fs"
                          " (%s)" % (engine, path, timeout, exc),
                          hint=hint) from None
    except MiClientError as exc:
        raise _unreachable(ctx, engine, path, exc) from None
    except OSError as exc:
        raise _unreachable(ctx, engine, path, exc.strerror or exc) from None


def mi_call(ctx, cmd, args=(), engine=None, ok=(200,), check=True):
    """Run *cmd*; return the parsed :class:`~openser_py.mi.tree.MiRoot`.

    With *check*, a reply code >= 300 raises CtlError (exit 1) quoting the
    server's reason.
    """
    root = parse(cmd, raw_call(ctx, cmd, args, engine))
    if check and root.code >= 300:
        raise server_error(cmd, root)
    return root


def parse(cmd, text):
    """Reply text -> MiRoot (CtlError when it is not an MI reply)."""
    try:
        return fmt.parse_reply(text)
    except fmt.MiParseError as exc:
        raise CtlError("bad MI reply to %s: %s" % (cmd, exc)) from None


def server_error(cmd, root):
    """CtlError for an MI error reply."""
    hint = None
    if "not available" in (root.reason or ""):
        hint = "the module providing %s is not loaded in openser.cfg" % cmd
    return CtlError("the server answered %s: %d %s" % (cmd, root.code,
                                                       root.reason),
                    hint=hint)


def tree_json(node):
    """An MI node (and its children) as plain data."""
    out = {"name": node.name, "value": node.value}
    if node.kids:
        out["children"] = [tree_json(k) for k in node.kids]
    return out


def root_json(root):
    return {"code": root.code, "reason": root.reason,
            "nodes": [tree_json(k) for k in root.kids]}


def tree_lines(root, indent="\t"):
    """The reply nodes as 1.3 prints them (without the status line)."""
    lines = []
    for depth, node in root.walk():
        lines.append(fmt.encode_node(node, depth, indent))
    return lines


def split_attrs(value):
    """``"ID=0 PID=12 Type=SIP receiver udp:..."`` -> dict; the last
    attribute keeps the rest of the line (it may contain blanks)."""
    out = {}
    parts = (value or "").strip().split(" ")
    key = None
    for part in parts:
        name, eq, val = part.partition("=")
        if eq and name and name[0].isupper() and name.isalnum():
            key = name
            out[key] = val
        elif key is not None:
            out[key] += " " + part
    return {k: v.strip() for k, v in out.items()}
