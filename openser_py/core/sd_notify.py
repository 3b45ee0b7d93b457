"""systemd readiness notification (``sd_notify(3)``) with the stdlib only.

Protocol (systemd's ``sd_notify`` man page, "NOTIFY_SOCKET"): when the
service manager starts a ``Type=notify`` service it puts the path of an
``AF_UNIX`` datagram socket in ``$NOTIFY_SOCKET``; a name starting with
``@`` is an abstract socket (the ``@`` stands for a leading NUL byte).  A
notification is one datagram of newline-separated ``KEY=VALUE`` lines:

* ``READY=1`` -- start-up (or a reload) is complete;
* ``RELOADING=1`` (+ ``MONOTONIC_USEC=``) -- a reload starts;
* ``STOPPING=1`` -- shutdown starts;
* ``STATUS=<text>`` -- one line shown by ``systemctl status``;
* ``MAINPID=<pid>`` -- the main process (after daemonizing);
* ``WATCHDOG=1`` -- keep-alive, due every ``$WATCHDOG_USEC`` microseconds
  (we send at half that interval) when ``WatchdogSec=`` is set.
  ``$WATCHDOG_PID``, when present, names the only process that may ping.

Without ``$NOTIFY_SOCKET`` every call is a cheap no-op returning False.
Only the attendant (master) notifies; see :mod:`openser_py.core.arbiter`.
"""
import os
import socket
import time

__all__ = ["notify", "enabled", "watchdog_interval", "socket_address"]


def socket_address(env=None):
    """The ``$NOTIFY_SOCKET`` address to ``connect()`` to, or None."""
    env = os.environ if env is None else env
    name = env.get("NOTIFY_SOCKET")
    if not name:
        return None
    if name[0] == "@":                 # abstract namespace
        return "\0" + name[1:]
    if name[0] != "/":                 # only absolute paths are valid
        return None
    return name


def enabled():
    """True when a service manager listens for notifications."""
    return socket_address() is not None


def notify(*lines):
    """Send ``KEY=VALUE`` *lines* as one datagram; True if it was sent.

    Never raises: a missing or dead socket only makes it return False
    (the server must not stop because systemd went away).
    """
    addr = socket_address()
    if addr is None or not lines:
        return False
    data = "\n".join(line.replace("\n", " ") for line in lines).encode(
        "utf-8", "replace")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.settimeout(1.0)
            sock.connect(addr)
            sock.send(data)
        return True
    except OSError:
        return False


def reloading():
    """``RELOADING=1`` with ``MONOTONIC_USEC`` (systemd >= 253 wants it)."""
    usec = int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1000000)
    return notify("RELOADING=1", "MONOTONIC_USEC=%d" % usec,
                  "STATUS=reloading the configuration")


def watchdog_interval(env=None):
    """Seconds between ``WATCHDOG=1`` pings (half of ``$WATCHDOG_USEC``),
    or None when no watchdog is configured for this process."""
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC")
    if not usec or socket_address(env) is None:
        return None
    wpid = env.get("WATCHDOG_PID")
    if wpid:
        try:
            if int(wpid) != os.getpid():
                return None
        except ValueError:
            return None
    try:
        usec = int(usec)
    except ValueError:
        return None
    if usec <= 0:
        return None
    return usec / 2.0 / 1000000.0
