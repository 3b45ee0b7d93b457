"""Raw MI and views built on it: ``fifo``, ``unixsock``, ``ps``,
``monitor``."""
import json
import time

from openser_py.ctl.commands import mictl
from openser_py.ctl.commands.base import UsageError, table_text

MONITOR_GROUPS = (("Transaction Statistics", "tm:"),
                  ("Stateless Server Statistics", "sl:"),
                  ("UsrLoc Stats", "usrloc:"))
#: safety bound on monitor cycles (even "until interrupted")
MAX_CYCLES = 1000000


def cmd_raw(ctx, o):
    """``fifo|unixsock <cmd> [args...]``: print the reply as the server
    wrote it, without the ``200 OK`` line and empty lines (1.3's filter);
    an error reply goes to stderr with exit status 1."""
    engine = "FIFO" if o.command == "fifo" else "UNIXSOCK"
    text = mictl.raw_call(ctx, o.mi_cmd, o.mi_args, engine=engine)
    root = mictl.parse(o.mi_cmd, text)
    if root.code >= 300:
        raise mictl.server_error(o.mi_cmd, root)
    lines = [ln for ln in text.split("\n")[1:] if ln.strip()]
    ctx.emit(mictl.root_json(root), lines)


def _cpu_rss(pids, interval=0.2):
    """``{pid: (cpu_percent, rss_bytes)}`` sampled over *interval*."""
    try:
        import psutil
    except ImportError:
        return {}
    procs = {}
    for pid in pids:
        try:
            p = psutil.Process(pid)
            p.cpu_percent(None)
            procs[pid] = p
        except (psutil.Error, ValueError):
            pass
    if procs:
        time.sleep(interval)
    out = {}
    for pid, p in procs.items():
        try:
            out[pid] = (p.cpu_percent(None), p.memory_info().rss)
        except psutil.Error:
            pass
    return out


def cmd_ps(ctx, o):
    """MI ``ps`` plus CPU% and RSS of each process (psutil)."""
    root = mictl.mi_call(ctx, "ps")
    procs = []
    for node in root.kids:
        attrs = mictl.split_attrs(node.value)
        try:
            procs.append({"id": int(attrs.get("ID", -1)),
                          "pid": int(attrs.get("PID", 0)),
                          "type": attrs.get("Type", "")})
        except ValueError:
            continue
    usage = _cpu_rss([p["pid"] for p in procs])
    for p in procs:
        cpu, rss = usage.get(p["pid"], (None, None))
        p["cpu_percent"] = cpu
        p["rss_kb"] = rss // 1024 if rss is not None else None
    rows = [(p["id"], p["pid"],
             "-" if p["cpu_percent"] is None else "%.1f" % p["cpu_percent"],
             "-" if p["rss_kb"] is None else p["rss_kb"], p["type"])
            for p in procs]
    ctx.emit(procs, table_text(["ID", "PID", "CPU%", "RSS(KB)", "Type"],
                               rows))


def _stats(ctx, group):
    root = mictl.mi_call(ctx, "get_statistics", [group], check=False)
    if root.code == 404:
        return {}
    if root.code >= 300:
        raise mictl.server_error("get_statistics", root)
    out = {}
    for node in root.kids:
        name, _, value = (node.value or "").partition(" = ")
        if not _:
            name, _, value = (node.value or "").partition("=")
        try:
            out[name.strip()] = int(value.strip())
        except ValueError:
            out[name.strip()] = value.strip()
    return out


def _value(ctx, cmd, name):
    root = mictl.mi_call(ctx, cmd)
    for node in root.kids:
        if node.name == name:
            return node.value
    return None


def snapshot(ctx):
    """One monitor cycle as data."""
    return {"version": _value(ctx, "version", "Server"),
            "now": _value(ctx, "uptime", "Now"),
            "up_since": _value(ctx, "uptime", "Up since"),
            "up_time": _value(ctx, "uptime", "Up time"),
            "stats": {title: _stats(ctx, group)
                      for title, group in MONITOR_GROUPS}}


def _render(snap, cycle):
    lines = ["[cycle #: %d; if constant make sure server lives]" % cycle,
             "Server: %s" % snap["version"],
             "Now: %s" % snap["now"], "Up since: %s" % snap["up_since"],
             "Up time: %s" % snap["up_time"], ""]
    for title, stats in snap["stats"].items():
        lines.append("%s:" % title)
        if not stats:
            lines.append("    (none: module not loaded?)")
        for name, value in sorted(stats.items()):
            lines.append("    %s = %s" % (name, value))
        lines.append("")
    return lines


def cmd_monitor(ctx, o):
    """Live view: version, uptime, tm/sl/usrloc statistics.

    ``--once`` = one cycle; ``--count N`` bounds the loop; without them the
    loop runs until Ctrl-C on a terminal and once otherwise (scripts).
    The screen is cleared between cycles only on a terminal.
    """
    try:
        interval = float(o.interval) if o.interval is not None else \
            float(ctx.get("WATCH_PERIOD"))
    except ValueError:
        raise UsageError("interval must be a number of seconds") from None
    if interval < 0:
        raise UsageError("interval must be >= 0")
    tty = ctx.out.isatty() if hasattr(ctx.out, "isatty") else False
    if o.once:
        count = 1
    elif o.count is not None:
        count = o.count
    else:
        count = MAX_CYCLES if tty and not ctx.json else 1
    if count < 1:
        raise UsageError("--count must be >= 1")
    count = min(count, MAX_CYCLES)
    cycle = 0
    try:
        while cycle < count:
            cycle += 1
            snap = snapshot(ctx)
            if ctx.json:               # one JSON document per line
                snap["cycle"] = cycle
                ctx.out.write(json.dumps(snap, sort_keys=True) + "\n")
            else:
                if tty:
                    ctx.out.write("\033[H\033[2J")
                ctx.emit(None, _render(snap, cycle))
            ctx.out.flush()
            if cycle < count:
                time.sleep(interval)
    except KeyboardInterrupt:
        ctx.out.write("\n")
    return 0


def register(sub):
    for name in ("fifo", "unixsock"):
        p = sub.add_parser(name, help="raw MI command over %s" % name)
        p.add_argument("mi_cmd", metavar="CMD")
        p.add_argument("mi_args", nargs="*", metavar="ARG")
        p.set_defaults(func=cmd_raw, needs="mi")
    p = sub.add_parser("ps", help="server processes, with CPU%% and RSS")
    p.set_defaults(func=cmd_ps, needs="mi")
    for name in ("monitor", "moni", "console", "con"):
        p = sub.add_parser(name, help="live statistics view")
        p.add_argument("--once", action="store_true")
        p.add_argument("--interval", "-i")
        p.add_argument("--count", "-n", type=int)
        p.set_defaults(func=cmd_monitor, needs="mi")

