"""The master process: bind, fork, supervise, stop (OpenSER ``main.c``).

Theory of operation
-------------------
:class:`Server` receives a loaded script (config parsed, modules
initialised, routes compiled) and:

1. binds every listen socket (failure -> clear error, exit 1, nothing forked);
2. drops privileges (``-u``/``-g``), writes the pid file;
3. plans the processes in OpenSER's ``ps`` order -- UDP receivers
   (``children`` per UDP socket), the timer, module processes
   (``exports.procs``), TCP receivers, TCP main -- and sizes the process
   table and the statistics rows for them;
4. ``gc.freeze()`` and forks them.  Each child sets its title, takes its
   process-table row, ignores SIGINT (the attendant propagates SIGTERM),
   runs every module's ``child_init(rank)`` and enters its loop;
5. becomes the attendant: signal handlers only append to a queue and write a
   byte to a self-pipe; the loop dispatches ``handle_<signal>``.
6. systemd (:mod:`sd_notify`, only with ``$NOTIFY_SOCKET``): ``READY=1``
   once every child has taken its process-table row, ``STATUS=`` lines,
   ``WATCHDOG=1`` from the attendant loop at half ``$WATCHDOG_USEC``,
   ``RELOADING=1``/``READY=1`` around a reload, ``STOPPING=1``.

SIGHUP is a validated reload of the routing script (:mod:`reload`): the
attendant checks the file in a forked checker, publishes a new generation
in shm, and every worker switches at a message boundary.

Policy on a dead child (as OpenSER): any known child exiting while the
server is not stopping stops the whole server with exit status 1, because
the dead process may have held an shm lock.  Shutdown sends SIGTERM to every
child, waits up to ``shutdown_timeout`` seconds, SIGKILLs what is left,
runs the modules' ``destroy_f``, removes the pid file and releases shm.
"""
import gc
import os
import select
import signal
import socket
import sys
import time

from openser_py.core import core_stats, daemonize, pt, statistics, timer
from openser_py.core import log_json, reload, sd_notify
from openser_py.core.attendant_ops import AttendantOps
from openser_py.core.dprint import (LM_CRIT, LM_ERR, LM_INFO, LM_NOTICE,
                                    LM_WARN)
from openser_py.core.exports import PROC_MAIN, PROC_MODULE, PROC_TCP_MAIN, \
    PROC_TIMER
from openser_py.core.ip_addr import AF_INET6, PROTO_TCP, PROTO_TLS, PROTO_UDP

EXIT_CHILD_INIT = 3     # child_init failed
EXIT_CRASH = 4          # unexpected exception in a child loop


class StartupError(Exception):
    """Start-up failed before any child was forked."""


class ProcSpec:
    """One process to fork."""
    __slots__ = ("desc", "rank", "target", "args")

    def __init__(self, desc, rank, target, *args):
        self.desc = desc
        self.rank = rank
        self.target = target
        self.args = args


def set_title(desc):
    """``openser: <desc>`` as the process title (what MI ps shows)."""
    log_json.set_process(desc)
    try:
        import setproctitle
        setproctitle.setproctitle("openser: " + desc)
    except ImportError:  # pragma: no cover - setproctitle is a dependency
        pass


def bind_socket(s, maxbuffer=262144, tcp_backlog=1024):
    """Create and bind the OS socket of SocketInfo *s*; raise StartupError."""
    family = socket.AF_INET6 if s.af == AF_INET6 else socket.AF_INET
    stype = socket.SOCK_DGRAM if s.proto == PROTO_UDP else socket.SOCK_STREAM
    sock = socket.socket(family, stype)
    try:
        if stype == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        else:
            _probe_rcvbuf(sock, maxbuffer)
        sock.bind((s.ip, s.port))
        if stype == socket.SOCK_STREAM:
            sock.listen(tcp_backlog)
    except OSError as exc:
        sock.close()
        raise StartupError("cannot bind %s: %s" % (s, exc.strerror or exc))
    sock.set_inheritable(True)
    s.sock = sock
    return sock


def _probe_rcvbuf(sock, maxbuffer):
    """Raise SO_RCVBUF as far as the kernel allows, up to *maxbuffer*."""
    size = maxbuffer
    while size >= 65536:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
            return
        except OSError:
            size //= 2


#: the -b / maxbuffer default (OpenSER's)
DEFAULT_MAXBUFFER = 262144


def rcvbuf_granted(sock, maxbuffer):
    """``(kept, capped)`` for a bound UDP socket: the receive buffer the
    kernel keeps (Linux reports twice what was granted, the other half
    being its bookkeeping) and whether it granted less than *maxbuffer*
    (Linux caps a request at ``net.core.rmem_max`` without an error)."""
    kept = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    granted = kept // 2 if sys.platform.startswith("linux") else kept
    return kept, granted < maxbuffer


class Server(AttendantOps):
    """The attendant and its children (see the module docstring)."""

    def __init__(self, script, fork=True, pid_file=None, pgid_file=None,
                 uid=None, gid=None, shutdown_timeout=10.0):
        self.script = script
        self.params = script.params
        self.fork = fork
        self.pid_file = pid_file
        self.pgid_file = pgid_file
        self.uid, self.gid = uid, gid
        self.shutdown_timeout = shutdown_timeout
        self.children = {}           # pid -> ProcSpec
        self.stopping = False
        self.exit_status = 0
        self._queue = []
        self._wake_r = self._wake_w = None
        self.tcp = None

    # -- start-up ------------------------------------------------------------
    def udp_sockets(self):
        return [s for s in self.script.sockets if s.proto == PROTO_UDP]

    def tcp_sockets(self):
        if not self.fork or self.params.get("disable_tcp"):
            return []
        return [s for s in self.script.sockets
                if s.proto in (PROTO_TCP, PROTO_TLS)]

    def bind(self):
        """Bind every socket this mode serves (fork=no: first UDP only)."""
        socks = self.udp_sockets()
        if not socks:
            raise StartupError("no UDP listen socket configured")
        if not self.fork:
            socks = socks[:1]
        socks = socks + self.tcp_sockets()
        maxbuf = self.params.get("maxbuffer") or DEFAULT_MAXBUFFER
        for s in socks:
            bind_socket(s, maxbuf)
            if s.proto != PROTO_UDP:
                LM_INFO("listening on %s", s)
                continue
            kept, capped = rcvbuf_granted(s.sock, maxbuf)
            LM_INFO("listening on %s (SO_RCVBUF is finally %d)", s, kept)
            if capped and maxbuf > DEFAULT_MAXBUFFER:
                LM_WARN("the kernel capped the receive buffer of %s below "
                        "-b %d: raise net.core.rmem_max to use it", s, maxbuf)
        self._tls_load()
        return socks

    def _tls_load(self):
        """TLS contexts (certificates read before privileges are dropped)."""
        self.tls = None
        if not any(s.proto == PROTO_TLS for s in self.tcp_sockets()):
            return
        from openser_py.core import tls
        cfg_dir = os.path.dirname(os.path.abspath(
            getattr(self.script, "path", None) or "."))
        try:
            self.tls = tls.tls_init(self.params,
                                    self.params.get("tls_domains"), cfg_dir)
        except tls.TlsConfigError as exc:
            raise StartupError("TLS: %s" % exc) from None

    def plan(self):
        """The processes to fork, in OpenSER's order."""
        from openser_py.core import udp_server
        specs = []
        children = self.params.get("children") or 8
        if self.fork:
            for s in self.udp_sockets():
                for i in range(1, children + 1):
                    specs.append(ProcSpec(
                        "udp receiver child=%d sock=%s:%d" % (i, s.address_str,
                                                             s.port),
                        len(specs) + 1, udp_server.udp_rcv_loop, s))
        specs.append(ProcSpec("timer", PROC_TIMER, self._timer_main))
        for mod in self.script.registry.modules:
            for proc in mod.exports.procs:
                for i in range(proc.no):
                    desc = proc.name if proc.no == 1 else "%s %d" % (
                        proc.name, i + 1)
                    specs.append(ProcSpec(desc, PROC_MODULE, proc.function,
                                          i))
        if self.tcp_sockets():
            n = self.params.get("tcp_children") or children
            for i in range(1, n + 1):
                specs.append(ProcSpec("tcp receiver child=%d" % i, 1000 + i,
                                      self._tcp_worker, i - 1))
            specs.append(ProcSpec("tcp main", PROC_TCP_MAIN, self._tcp_main))
        return specs

    def start(self):
        """Bind, fork everything; returns in the attendant (or, fork=no, the
        single receiver) once all children run."""
        bound = self.bind()
        if self.pid_file:       # written before privileges are dropped
            daemonize.write_pid_file(self.pid_file)
        if self.pgid_file:
            daemonize.write_pid_file(self.pgid_file, os.getpgrp())
        if self.uid is not None or self.gid is not None:
            daemonize.drop_privileges(self.uid, self.gid)
        specs = self.plan()
        n_procs = len(specs) + 1
        pt.init(n_procs)
        desc = "attendant" if self.fork else \
            "stand-alone receiver udp:%s:%d" % (bound[0].address_str,
                                                 bound[0].port)
        set_title(desc)
        pt.set_self(0, PROC_MAIN, desc)
        core_stats.init_core_stats()
        statistics.init_stats_collector(n_procs)
        self._reload_init(specs)
        if self.tcp_sockets():
            self._tcp_init(specs)
        timer.reset_start()
        self._install_master_signals()
        gc.collect()
        gc.freeze()
        for idx, spec in enumerate(specs, 1):
            if spec.target is None:
                continue
            self._fork(idx, spec)
        if self.tcp is not None:
            from openser_py.core import tcp
            tcp.tcp_parent_close()
        self.script.registry.init_child(PROC_MAIN)
        LM_NOTICE("openser started: %d processes", n_procs)
        self._notify_ready(1 + sum(1 for s in specs if s.target is not None))

    def _fork(self, idx, spec):
        pid = os.fork()
        if pid:
            self.children[pid] = spec
            return pid
        code = 0
        try:
            self._child_setup(idx, spec)
            spec.target(*spec.args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        except _ChildInitFailed as exc:
            LM_CRIT("%s: %s", spec.desc, exc)
            code = EXIT_CHILD_INIT
        except BaseException as exc:  # noqa: BLE001 - report, then exit
            LM_CRIT("%s crashed: %s: %s", spec.desc, type(exc).__name__, exc)
            code = EXIT_CRASH
        finally:
            os._exit(code)

    def _child_setup(self, idx, spec):
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGUSR1, signal.SIGHUP,
                    signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)    # reload: master only
        signal.signal(signal.SIGTERM, _child_term)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        if self._wake_r is not None:
            os.close(self._wake_r)
            os.close(self._wake_w)
        daemonize.close_in_child()
        set_title(spec.desc)
        pt.set_self(idx, spec.rank, spec.desc)
        if self.tcp is not None:
            from openser_py.core import tcp
            tcp.tcp_child_init(idx)
        try:
            self.script.registry.init_child(spec.rank)
        except Exception as exc:  # noqa: BLE001
            raise _ChildInitFailed(str(exc)) from exc

    # -- children's main functions -------------------------------------------
    @staticmethod
    def _timer_main():
        def heartbeat():
            pt.touch()
            reload.check()          # the timer runs failure routes too
        timer.timer_loop(heartbeat=heartbeat)

    def _tcp_init(self, specs):
        from openser_py.core import tcp
        n_workers = sum(1 for s in specs if s.desc.startswith("tcp receiver"))
        self.tcp = tcp.tcp_init(self.tcp_sockets(), n_workers,
                                self.params, len(specs) + 1,
                                tls=getattr(self, "tls", None))

    def _tcp_worker(self, i):
        from openser_py.core import tcp
        tcp.tcp_worker_loop(self.tcp, i)

    def _tcp_main(self):
        from openser_py.core import tcp
        tcp.tcp_main_loop(self.tcp)

    # -- the attendant -------------------------------------------------------
    def _install_master_signals(self):
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)   # the loop also runs on timeouts
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD,
                    signal.SIGUSR1, signal.SIGHUP, signal.SIGUSR2):
            signal.signal(sig, self._enqueue)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    def _enqueue(self, signum, frame):
        """Signal handler: no logging, no shm -- just queue and wake up."""
        self._queue.append(signum)
        try:
            os.write(self._wake_w, b"s")
        except OSError:
            pass

    def run(self):
        """Attendant loop: dispatch queued signals until stopped."""
        while not self.stopping:
            wait = 1.0 if self._reload_wait is None else 0.1
            if self._watchdog is not None:
                wait = max(0.0, min(wait, self._next_ping - time.monotonic()))
            try:
                select.select([self._wake_r], [], [], wait)
                os.read(self._wake_r, 512)
            except (BlockingIOError, InterruptedError):
                pass
            pt.touch()
            self._dispatch()
            self._tick()
        return self.exit_status

    def _dispatch(self):
        while self._queue:
            signum = self._queue.pop(0)
            name = signal.Signals(signum).name.lower()
            getattr(self, "handle_" + name, self.handle_ignored)(signum)

    def handle_sigterm(self, signum):
        LM_NOTICE("signal %d received: stopping", signum)
        self.shutdown(0)

    handle_sigint = handle_sigterm

    def handle_sigchld(self, signum):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not pid:
                return
            spec = self.children.pop(pid, None)
            if spec is None or self.stopping:
                continue
            LM_CRIT("child process %d (%s) exited with %s: terminating the "
                    "server (a process that died may have held shared state)",
                    pid, spec.desc, _describe_status(status))
            self.shutdown(1)

    def handle_sigusr1(self, signum):
        from openser_py import mem
        for line in mem.shm_report_lines():
            LM_NOTICE("%s", line)
        LM_NOTICE("pkg: %s", mem.pkg_status())

    def handle_ignored(self, signum):
        LM_INFO("signal %d ignored", signum)

    def shutdown(self, status):
        """Stop every child (SIGTERM, then SIGKILL at the deadline), clean up."""
        if self.stopping:
            return
        self.stopping = True
        self.exit_status = status
        sd_notify.notify("STOPPING=1", "STATUS=stopping")
        for pid in list(self.children):
            _kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.shutdown_timeout
        while self.children and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.02)
        for pid in list(self.children):
            LM_WARN("child %d did not stop in time: killing it", pid)
            _kill(pid, signal.SIGKILL)
        end = time.monotonic() + 2.0
        while self.children and time.monotonic() < end:
            self._reap()
            time.sleep(0.01)
        self.cleanup()
        LM_NOTICE("Thank you for flying openser")

    def _reap(self):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if not pid:
                return
            self.children.pop(pid, None)

    def cleanup(self):
        """Modules' destroy, pid files, sockets, shm (attendant only)."""
        self.script.registry.destroy_modules()
        for path in (self.pid_file, self.pgid_file):
            if path:
                daemonize.remove_file(path)
        for s in self.script.sockets:
            if s.sock is not None:
                s.sock.close()
                s.sock = None
        pt.destroy()


class _ChildInitFailed(Exception):
    pass


def _child_term(signum, frame):
    raise SystemExit(0)


def _kill(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _describe_status(status):
    if os.WIFSIGNALED(status):
        return "signal %d" % os.WTERMSIG(status)
    code = os.WEXITSTATUS(status)
    meaning = {EXIT_CHILD_INIT: " (child_init failed)",
               EXIT_CRASH: " (crashed)"}.get(code, "")
    return "status %d%s" % (code, meaning)


def run_single(server):
    """fork=no: this process serves the first UDP socket itself."""
    from openser_py.core import udp_server
    sock = server.udp_sockets()[0]

    def stop():
        server._dispatch()
        server._tick()
        return server.stopping
    sock.sock.settimeout(0.5)
    try:
        udp_server.udp_rcv_loop(sock, stop=stop)
    except KeyboardInterrupt:
        server.shutdown(0)
    if not server.stopping:
        server.shutdown(0)
    return server.exit_status


def log_startup_failure(reason):
    """One clear line for the operator (and the daemon's waiting caller)."""
    LM_CRIT("%s", reason)
    if daemonize.in_daemon():
        daemonize.report_failure(reason)
    else:
        sys.stderr.flush()
