"""Driving real sipp from tests and benchmarks.

:func:`run_sipp` runs one bounded sipp client (scenario XML given as text),
and returns its final statistics from ``-trace_stat`` (successful, failed,
retransmissions, elapsed).  Every run has a hard wall-clock limit.
"""
import csv
import os
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

    @property
    def rate(self):
        """Successful calls per second of sipp's elapsed time."""
        return self.successful / self.elapsed if self.elapsed else 0.0

    def __repr__(self):
        return ("<sipp rc=%d ok=%d failed=%d retrans=%d elapsed=%.2fs>"
                % (self.rc, self.successful, self.failed,
                   self.retransmissions, self.elapsed))


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
