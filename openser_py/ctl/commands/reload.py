"""``reload``: validated reload of the routing script (MI ``reload_cfg``).

The server's master checks its config file again with the same checks as
``openser -c``; when valid, every worker switches to the new routing
script at a message boundary and reports back
(:mod:`openser_py.core.reload`).  This command prints:

* success: the new generation and one line per worker (``ok``), exit 0;
* configuration errors: every ``file:line:col: message``, exit 1; the
  server keeps running the old configuration;
* changes that need a restart (``loadmodule``, ``modparam``, core
  parameters such as ``listen``): one line each, exit 1, nothing changed;
* a worker that failed or did not answer in time: the table with its
  error, exit 1.

``--json`` prints one object: ``ok``, ``code``, ``reason``,
``generation``, ``processes`` (id, pid, status, type, error), ``errors``,
``restart``.
"""
from openser_py.ctl.commands import mictl
from openser_py.ctl.commands.base import (EXIT_ERROR, CtlError, table_text)

#: the reload waits for the check and every worker: at least this long
RELOAD_TIMEOUT = 60.0


def parse_process(value):
    """``ID=1 PID=2 Status=ok Type=udp receiver ... [Error=...]`` -> dict."""
    out = {"id": None, "pid": None, "status": None, "type": "", "error": ""}
    text = value or ""
    err_at = text.find(" Error=")
    if err_at >= 0:
        out["error"] = text[err_at + len(" Error="):]
        text = text[:err_at]
    type_at = text.find(" Type=")
    if type_at >= 0:
        out["type"] = text[type_at + len(" Type="):]
        text = text[:type_at]
    for part in text.split():
        key, _, val = part.partition("=")
        key = key.lower()
        if key in ("id", "pid"):
            try:
                out[key] = int(val)
            except ValueError:
                pass
        elif key == "status":
            out["status"] = val
    return out


def summarize(root):
    """The MI reply of ``reload_cfg`` as plain data."""
    data = {"ok": root.code == 200, "code": root.code, "reason": root.reason,
            "generation": None, "processes": [], "errors": [],
            "restart": []}
    for node in root.kids:
        if node.name == "Generation":
            try:
                data["generation"] = int(node.value)
            except (TypeError, ValueError):
                pass
        elif node.name == "Process":
            data["processes"].append(parse_process(node.value))
        elif node.name == "Error":
            data["errors"].append(node.value)
        elif node.name == "Restart":
            data["restart"].append(node.value)
    return data


def cmd_reload(ctx, o):
    """``openserctl reload``."""
    ctx.s["MI_TIMEOUT"] = str(max(ctx.timeout(), RELOAD_TIMEOUT))
    root = mictl.mi_call(ctx, "reload_cfg", check=False)
    if root.code >= 300 and not root.kids:
        raise mictl.server_error("reload_cfg", root)
    data = summarize(root)
    if ctx.json:
        ctx.emit(data)
        return None if data["ok"] else EXIT_ERROR
    if data["errors"] or data["restart"]:
        for line in data["errors"] + data["restart"]:
            ctx.err.write(line + "\n")
        if data["errors"]:
            raise CtlError("the new configuration has %d error(s): the "
                           "server keeps running the old one"
                           % len(data["errors"]))
        raise CtlError("the new configuration changes %d thing(s) that "
                       "need a restart: the server keeps running the old "
                       "one" % len(data["restart"]),
                       hint="openserctl restart applies them")
    rows = [(p["id"], p["pid"], p["status"], p["type"],
             p["error"] or "") for p in data["processes"]]
    lines = ["routing script generation %s" % data["generation"]]
    lines += table_text(["ID", "PID", "Status", "Type", "Error"], rows)
    ctx.emit(data, lines)
    if not data["ok"]:
        raise CtlError("reload incomplete: %s" % data["reason"])
    return None


def register(sub):
    """Add the ``reload`` parser."""
    p = sub.add_parser("reload", help="validated reload of the routing "
                       "script (MI reload_cfg)")
    p.set_defaults(func=cmd_reload, needs="mi")
