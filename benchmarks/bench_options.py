"""``make bench-options``: stateless OPTIONS throughput over UDP, driven by sipp.

The server runs ``sl_send_reply("200","OK")`` with ``children=2`` on a free
loopback port.  sipp sends OPTIONS at increasing rates, each step bounded
(about 4 s); a step is clean when every request got its 200 with no failure
and no retransmission.  For each step the CPU used by all openser processes
(user + system, from psutil) is divided by the requests answered.

The same load then runs against a bare Python ``recvfrom``/``sendto`` loop
that answers each OPTIONS with a 200 built by slicing the request (no
parser, no script): the floor for any Python server on this machine.

sipp itself runs on the same 2 cores and takes its share of CPU.
"""
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.conftest import free_port  # noqa: E402
from tests.sipp_support import OPTIONS_XML, run_sipp, sipp_path  # noqa: E402

RATES = (1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 20000)
STEP_SECONDS = 4

FLOOR = textwrap.dedent('''
    import socket, sys
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    keep = (b"via", b"from", b"to:", b"call-id", b"cseq")
    while True:
        data, addr = s.recvfrom(65535)
        lines = data.split(b"\\r\\n")
        hdrs = [l for l in lines[1:] if l[:7].lower().startswith(keep)]
        s.sendto(b"SIP/2.0 200 OK\\r\\n" + b"\\r\\n".join(hdrs)
                 + b"\\r\\nContent-Length: 0\\r\\n\\r\\n", addr)
''')


def cpu_of(pids):
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def server_pids(master):
    p = psutil.Process(master)
    return [master] + [c.pid for c in p.children(recursive=True)]


def wait_udp(port, timeout=15):
    import socket
    deadline = time.monotonic() + timeout
    probe = (b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport"
             b";branch=z9hG4bKw\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@c>\r\n"
             b"Call-ID: w\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
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


def sweep(name, port, pids_fn):
    print("%s:" % name)
    best = None
    rows = []
    for rate in RATES:
        count = rate * STEP_SECONDS
        pids = pids_fn()
        c0 = cpu_of(pids)
        res = run_sipp(OPTIONS_XML, port, count, rate, free_port(),
                       limit=rate, max_seconds=STEP_SECONDS * 4)
        cpu = cpu_of(pids) - c0
        per = cpu / res.successful * 1e6 if res.successful else float("nan")
        clean = (res.failed == 0 and res.retransmissions == 0
                 and res.successful == count and res.rate >= rate * 0.9)
        rows.append((rate, res, per, clean))
        print("  target %5d/s: achieved %7.0f/s  ok=%-6d failed=%-4d "
              "retrans=%-5d cpu=%6.1f us/request %s"
              % (rate, res.rate, res.successful, res.failed,
                 res.retransmissions, per, "clean" if clean else "LOSS"))
        if not clean:
            break
        best = (rate, res.rate, per)
    if best:
        print("  => highest clean step: %d/s (achieved %.0f/s), %.1f us CPU "
              "per request over all processes" % best)
    else:
        print("  => no clean step")
    return best


def main():
    if not sipp_path():
        sys.exit("bench-options needs sipp (apt-get install sip-tester)")
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "bench.cfg")
        with open(cfg, "w") as fh:
            fh.write('debug=1\nchildren=2\nlisten=udp:127.0.0.1:%d\n'
                     'disable_tcp=yes\nloadmodule "sl.so"\n'
                     'route { sl_send_reply("200", "OK"); }\n' % port)
        env = dict(os.environ, PYTHONPATH=ROOT)
        srv = subprocess.Popen([sys.executable, "-m", "openser_py.main",
                                "-DD", "-E", "-f", cfg], env=env,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            if not wait_udp(port):
                sys.exit("openser did not start")
            ours = sweep("openser_py (children=2, sl_send_reply)", port,
                         lambda: server_pids(srv.pid))
        finally:
            srv.send_signal(signal.SIGTERM)
            srv.wait(30)
        fport = free_port()
        floor = subprocess.Popen([sys.executable, "-c", FLOOR, str(fport)])
        try:
            wait_udp(fport)
            base = sweep("bare Python recvfrom/sendto loop (1 process)",
                         fport, lambda: [floor.pid])
        finally:
            floor.kill()
            floor.wait(10)
    if ours and base:
        print("ratio: openser_py uses %.1fx the CPU per request of the bare "
              "loop" % (ours[2] / base[2]))


if __name__ == "__main__":
    main()
