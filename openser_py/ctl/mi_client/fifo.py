"""MI over mi_fifo, client side (what ``openserctl fifo`` does).

Theory of operation: create a private reply FIFO ``<reply_dir>/
openser_reply_<pid>_<random>`` (mode 0600), open it for reading
non-blocking *before* sending, so the server's non-blocking open succeeds
at once; write the request to the server FIFO (non-blocking open: no
reader means no server, once :data:`NO_READER_WAIT` has passed); then collect the reply until the server closes its
end (end of file after some data) or the timeout.  The reply FIFO is closed
and removed in every case.
"""
import errno
import os
import select
import time
import uuid

from openser_py.ctl.mi_client import (DEFAULT_TIMEOUT, MiTimeout,
                                      MiUnreachable)
from openser_py.mi import fmt

#: how long a FIFO without reader (server starting) is tried again
NO_READER_WAIT = 1.0


def _write_all(fd, data, deadline):
    while data:
        try:
            n = os.write(fd, data)
            data = data[n:]
            continue
        except BlockingIOError:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            raise MiTimeout("the server FIFO did not take the request")
        select.select([], [fd], [], min(left, 0.2))


def _read_reply(fd, deadline):
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise MiTimeout("no complete reply within the timeout"
                            + (" (partial: %r)" % b"".join(chunks)[:80]
                               if chunks else ""))
        ready, _, _ = select.select([fd], [], [], min(left, 0.05))
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            continue
        if data:
            chunks.append(data)
        elif chunks:
            return b"".join(chunks)
        else:
            time.sleep(0.01)       # the server has not opened it yet


def _open_server(fifo_path, deadline):
    """Open the server FIFO for writing; a FIFO nobody reads yet (a server
    still starting) is tried again until *deadline*."""
    while True:
        try:
            return os.open(fifo_path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno == errno.ENXIO and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            if exc.errno in (errno.ENOENT, errno.ENXIO, errno.ENOTDIR,
                             errno.EACCES):
                raise MiUnreachable("cannot reach the MI FIFO %s: %s"
                                    % (fifo_path, exc.strerror)) from None
            raise


def fifo_request(fifo_path, request, timeout=DEFAULT_TIMEOUT,
                 reply_dir="/tmp/", reply_name=None):
    """Send *request* (text whose first line is ``:cmd:`` -- the reply
    name is filled in) to the server FIFO; return the reply text.

    Raises MiUnreachable (no FIFO or nobody reading it) or MiTimeout.
    """
    deadline = time.monotonic() + timeout
    name = reply_name or "openser_reply_%d_%s" % (os.getpid(),
                                                   uuid.uuid4().hex[:10])
    first, nl, rest = request.partition("\n")
    if not first.startswith(":") or first.count(":") < 2:
        raise ValueError("an MI request starts with ':<command>:'")
    cmd = first[1:].split(":", 1)[0]
    text = ":%s:%s%s%s" % (cmd, name, nl or "\n", rest)
    path = os.path.join(reply_dir, name)
    os.mkfifo(path, 0o600)
    rfd = sfd = None
    try:
        rfd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        sfd = _open_server(fifo_path, min(deadline,
                                          time.monotonic() + NO_READER_WAIT))
        _write_all(sfd, text.encode("utf-8"), deadline)
        os.close(sfd)
        sfd = None
        return _read_reply(rfd, deadline).decode("utf-8", "replace")
    finally:
        for fd in (sfd, rfd):
            if fd is not None:
                os.close(fd)
        try:
            os.unlink(path)
        except OSError:
            pass


def fifo_cmd(fifo_path, cmd, args=(), timeout=DEFAULT_TIMEOUT,
             reply_dir="/tmp/", indent="\t"):
    """Run *cmd* with *args* (values or ``(name, value)`` pairs) through the
    FIFO; return the parsed :class:`~openser_py.mi.tree.MiRoot`."""
    text = fifo_request(fifo_path, fmt.build_request(cmd, args), timeout,
                        reply_dir)
    return fmt.parse_reply(text, indent)
