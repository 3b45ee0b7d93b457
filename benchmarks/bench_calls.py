"""``make bench-calls``: full SIP calls through the proxy, driven by sipp.

sipp uac (tests/sipp/uac.xml) -> proxy -> sipp uas (tests/sipp/uas.xml),
over UDP on loopback.  The proxy is ``benchmarks/proxy.cfg`` (maxfwd,
loose_route, record_route on the INVITE, forward(); t_relay() with tm.so
once tm exports it) with ``children=2`` and free ports.  A call is
INVITE/100?/180/200/ACK/BYE/200 with the ACK and BYE following the
Record-Route set: 6 requests/replies through the proxy per call
(7 with tm's 100).

The caller runs at increasing rates; every step lasts about STEP_SECONDS
and is bounded (sipp -timeout, subprocess timeouts).  A step is clean when
every call completed on both sides with no retransmission.  The sweep stops
at the first unclean step.  Per step:

* calls ok / failed (caller and callee), retransmissions (both sides),
* achieved calls/s (caller's successful calls / sipp's run time),
* proxy CPU (user + system) per call summed over all proxy processes,
  both servers started with the same shm size (-m) and UDP receive
  buffer limit (-b, see RCVBUF),
* peak PSS summed over all proxy processes (sampled every 0.2 s).

If ``kamailio`` is installed, the same sweep runs against it with the
equivalent config (same script, Kamailio 5 syntax, same children=2).

sipp, both ends, runs on the same cores and takes its share of CPU.
Usage: ``python benchmarks/bench_calls.py [--rates 50,100,...] [--step 5]
[--no-kamailio] [--per-process] [--warmup CALLS]``.

``--per-process`` adds the CPU per call of every server process (by its
title: "openser: udp receiver ...", "openser: timer", ...); ``--warmup``
runs unmeasured calls before each step (the steady state: a fresh
worker's first few hundred calls cost more).  What the code itself costs
per call, without sockets, is ``benchmarks/bench_calls_inproc.py``.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.conftest import free_port  # noqa: E402
from tests.sipp_support import SippServer, run_uac, sipp_path  # noqa: E402

RATES = (50, 100, 200, 300, 400, 600, 800, 1000, 1500, 2000)
STEP_SECONDS = 5
#: shm (MB) of every server started here, ours and Kamailio's (-m)
SHM_MB = 256
#: largest UDP receive buffer both servers may probe (-b, bytes; the
#: kernel caps it at net.core.rmem_max).  The default (256 KB, OpenSER's)
#: overflows in the bursts of a 1500 calls/s run on 2 cores shared with
#: two sipp processes: a datagram dropped there is a retransmission, then
#: more load, and the step collapses.  Operators raise it the same way.
RCVBUF = 4 * 1024 * 1024
CFG_TEMPLATE = os.path.join(ROOT, "benchmarks", "proxy.cfg")
KAMAILIO_MODULES = ("/usr/lib/x86_64-linux-gnu/kamailio/modules",
                    "/usr/lib/kamailio/modules", "/usr/local/lib64/kamailio/modules")


def tm_has_t_relay():
    try:
        from openser_py.modules import tm
    except Exception:   # noqa: BLE001 - any import problem: no tm
        return False
    cmds = getattr(getattr(tm, "exports", None), "cmds", None) or ()
    return any(getattr(c, "name", None) == "t_relay" for c in cmds)


def openser_cfg(port, uas_port, stateful):
    with open(CFG_TEMPLATE) as fh:
        text = fh.read()
    text = text.replace("127.0.0.1:15060", "127.0.0.1:%d" % port)
    text = text.replace("127.0.0.1:15080", "127.0.0.1:%d" % uas_port)
    if stateful:
        text = text.replace('loadmodule "rr.so"\n',
                            'loadmodule "rr.so"\nloadmodule "tm.so"\n')
        text = re.sub(r"\bforward\(\);", "t_relay();", text)
    return text


def kamailio_cfg(port, uas_port, stateful, mpath):
    """The same proxy for Kamailio 5 (request_route; pv.so for $du)."""
    relay = "t_relay();" if stateful else "forward();"
    return """#!KAMAILIO
debug=1
log_stderror=yes
children=2
listen=udp:127.0.0.1:%(port)d
disable_tcp=yes
mpath="%(mpath)s"
loadmodule "pv.so"
%(tm)s
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "rr.so"
request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (method == "OPTIONS") {
        sl_send_reply("200", "OK");
        exit;
    }
    if (loose_route()) {
        %(relay)s
        exit;
    }
    if (method == "INVITE") {
        record_route();
    }
    $du = "sip:127.0.0.1:%(uas)d";
    %(relay)s
}
""" % dict(port=port, uas=uas_port, mpath=mpath, relay=relay,
           tm='loadmodule "tm.so"' if stateful else "")


def wait_udp(port, timeout=15):
    probe = (b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport"
             b";branch=z9hG4bKw\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@c>\r\n"
             b"Call-ID: w\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
             b"Content-Length: 0\r\n\r\n")
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        while time.monotonic() < deadline:
            s.sendto(probe, ("127.0.0.1", port))
            try:
                s.recvfrom(65535)
                return True
            except OSError:
                continue
    return False


def proc_tree(pid):
    try:
        p = psutil.Process(pid)
        return [p] + p.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def cpu_of(procs):
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def cpu_by_type(procs):
    """CPU seconds (user + system) per process title ("openser: timer" ...)."""
    out = {}
    for p in procs:
        try:
            t = p.cpu_times()
            name = " ".join(p.cmdline()) or p.name()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        name = re.sub(r"\s+", " ", name)[:48]
        out[name] = out.get(name, 0.0) + t.user + t.system
    return out


def pss_of(procs):
    total = 0
    for p in procs:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


class PssSampler(threading.Thread):
    """Peak of the summed PSS of a process tree while running."""

    def __init__(self, master_pid, interval=0.2):
        super().__init__(daemon=True)
        self.master = master_pid
        self.interval = interval
        self.peak = 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.peak = max(self.peak, pss_of(proc_tree(self.master)))
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(5)
        return self.peak


class Server:
    """A proxy process we started (stopped by its PID)."""

    def __init__(self, argv, workdir):
        self.log = open(os.path.join(workdir, "server.log"), "wb")
        env = dict(os.environ, PYTHONPATH=ROOT)
        self.proc = subprocess.Popen(argv, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env,
                                     cwd=workdir, stdin=subprocess.DEVNULL)

    def stop(self):
        pids = [p.pid for p in proc_tree(self.proc.pid)]
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        for pid in pids:        # only the processes of this server
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    os.kill(pid, signal.SIGKILL)
            except (psutil.NoSuchProcess, ProcessLookupError):
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()


def warm_up(port, uas_port, calls, rate):
    """Unmeasured calls first: each worker's first messages pay one-off
    costs (copy-on-write faults of the pages inherited from the master,
    first use of shm pages, interpreter warm-up) that are not per call."""
    if calls <= 0:
        return
    uas = SippServer("uas", calls, port=uas_port, max_seconds=60)
    uas.start()
    try:
        run_uac("uac", port, calls, rate=rate, limit=max(rate * 2, 10),
                max_seconds=60)
        uas.wait(timeout=60)
    finally:
        uas.close()


def one_step(port, uas_port, master_pid, rate, step, warmup=0):
    count = max(1, int(rate * step))
    max_seconds = int(step * 3 + 20)
    warm_up(port, uas_port, warmup, min(rate, 300))
    uas = SippServer("uas", count, port=uas_port, max_seconds=max_seconds)
    uas.start()
    try:
        procs = proc_tree(master_pid)
        sampler = PssSampler(master_pid)
        sampler.start()
        c0 = cpu_of(procs)
        t0 = cpu_by_type(procs)
        res = run_uac("uac", port, count, rate=rate, limit=max(rate * 2, 10),
                      max_seconds=max_seconds)
        res_uas = uas.wait(timeout=max_seconds)
        cpu = cpu_of(procs) - c0
        t1 = cpu_by_type(procs)
        peak = sampler.stop()
    finally:
        uas.close()
    achieved = res.successful / res.duration if res.duration > 0 else 0.0
    retrans = res.retransmissions + res_uas.retransmissions
    clean = (res.successful == count and res_uas.successful == count
             and res.failed == 0 and res_uas.failed == 0 and retrans == 0
             and achieved >= rate * 0.9)
    per_call = cpu * 1000.0 / res.successful if res.successful else float("nan")
    by_type = {}
    if res.successful:
        for name, sec in t1.items():
            by_type[name] = (sec - t0.get(name, 0.0)) * 1000.0 / res.successful
    return dict(rate=rate, count=count, ok=res.successful, failed=res.failed,
                by_type=by_type,
                uas_ok=res_uas.successful, uas_failed=res_uas.failed,
                retrans=retrans, achieved=achieved, cpu_ms=per_call,
                pss=peak, clean=clean)


def sweep(name, start_server, rates, step, verbose=False, warmup=0):
    """Run the steps against a fresh server; return the rows."""
    print("%s:" % name, flush=True)
    rows = []
    for rate in rates:
        port, uas_port = free_port(), free_port()
        workdir = tempfile.mkdtemp(prefix="bench-calls-")
        srv = start_server(port, uas_port, workdir)
        try:
            if not wait_udp(port):
                print("  server did not start; log in %s" % workdir)
                return rows
            row = one_step(port, uas_port, srv.proc.pid, rate, step, warmup)
        finally:
            srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        rows.append(row)
        print("  target %5d/s: achieved %7.1f/s  ok=%-6d failed=%-4d "
              "uas ok=%-6d failed=%-4d retrans=%-5d  cpu=%6.2f ms/call  "
              "peak PSS=%6.1f MiB  %s"
              % (row["rate"], row["achieved"], row["ok"], row["failed"],
                 row["uas_ok"], row["uas_failed"], row["retrans"],
                 row["cpu_ms"], row["pss"] / 2.0 ** 20,
                 "clean" if row["clean"] else "LOSS"), flush=True)
        if verbose:
            for name, ms in sorted(row["by_type"].items(),
                                   key=lambda kv: -kv[1]):
                print("      %6.3f ms/call  %s" % (ms, name), flush=True)
        if not row["clean"]:
            break
    clean = [r for r in rows if r["clean"]]
    if clean:
        best = clean[-1]
        print("  => highest clean step %d/s (achieved %.1f calls/s), "
              "%.2f ms proxy CPU per call, peak PSS %.1f MiB"
              % (best["rate"], best["achieved"], best["cpu_ms"],
                 best["pss"] / 2.0 ** 20), flush=True)
    else:
        print("  => no clean step", flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", default=",".join(map(str, RATES)),
                    help="comma-separated calls/s steps")
    ap.add_argument("--step", type=float, default=STEP_SECONDS,
                    help="seconds per step (default %(default)s)")
    ap.add_argument("--no-kamailio", action="store_true")
    ap.add_argument("--warmup", type=int, default=0, metavar="CALLS",
                    help="unmeasured calls (at most 300/s) before each step; "
                    "0 = none (default, the historical figures)")
    ap.add_argument("--per-process", action="store_true",
                    help="print CPU per call of every server process type")
    args = ap.parse_args()
    if not sipp_path():
        sys.exit("bench-calls needs sipp (apt-get install sip-tester)")
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    stateful = tm_has_t_relay()
    try:
        with open("/proc/sys/net/core/rmem_max") as fh:
            rmem_max = int(fh.read())
    except (OSError, ValueError):
        rmem_max = None
    if rmem_max is not None and rmem_max < RCVBUF:
        print("note: net.core.rmem_max is %d: both servers' UDP receive "
              "buffers are capped there, below the %d asked (-b)"
              % (rmem_max, RCVBUF))
    mode = "t_relay (tm)" if stateful else "forward (stateless)"

    def start_openser(port, uas_port, workdir):
        cfg = os.path.join(workdir, "proxy.cfg")
        with open(cfg, "w") as fh:
            fh.write(openser_cfg(port, uas_port, stateful))
        return Server([sys.executable, "-m", "openser_py.main", "-DD", "-E",
                       "-m", str(SHM_MB), "-b", str(RCVBUF), "-f", cfg],
                      workdir)

    ours = sweep("openser_py (children=2, %s)" % mode, start_openser,
                 rates, args.step, args.per_process, args.warmup)

    kamailio = shutil.which("kamailio")
    if args.no_kamailio:
        return
    if not kamailio:
        print("kamailio: not installed (apt-get install kamailio to compare)")
        return
    mpath = next((d for d in KAMAILIO_MODULES if os.path.isdir(d)), None)
    if mpath is None:
        print("kamailio: module directory not found")
        return

    def start_kamailio(port, uas_port, workdir):
        cfg = os.path.join(workdir, "kamailio.cfg")
        with open(cfg, "w") as fh:
            fh.write(kamailio_cfg(port, uas_port, stateful, mpath))
        # -m: Kamailio's default 64 MB of shm runs out near 500 calls/s
        # (tm "out of mem" in new_t); both servers get SHM_MB
        return Server([kamailio, "-DD", "-E", "-m", str(SHM_MB),
                       "-b", str(RCVBUF), "-f", cfg,
                       "-w", workdir, "-Y", workdir, "-P", os.path.join(workdir, "k.pid")],
                      workdir)

    theirs = sweep("kamailio (children=2, %s)" % mode, start_kamailio,
                   rates, args.step, args.per_process, args.warmup)
    print_ratios(ours, theirs)


def print_ratios(ours, theirs):
    """CPU per call ratio at every rate both ran clean; best clean rates."""
    by_rate = {r["rate"]: r for r in theirs if r["clean"]}
    print("openser_py / kamailio:")
    for r in ours:
        k = by_rate.get(r["rate"])
        if r["clean"] and k and k["cpu_ms"] > 0:
            print("  at %5d calls/s: CPU per call %.2f / %.2f ms = %.2fx"
                  % (r["rate"], r["cpu_ms"], k["cpu_ms"],
                     r["cpu_ms"] / k["cpu_ms"]))
    best = lambda rows: max([r["rate"] for r in rows if r["clean"]] or [0])  # noqa: E731,E501
    print("  highest clean step: %d calls/s vs %d calls/s"
          % (best(ours), best(theirs)))


if __name__ == "__main__":
    main()
