"""``start``, ``stop``, ``restart`` (PID_FILE, STARTOPTIONS, OSERBIN).

``start`` runs ``OSERBIN -P PID_FILE STARTOPTIONS`` (``-E`` added when
SYSLOG=0).  The server's launcher waits until the daemon is ready or has
failed, so its exit status says whether the start worked; its output is
captured and shown on failure (the real cause, e.g. a config error, instead
of 1.3's bare "PID file does not exist").
"""
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from openser_py.ctl.commands import mictl
from openser_py.ctl.commands.base import CtlError, UsageError

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def server_command(ctx):
    """argv prefix that runs the server."""
    explicit = ctx.get("OSERBIN")
    if explicit:
        return shlex.split(explicit)
    here = os.path.join(os.path.dirname(sys.executable), "openser")
    for cand in (here, shutil.which("openser"),
                 os.path.join(TOP, "sbin", "openser")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return [cand]
    return [sys.executable, "-m", "openser_py.main"]


def _int_setting(ctx, key, default):
    try:
        return float(ctx.get(key, str(default)))
    except ValueError:
        raise UsageError("%s must be a number" % key) from None


def start(ctx):
    pid, running, _ = mictl.pid_status(ctx)
    if running:
        raise CtlError("openser is already running (PID %d from %s)"
                       % (pid, ctx.get("PID_FILE")))
    argv = server_command(ctx) + ["-P", ctx.get("PID_FILE")]
    try:
        argv += shlex.split(ctx.get("STARTOPTIONS"))
    except ValueError as exc:
        raise UsageError("bad STARTOPTIONS: %s" % exc) from None
    if not ctx.get_bool("SYSLOG") and "-E" not in argv:
        argv.append("-E")
    timeout = _int_setting(ctx, "START_TIMEOUT", 30)
    with tempfile.TemporaryFile() as log:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT)
        except OSError as exc:
            raise CtlError("cannot run %s: %s" % (argv[0], exc.strerror),
                           hint="set OSERBIN in openserctlrc") from None
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
        log.seek(0)
        output = log.read().decode("utf-8", "replace").strip()
    if code not in (0, None):
        tail = "\n".join(output.splitlines()[-15:])
        raise CtlError("openser failed to start (exit status %d): %s"
                       % (code, " ".join(argv)),
                       hint="server output:\n" + tail if tail else None)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        pid, running, _ = mictl.pid_status(ctx)
        if running:
            return pid, argv
        time.sleep(0.05)
    raise CtlError("openser did not write a running PID to %s"
                   % ctx.get("PID_FILE"),
                   hint="check PID_FILE and the server log")


def stop(ctx):
    path = ctx.get("PID_FILE")
    pid, running, text = mictl.pid_status(ctx)
    if pid is None:
        raise CtlError("cannot stop openser: %s" % text,
                       hint="is it running? is PID_FILE right?")
    if not running:
        raise CtlError("cannot stop openser: %s" % text,
                       hint="stale PID file: remove %s" % path)
    try:
        os.kill(pid, signal.SIGTERM)
    except PermissionError:
        raise CtlError("not allowed to signal PID %d" % pid,
                       hint="run as the server's user or root") from None
    except ProcessLookupError:
        return pid
    deadline = time.monotonic() + _int_setting(ctx, "STOP_TIMEOUT", 15)
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        if _zombie(pid):
            return pid
        time.sleep(0.05)
    raise CtlError("openser (PID %d) still runs after SIGTERM" % pid)


def _zombie(pid):
    try:
        import psutil
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except Exception:  # noqa: BLE001 -- gone or psutil missing
        return False


def cmd_start(ctx, o):
    pid, argv = start(ctx)
    ctx.emit({"ok": True, "pid": pid, "argv": argv},
             "openser started (PID %d)" % pid)


def cmd_stop(ctx, o):
    pid = stop(ctx)
    ctx.emit({"ok": True, "pid": pid}, "openser (PID %d) stopped" % pid)


def cmd_restart(ctx, o):
    old = None
    if mictl.pid_status(ctx)[1]:
        old = stop(ctx)
    pid, argv = start(ctx)
    ctx.emit({"ok": True, "old_pid": old, "pid": pid, "argv": argv},
             "openser restarted (PID %d)" % pid)


def register(sub):
    for name, func in (("start", cmd_start), ("stop", cmd_stop),
                       ("restart", cmd_restart)):
        p = sub.add_parser(name, help="%s the server" % name)
        p.set_defaults(func=func, needs=None)
