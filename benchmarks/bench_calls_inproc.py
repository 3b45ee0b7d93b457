"""The call of ``make bench-calls``, replayed in one process (no sockets).

``python benchmarks/bench_calls_inproc.py [--calls N] [--cold] [--profile F]``

Loads the same config as ``bench_calls.py`` (``benchmarks/proxy.cfg`` with
``t_relay()``) and feeds ``receive_msg`` the messages sipp would exchange,
shaped like ``tests/sipp/uac.xml`` / ``uas.xml``: INVITE (with SDP) from
the caller, 180 and 200 (with SDP) from the callee, the ACK and the BYE
along the Record-Route, the 200 of the BYE.  Sends are recorded, not sent
(``SendRecorder``); tm's timers do not run.

Prints the CPU (``time.thread_time``) spent inside ``receive_msg`` per
call: mean, median, min.  It separates what the code costs from what the
whole server costs under sipp (``bench_calls.py --per-process``): the
difference is system time of the real sends/receives and the cost of
running with cold CPU caches after every wake-up (``--cold`` evicts the
caches before every message to show the latter).

``--profile F`` writes a ``cProfile`` dump of the measured calls to F.

``--instructions`` (needs ``valgrind``) prints machine instructions per
call instead: the script runs twice under ``valgrind --tool=cachegrind
--cache-sim=no`` (50 and 350 measured calls after the warm-up) and the
difference is divided by 300.  Unlike CPU time it does not move with the
load of a shared VM, so it is the figure to compare changes with
(``make bench-calls-ir``).
"""
import argparse
import cProfile
import gc
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import bench_calls  # noqa: E402
from openser_py.core import forward  # noqa: E402
from openser_py.core.ip_addr import PROTO_UDP, ReceiveInfo  # noqa: E402
from openser_py.core.receive import receive_msg  # noqa: E402
from openser_py.core.scriptrun import SendRecorder, load_script  # noqa: E402

PX, UAS, UAC = 5060, 5080, 5070
SDP = ("v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n"
       "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
       "a=rtpmap:0 PCMU/8000\r\n")


def invite(i):
    """The caller's INVITE of call ``i`` (uac.xml)."""
    return ("INVITE sip:service@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-1-%d-inv\r\n"
            "From: sipp <sip:sipp@127.0.0.1:%d>;tag=1SIPpTag00%d\r\n"
            "To: service <sip:service@127.0.0.1:%d>\r\n"
            "Call-ID: %d-1@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
            "Contact: <sip:sipp@127.0.0.1:%d;transport=UDP>\r\n"
            "Max-Forwards: 70\r\nSubject: openser_py uac\r\n"
            "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
            % (PX, UAC, i, UAC, i, PX, i, UAC, len(SDP), SDP)).encode()


def reply(req, code, reason, totag, body=""):
    """The callee's reply to the forwarded request ``req`` (uas.xml)."""
    lines = req.decode().split("\r\n\r\n")[0].split("\r\n")
    out = ["SIP/2.0 %d %s" % (code, reason)]
    for line in lines[1:]:
        name = line.split(":")[0].lower()
        if name in ("via", "from", "call-id", "cseq", "record-route"):
            out.append(line)
        elif name == "to":              # the BYE's To has the tag already
            out.append(line if ";tag=" in line else line + ";tag=%s" % totag)
    out.append("Contact: <sip:service@127.0.0.1:%d;transport=UDP>" % UAS)
    if body:
        out.append("Content-Type: application/sdp")
    out.append("Content-Length: %d" % len(body))
    return ("\r\n".join(out) + "\r\n\r\n" + body).encode()


def in_dialog(method, i, route, totag, cseq):
    """The caller's ACK / BYE of call ``i`` along the route set."""
    return ("%s sip:service@127.0.0.1:%d;transport=UDP SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-1-%d-%s\r\n"
            "Route: %s\r\n"
            "From: sipp <sip:sipp@127.0.0.1:%d>;tag=1SIPpTag00%d\r\n"
            "To: service <sip:service@127.0.0.1:%d>;tag=%s\r\n"
            "Call-ID: %d-1@127.0.0.1\r\nCSeq: %d %s\r\n"
            "Contact: <sip:sipp@127.0.0.1:%d;transport=UDP>\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            % (method, UAS, UAC, i, method.lower(), route, UAC, i, PX, totag,
               i, cseq, method, UAC)).encode()


class Replay:
    """One loaded proxy and the per-message CPU account."""

    def __init__(self, cold=False):
        self.script = load_script(bench_calls.openser_cfg(PX, UAS, True))
        self.sock = forward.get_sockets()[0]
        self.rec = SendRecorder().install()
        self.cpu = 0.0
        self.by_kind = {}
        self.cold = bytearray(16 << 20) if cold else None

    def feed(self, data, port, kind):
        """``receive_msg`` one message from ``port``; what was sent."""
        self.rec.sent.clear()
        if self.cold is not None:       # evict the caches, as after a wake-up
            self.cold[::64] = bytes(len(self.cold) // 64)
        rcv = ReceiveInfo("127.0.0.1", port, "127.0.0.1", PX, PROTO_UDP,
                          self.sock)
        t0 = time.thread_time()
        receive_msg(data, rcv)
        dt = time.thread_time() - t0
        self.cpu += dt
        self.by_kind.setdefault(kind, []).append(dt)
        return [d for _p, _ip, prt, d in self.rec.sent if prt == UAS
                or prt == UAC]

    def call(self, i):
        """One complete call; raises AssertionError if the proxy misbehaves."""
        before = self.cpu
        out = self.feed(invite(i), UAC, "INVITE")
        fwd = [d for d in out if d.startswith(b"INVITE")]
        assert fwd, "INVITE not forwarded"
        fwd = fwd[0]
        rr = [ln for ln in fwd.decode().split("\r\n")
              if ln.startswith("Record-Route:")][0].split(":", 1)[1].strip()
        tag = "t%d" % i
        assert self.feed(reply(fwd, 180, "Ringing", tag), UAS,
                         "180"), "180 lost"
        assert self.feed(reply(fwd, 200, "OK", tag, SDP), UAS,
                         "200 INVITE"), "200 lost"
        assert self.feed(in_dialog("ACK", i, rr, tag, 1), UAC, "ACK"), \
            "ACK lost"
        bye = self.feed(in_dialog("BYE", i, rr, tag, 2), UAC, "BYE")
        assert bye, "BYE not forwarded"
        assert self.feed(reply(bye[0], 200, "OK", tag), UAS,
                         "200 BYE"), "200 BYE lost"
        return self.cpu - before


def _instructions(calls, warmup):
    """Instructions of one run of this script with ``calls`` calls."""
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no",
         "--cachegrind-out-file=/dev/null", sys.executable,
         os.path.abspath(__file__), "--calls", str(calls),
         "--warmup", str(warmup)],
        capture_output=True, text=True, timeout=1800, check=True).stderr
    m = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if m is None:
        raise SystemExit("no instruction count in valgrind's output")
    return int(m.group(1).replace(",", ""))


def instructions_per_call(warmup):
    """(350-call run - 50-call run) / 300, under cachegrind."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install "
                         "valgrind)")
    low, high = _instructions(50, warmup), _instructions(350, warmup)
    per = (high - low) / 300.0
    print("in-process call (INVITE/100/180/200/ACK/BYE/200): %.0f "
          "instructions per call (cachegrind, 350 - 50 calls)" % per)
    return per


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--cold", action="store_true",
                    help="evict the CPU caches before every message")
    ap.add_argument("--profile", metavar="FILE")
    ap.add_argument("--instructions", action="store_true",
                    help="instructions per call under valgrind (stable on "
                    "a noisy machine)")
    args = ap.parse_args()
    if args.instructions:
        instructions_per_call(min(args.warmup, 100))
        return
    rp = Replay(cold=args.cold)
    for i in range(args.warmup):
        rp.call(i)
    gc.collect()
    gc.freeze()                         # as the master does before fork
    prof = cProfile.Profile(time.thread_time) if args.profile else None
    if prof:
        prof.enable()
    rp.by_kind.clear()
    per = [rp.call(i) for i in range(10 ** 6, 10 ** 6 + args.calls)]
    if prof:
        prof.disable()
        prof.dump_stats(args.profile)
    per.sort()
    n = len(per)
    print("in-process call (INVITE/100/180/200/ACK/BYE/200), %d calls%s:"
          % (n, ", cold caches" if args.cold else ""))
    print("  CPU inside receive_msg per call: mean %.0f us, median %.0f us, "
          "min %.0f us, p90 %.0f us"
          % (sum(per) / n * 1e6, per[n // 2] * 1e6, per[0] * 1e6,
             per[int(n * 0.9)] * 1e6))
    for kind, times in rp.by_kind.items():
        times.sort()
        print("  %-10s median %5.0f us  min %5.0f us"
              % (kind, times[len(times) // 2] * 1e6, times[0] * 1e6))


if __name__ == "__main__":
    main()
