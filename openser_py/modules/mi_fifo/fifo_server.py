"""The MI FIFO server loop (OpenSER ``mi_fifo/fifo_fnc.c``).

Theory of operation
-------------------
The "MI FIFO" process opens the FIFO for reading, non-blocking, and keeps a
write descriptor of its own open so that the FIFO never reports end of
file between clients.  :class:`LineReader` assembles lines from whatever
the clients write; :func:`serve_one` handles one request:

1. wait (without limit, heartbeat every second) for the command line
   ``:cmd:reply_fifo``; an empty line is skipped, a malformed one is logged
   and the rest of its request (up to the empty line) consumed;
2. from here every line must arrive within :data:`READ_TIMEOUT` seconds --
   a writer that stalls mid-request costs at most that long;
3. an unknown command: ``500 command '<cmd>' not available``; otherwise the
   reply fifo is opened *before* the arguments are read (as 1.3): it must
   be a FIFO, not a symbolic or hard link, and a client that has not
   opened it for reading gets :data:`REPLY_RETRIES` tries
   :data:`REPLY_WAIT` seconds apart, then its request is dropped;
4. arguments are parsed (:mod:`openser_py.mi.fmt`); a parse error answers
   ``400 parse error in command '<cmd>'`` and consumes the rest;
5. the command runs; its tree, or ``500 command '<cmd>' failed``, is
   written without ever blocking for more than :data:`REPLY_TIMEOUT`
   seconds (a client that never reads loses its reply, not the server).

Lines are at most :data:`~openser_py.mi.fmt.MAX_LINE` bytes; a request at
most :data:`MAX_REQUEST` bytes.  An ``:cmd:`` request with no reply name
runs the command and writes nothing.
"""
import errno
import os
import select
import stat
import time

from openser_py.core import pt
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.mi import fmt, mi
from openser_py.mi.mi_core import sync_debug
from openser_py.mi.tree import MI_ASYNC_RPL_FLAG, MI_NO_INPUT_FLAG

READ_TIMEOUT = 3.0      # seconds a request line may take once it started
REPLY_RETRIES = 4       # FIFO_REPLY_RETRIES
REPLY_WAIT = 0.08       # FIFO_REPLY_WAIT (80 ms)
REPLY_TIMEOUT = 2.0     # seconds a reply may take to write
MAX_REQUEST = 1 << 20   # bytes in one request
CONSUME_LINES = 100000  # lines consumed at most after an error


class LineTooLong(Exception):
    """A line longer than MAX_LINE (it has been skipped)."""


class ReadTimeout(Exception):
    """No complete line before the deadline."""


class LineReader:
    """Lines (bytes, without the newline) from a non-blocking fd."""

    def __init__(self, fd, max_line=fmt.MAX_LINE, heartbeat=None):
        self.fd = fd
        self.max_line = max_line
        self.heartbeat = heartbeat
        self.buf = bytearray()
        self.skipping = False     # dropping the rest of a too long line

    def _fill(self, deadline):
        """Read what is there; wait until *deadline* (None: forever)."""
        while True:
            if deadline is None:
                wait = 1.0
            else:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    raise ReadTimeout()
            try:
                ready, _, _ = select.select([self.fd], [], [], min(wait, 1.0))
            except InterruptedError:
                continue
            if not ready:
                if self.heartbeat is not None:
                    self.heartbeat()
                continue
            try:
                data = os.read(self.fd, 65536)
            except (BlockingIOError, InterruptedError):
                continue
            if data:
                self.buf += data
                return
            time.sleep(0.01)      # no writer at all (our own one is gone)

    def readline(self, deadline=None):
        """The next line; LineTooLong / ReadTimeout as documented."""
        while True:
            nl = self.buf.find(b"\n")
            if self.skipping:
                if nl < 0:
                    del self.buf[:]
                    self._fill(deadline)
                    continue
                del self.buf[:nl + 1]
                self.skipping = False
                raise LineTooLong()
            if nl >= 0:
                if nl + 1 > self.max_line:
                    del self.buf[:nl + 1]
                    raise LineTooLong()
                line = bytes(self.buf[:nl])
                del self.buf[:nl + 1]
                return line
            if len(self.buf) >= self.max_line:
                self.skipping = True
                continue
            self._fill(deadline)


class _Request:
    """Reading the lines of one request with a per-line deadline."""

    def __init__(self, reader):
        self.reader = reader
        self.ended = False        # the terminating empty line was read
        self.stalled = False      # the writer stopped sending
        self.size = 0

    def read_line(self):
        """For fmt.parse_arg_lines: a str line; errors as MiParseError."""
        try:
            raw = self.reader.readline(time.monotonic() + READ_TIMEOUT)
        except ReadTimeout:
            self.stalled = True
            raise fmt.MiParseError("request line not received in time")
        except LineTooLong:
            raise fmt.MiParseError("request line too long")
        self.size += len(raw) + 1
        if self.size > MAX_REQUEST:
            raise fmt.MiParseError("request too big")
        if raw == b"":
            self.ended = True
        return raw.decode("utf-8", "replace")

    def consume(self):
        """Drop lines up to the empty line ending the request (bounded)."""
        if self.ended or self.stalled:
            return
        for _ in range(CONSUME_LINES):
            try:
                raw = self.reader.readline(time.monotonic() + READ_TIMEOUT)
            except LineTooLong:
                continue
            except ReadTimeout:
                self.stalled = True
                return
            if raw == b"":
                self.ended = True
                return


# -- reply fifos -------------------------------------------------------------
def _check_reply_fifo(fd, path):
    """1.3's security checks: a FIFO, not hard-linked, not a symlink."""
    fst = os.fstat(fd)
    if not stat.S_ISFIFO(fst.st_mode):
        LM_ERR("security: %s is not a fifo", path)
        return False
    if fst.st_nlink > 1:
        LM_ERR("security: %s is hard-linked %d times", path, fst.st_nlink)
        return False
    lst = os.lstat(path)
    if stat.S_ISLNK(lst.st_mode) or (lst.st_dev, lst.st_ino) != (
            fst.st_dev, fst.st_ino):
        LM_ERR("security: %s is a soft link or was replaced", path)
        return False
    return True


def open_reply(path, retries=REPLY_RETRIES, wait=REPLY_WAIT):
    """Open the reply fifo for writing, non-blocking; fd or None."""
    flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    for attempt in range(retries + 1):
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            if exc.errno == errno.ENXIO and attempt < retries:
                time.sleep(wait)      # client not reading yet
                continue
            if exc.errno == errno.ENXIO:
                LM_ERR("no client at %s", path)
            else:
                LM_ERR("cannot open reply fifo %s: %s", path, exc.strerror)
            return None
        try:
            if _check_reply_fifo(fd, path):
                return fd
        except OSError as exc:
            LM_ERR("cannot check reply fifo %s: %s", path, exc.strerror)
        os.close(fd)
        return None
    return None


def write_reply(fd, text, timeout=REPLY_TIMEOUT):
    """Write *text* to *fd*, waiting at most *timeout* s; True when done."""
    data = text.encode("utf-8", "replace")
    deadline = time.monotonic() + timeout
    while data:
        try:
            n = os.write(fd, data)
            data = data[n:]
            continue
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:          # EPIPE: the client went away
            LM_ERR("writing the MI reply failed: %s", exc.strerror)
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            LM_ERR("MI reply not read by the client within %.1fs: dropped",
                   timeout)
            return False
        try:
            select.select([], [fd], [], min(left, 0.5))
        except InterruptedError:
            pass
    return True


def send_reply(path, text):
    """Open *path*, write *text*, close; True when written."""
    fd = open_reply(path)
    if fd is None:
        return False
    try:
        return write_reply(fd, text)
    finally:
        os.close(fd)


class FifoAsyncHandler:
    """Async reply handle for MI_ASYNC_RPL_FLAG commands: picklable, usable
    from any process (``reply(root)``; None writes ``500 command failed``)."""

    def __init__(self, path, indent):
        self.path = path
        self.indent = indent

    def reply(self, root, done=True):
        if not self.path:
            return False
        if root is None:
            return send_reply(self.path, "500 command failed\n")
        return send_reply(self.path, fmt.encode_reply(root, self.indent))


# -- one request ----------------------------------------------------------------
def serve_one(reader, reply_dir, indent):
    """Read and answer one request (see the module docstring)."""
    try:
        raw = reader.readline(None)
    except LineTooLong:
        LM_ERR("MI FIFO command line too long: request dropped")
        _Request(reader).consume()
        return
    line = raw.decode("utf-8", "replace")
    if not line.strip(" \t\r"):
        return
    sync_debug()
    req = _Request(reader)
    try:
        cmd_name, reply_name = fmt.parse_command_line(line)
        path = fmt.reply_fifo_path(reply_name, reply_dir) if reply_name \
            else None
    except fmt.MiParseError as exc:
        LM_ERR("bad MI FIFO command line %r: %s", line[:80], exc)
        req.consume()
        return
    cmd = mi.lookup_mi_cmd(cmd_name)
    if cmd is None:
        LM_ERR("MI FIFO command %s is not available", cmd_name)
        req.consume()
        if path:
            send_reply(path, fmt.transport_error("not_available", cmd_name))
        return
    fd = None
    hdl = None
    if cmd.flags & MI_ASYNC_RPL_FLAG:
        hdl = FifoAsyncHandler(path, indent)
    elif path:
        fd = open_reply(path)
        if fd is None:
            req.consume()
            return
    try:
        _run(req, cmd, cmd_name, path, fd, hdl, indent)
    finally:
        if fd is not None:
            os.close(fd)
        mi.run_deferred()


def _write(fd, path, text):
    if fd is not None:
        write_reply(fd, text)
    elif path:
        send_reply(path, text)


def _run(req, cmd, cmd_name, path, fd, hdl, indent):
    if cmd.flags & MI_NO_INPUT_FLAG:
        args = []
        req.consume()
    else:
        try:
            args = fmt.parse_arg_lines(req.read_line)
        except fmt.MiParseError as exc:
            LM_ERR("MI FIFO command %s: parse error: %s", cmd_name, exc)
            req.consume()
            _write(fd, path, fmt.transport_error("parse", cmd_name))
            return
    LM_DBG("MI FIFO: running %s with %d argument(s)", cmd_name, len(args))
    rpl = mi.call_mi_cmd(cmd, args, hdl)
    if rpl is mi.MI_ROOT_ASYNC_RPL:
        return
    if rpl is None:
        LM_ERR("MI command %s failed", cmd_name)
        _write(fd, path, fmt.transport_error("failed", cmd_name))
        return
    _write(fd, path, fmt.encode_reply(rpl, indent))


def fifo_loop(fifo_name, reply_dir, indent):
    """The MI FIFO process: serve requests until SIGTERM."""
    rfd = os.open(fifo_name, os.O_RDONLY | os.O_NONBLOCK)
    wfd = os.open(fifo_name, os.O_WRONLY | os.O_NONBLOCK)   # never EOF
    reader = LineReader(rfd, heartbeat=pt.touch)
    failures = 0
    try:
        while True:
            try:
                serve_one(reader, reply_dir, indent)
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the server lives on
                failures += 1
                LM_WARN("MI FIFO request failed: %s: %s",
                        type(exc).__name__, exc)
                if failures > 3:
                    time.sleep(0.1)
    finally:
        os.close(wfd)
        os.close(rfd)
