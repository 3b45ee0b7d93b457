"""Driving real sipp from tests and benchmarks.

:func:`run_sipp` runs one bounded sipp client (scenario XML given as text),
and returns its final statistics from ``-trace_stat`` (successful, failed,
retransmissions, elapsed).  Every run has a hard wall-clock limit.
"""
import csv
import os
import signal
import shutil
import subprocess
import tempfile
import time

OPTIONS_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="openser_py options">
  <send retrans="500">
    <![CDATA[
OPTIONS sip:ping@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:ping@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <recv response="200" timeout="4000"/>
</scenario>
"""


class SippResult:
    """Final counters of one sipp run."""

    def __init__(self, rc, stats, output, wall):
        self.rc = rc
        self.output = output
        self.wall = wall
        get = lambda k: int(float(stats.get(k, 0) or 0))  # noqa: E731
        self.successful = get("SuccessfulCall(C)")
        self.failed = get("FailedCall(C)")
        self.retransmissions = get("Retransmissions(C)")
        self.elapsed = _seconds(stats.get("ElapsedTime(C)", "0"))
        self.stats = stats
        # sipp writes ElapsedTime(C) in whole seconds; StartTime/CurrentTime
        # carry the epoch with microseconds ("date\ttime\tepoch")
        self.duration = _epoch(stats.get("CurrentTime")) - \
            _epoch(stats.get("StartTime"))

    @property
    def rate(self):
        """Successful calls per second (sub-second precise run time)."""
        t = self.duration if self.duration > 0 else self.elapsed
        return self.successful / t if t else 0.0

    def __repr__(self):
        return ("<sipp rc=%d ok=%d failed=%d retrans=%d elapsed=%.2fs>"
                % (self.rc, self.successful, self.failed,
                   self.retransmissions, self.elapsed))


def _epoch(text):
    try:
        return float((text or "").split("\t")[-1])
    except ValueError:
        return 0.0


def _seconds(text):
    parts = text.split(":")
    try:
        h, m, s = (float(p) for p in parts[-3:])
    except ValueError:
        return 0.0
    return h * 3600 + m * 60 + s


def sipp_path():
    """The sipp binary or None."""
    return shutil.which("sipp")


def run_sipp(scenario_xml, target_port, count, rate, local_port,
             target_ip="127.0.0.1", transport="u1", limit=None,
             max_seconds=120, extra=()):
    """Run sipp as a client; return a :class:`SippResult`."""
    with tempfile.TemporaryDirectory() as d:
        sf = os.path.join(d, "scenario.xml")
        with open(sf, "w") as fh:
            fh.write(scenario_xml)
        stf = os.path.join(d, "stat.csv")
        cmd = [sipp_path(), "-sf", sf, "-m", str(count), "-r", str(rate),
               "-i", "127.0.0.1", "-p", str(local_port), "-t", transport,
               "-trace_stat", "-stf", stf, "-fd", "1", "-nostdin",
               "-timeout", "%ds" % max_seconds, "-buff_size", "4194304"]
        if limit:
            cmd += ["-l", str(limit)]
        cmd += list(extra) + ["%s:%d" % (target_ip, target_port)]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=d, capture_output=True,
                              timeout=max_seconds + 30)
        wall = time.monotonic() - t0
        stats = {}
        if os.path.exists(stf):
            with open(stf, newline="") as fh:
                rows = list(csv.reader(fh, delimiter=";"))
            if len(rows) >= 2:
                stats = dict(zip(rows[0], rows[-1]))
        return SippResult(proc.returncode, stats,
                          (proc.stdout + proc.stderr).decode("latin-1"), wall)


# -- scenario files and background UAS ----------------------------------------

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")


def scenario(name):
    """Path of ``tests/sipp/<name>`` (``.xml`` added when missing)."""
    if not name.endswith(".xml"):
        name += ".xml"
    path = os.path.join(SCENARIO_DIR, name)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    return path


def _read_stats(stf):
    if not os.path.exists(stf):
        return {}
    with open(stf, newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    return dict(zip(rows[0], rows[-1])) if len(rows) >= 2 else {}


def run_uac(name, target_port, count, rate=10, local_port=None,
            target_ip="127.0.0.1", transport="u1", limit=None,
            max_seconds=60, extra=()):
    """Run the scenario file *name* of ``tests/sipp`` as a bounded client.

    Same result as :func:`run_sipp`; *local_port* defaults to a free port.
    """
    if local_port is None:
        from tests.conftest import free_port
        local_port = free_port()
    with open(scenario(name)) as fh:
        xml = fh.read()
    return run_sipp(xml, target_port, count, rate, local_port,
                    target_ip=target_ip, transport=transport, limit=limit,
                    max_seconds=max_seconds, extra=extra)


class SippServer:
    """A sipp UAS running in the background (a subprocess we own).

    ``SippServer("uas", count=N).start()`` listens on 127.0.0.1:``port``
    (a free port unless given) and exits by itself after *count* calls
    (``-m``) or *max_seconds* (``-timeout``).  :meth:`wait` returns the
    final :class:`SippResult`; :meth:`stop` ends the process by its PID
    (SIGUSR1 asks sipp to quit gracefully and still write the stats,
    then SIGKILL) and is always safe to call.
    """

    def __init__(self, name, count, port=None, transport="u1",
                 max_seconds=60, extra=()):
        if port is None:
            from tests.conftest import free_port
            port = free_port()
        self.name = name
        self.port = port
        self.count = count
        self.transport = transport
        self.max_seconds = max_seconds
        self.extra = list(extra)
        self.dir = tempfile.mkdtemp(prefix="sipp-uas-")
        self.stf = os.path.join(self.dir, "stat.csv")
        self.out = os.path.join(self.dir, "out.txt")
        self.proc = None
        self._t0 = None
        self.result = None

    def start(self, ready_timeout=5.0):
        cmd = [sipp_path(), "-sf", scenario(self.name),
               "-m", str(self.count), "-i", "127.0.0.1",
               "-p", str(self.port), "-t", self.transport,
               "-trace_stat", "-stf", self.stf, "-fd", "1", "-nostdin",
               "-timeout", "%ds" % self.max_seconds,
               "-buff_size", "4194304"] + self.extra
        self._fh = open(self.out, "wb")
        self._t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdout=self._fh,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        try:
            self._wait_listening(ready_timeout)
        except RuntimeError:
            self.close()
            raise
        return self

    def _wait_listening(self, timeout):
        """Until the port is bound by sipp (or sipp died)."""
        import socket
        kind = socket.SOCK_STREAM if self.transport.startswith("t") \
            else socket.SOCK_DGRAM
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sipp UAS exited (%s):\n%s"
                                   % (self.proc.returncode, self.output()))
            with socket.socket(socket.AF_INET, kind) as s:
                try:
                    s.bind(("127.0.0.1", self.port))
                except OSError:
                    return
            time.sleep(0.05)
        raise RuntimeError("sipp UAS did not bind port %d" % self.port)

    def output(self):
        try:
            with open(self.out, "rb") as fh:
                return fh.read().decode("latin-1")
        except OSError:
            return ""

    def wait(self, timeout=None):
        """Wait for sipp to finish (-m reached or -timeout); the result."""
        if self.result is not None:
            return self.result
        if timeout is None:
            timeout = self.max_seconds + 30
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
        return self._finish()

    def stop(self, grace=5.0):
        """End sipp (if still running) and return the final result."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGUSR1)   # sipp: quit, dump
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self._finish()

    def _finish(self):
        if self.result is None:
            self._fh.close()
            wall = time.monotonic() - self._t0
            self.result = SippResult(self.proc.returncode,
                                     _read_stats(self.stf), self.output(),
                                     wall)
        return self.result

    def close(self):
        """stop() and remove the working directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
