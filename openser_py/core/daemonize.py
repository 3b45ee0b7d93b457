"""Daemon mode (OpenSER ``daemonize.c``), with start-up status reporting.

``daemonize()`` double-forks and detaches from the terminal, but the original
process does not exit at once: it waits on a status pipe until the daemon
reports that start-up finished (sockets bound, children forked) or failed,
then exits 0 or prints the failure and exits 1.  So ``openser -f cfg`` in a
shell or an init script tells the caller whether the server really started
(OpenSER only logged that to syslog).
"""
import grp
import os
import pwd
import sys


class DaemonError(Exception):
    """Daemon set-up failed (message says why)."""


_status_fd = None


def daemonize(workdir="/", timeout=60.0):
    """Detach; return in the daemon (grandchild).  The caller's process
    waits for :func:`report_ok` / :func:`report_failure` and exits."""
    global _status_fd
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid:                                   # the original process
        os.close(wfd)
        sys.exit(_wait_status(rfd, timeout))
    os.close(rfd)
    os.setsid()
    if os.fork():                             # first child: leave
        os._exit(0)
    try:
        os.chdir(workdir or "/")
    except OSError as exc:
        _send(wfd, "FAIL cannot chdir to %s: %s\n" % (workdir, exc.strerror))
        os._exit(1)
    os.umask(0o022)
    _status_fd = wfd
    return os.getpid()


def _wait_status(rfd, timeout):
    """Read one status line ("OK" or "FAIL reason"), or EOF, or time out."""
    import select
    import time
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        ready = left > 0 and select.select([rfd], [], [], left)[0]
        if not ready:
            break
        data = os.read(rfd, 4096)
        if not data:
            break
        chunks.append(data)
        if b"\n" in data:
            break
    text = b"".join(chunks).decode("utf-8", "replace").split("\n", 1)[0]
    if text.startswith("OK"):
        return 0
    msg = text[5:] if text.startswith("FAIL ") else (
        "the server exited during start-up without reporting why" if not text
        else text)
    sys.stderr.write("openser: start-up failed: %s\n" % msg.strip())
    return 1


def _send(fd, text):
    try:
        os.write(fd, text.encode("utf-8", "replace"))
    except OSError:
        pass


def report_ok():
    """Tell the waiting caller that start-up succeeded; detach stdio."""
    global _status_fd
    if _status_fd is not None:
        _send(_status_fd, "OK\n")
        os.close(_status_fd)
        _status_fd = None


def report_failure(reason):
    """Tell the waiting caller that start-up failed."""
    global _status_fd
    if _status_fd is not None:
        _send(_status_fd, "FAIL %s\n" % reason.replace("\n", " "))
        os.close(_status_fd)
        _status_fd = None


def close_in_child():
    """A forked child must not hold the status pipe (the caller waits on it)."""
    global _status_fd
    if _status_fd is not None:
        try:
            os.close(_status_fd)
        except OSError:
            pass
        _status_fd = None


def in_daemon():
    """True in a daemon whose caller still waits for the start-up status."""
    return _status_fd is not None


def redirect_stdio():
    """stdin/stdout/stderr on /dev/null (logging goes to syslog)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


def write_pid_file(path, pid=None):
    """Write (replace) the pid file."""
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % (pid or os.getpid()))
    os.replace(tmp, path)


def remove_file(path):
    """Remove a pid/pgid file, ignoring a missing one."""
    try:
        os.unlink(path)
    except OSError:
        pass


def resolve_user_group(user, group):
    """``(uid, gid)`` for -u/-g (names or numbers); None where not given."""
    uid = gid = None
    if user:
        try:
            pw = pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
        except KeyError:
            raise DaemonError("unknown user %r" % user) from None
        uid, gid = pw.pw_uid, pw.pw_gid
    if group:
        try:
            gid = (grp.getgrgid(int(group)) if group.isdigit()
                   else grp.getgrnam(group)).gr_gid
        except KeyError:
            raise DaemonError("unknown group %r" % group) from None
    return uid, gid


def drop_privileges(uid, gid):
    """setgid/setuid after the sockets are bound."""
    try:
        if gid is not None:
            os.setgroups([gid])
            os.setgid(gid)
        if uid is not None:
            os.setuid(uid)
    except OSError as exc:
        raise DaemonError("cannot change user/group: %s" % exc.strerror) from None
