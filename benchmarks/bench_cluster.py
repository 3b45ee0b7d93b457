"""``make bench-cluster``: calls/s through a dispatcher front node with 1, 2
and 3 registrar/proxy nodes sharing one database.

sipp uac (tests/sipp/uac.xml, callee = registered users in turn) ->
front (dispatcher round-robin, tm, rr) -> node (usrloc db_mode 3 lookup,
tm, rr) -> sipp uas (tests/sipp/uas.xml, the Contact of every user), over
UDP on loopback; front on 127.0.0.1, nodes on 127.0.0.2, 127.0.0.3, ...
The cluster is tests/cluster (configs.py, harness.py) without the test
log lines; doc/cluster.md describes it.

For each cluster size a fresh database is made (openserdbctl), USERS users
REGISTER through the front, then the caller runs at increasing rates.
Every step lasts about STEP_SECONDS and is bounded (sipp -timeout,
subprocess timeouts); a step is clean when every call completed on both
sides with no retransmission and the achieved rate is at least 90% of the
target; the sweep of a size stops at its first unclean step.  Per step:

* calls ok / failed, retransmissions (both sides), achieved calls/s,
* CPU (user + system, psutil over each process tree) per call: the
  front's per call, each node's per call *it relayed* (calls / nodes,
  round-robin), and the whole cluster's per call.

Each node does one DB lookup per INVITE (db_mode 3), so the database
server's CPU is part of the cost but not counted here.  sipp (both ends)
and the database run on the same cores; on a 2-core machine the sweep is
CPU-bound and adding nodes cannot add cores: read the figures as the
cost of a call, not as scaling.

Usage: ``python benchmarks/bench_cluster.py [--engine mysql|postgres]
[--nodes 1,2,3] [--rates 20,40,...] [--step 5] [--node-children 1]``.
"""
import argparse
import os
import pathlib
import shutil
import sys
import tempfile
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from bench_calls import cpu_of, proc_tree  # noqa: E402
from tests.cluster.harness import (  # noqa: E402
    ENGINES, Cluster, calls, dbctl, register)
from tests.conftest import free_port  # noqa: E402
from tests.sipp_support import SippServer, sipp_path  # noqa: E402

RATES = (20, 40, 60, 80, 100, 130, 160, 200, 250, 300)
STEP_SECONDS = 5
USERS = 100


def per(seconds, n_calls):
    """CPU milliseconds per call."""
    return seconds * 1000.0 / n_calls if n_calls else float("nan")


def one_step(cluster, users, uas_port, rate, step, workdir):
    """One bounded step at *rate* calls/s; the row of figures."""
    count = max(1, int(rate * step))
    max_seconds = int(step * 3 + 20)
    uas = SippServer("uas", count, port=uas_port, max_seconds=max_seconds)
    uas.start()
    try:
        trees = [proc_tree(p.proc.pid) for p in cluster.processes]
        c0 = [cpu_of(t) for t in trees]
        res = calls(cluster.front, users, count, rate, workdir,
                    max_seconds=max_seconds, tag="r%d" % rate)
        res_uas = uas.wait(timeout=max_seconds)
        cpu = [cpu_of(t) - c for t, c in zip(trees, c0)]
    finally:
        uas.close()
    ok = res.successful
    achieved = ok / res.duration if res.duration > 0 else 0.0
    retrans = res.retransmissions + res_uas.retransmissions
    clean = (ok == count and res_uas.successful == count and res.failed == 0
             and res_uas.failed == 0 and retrans == 0
             and achieved >= rate * 0.9)
    n = len(cluster.nodes)
    return dict(rate=rate, count=count, ok=ok, failed=res.failed,
                uas_ok=res_uas.successful, uas_failed=res_uas.failed,
                retrans=retrans, achieved=achieved, clean=clean,
                front_ms=per(cpu[-1], ok),
                node_ms=[per(c, ok / n) for c in cpu[:-1]],
                total_ms=per(sum(cpu), ok))


def sweep(engine, n_nodes, rates, step, node_children):
    """Build a cluster of *n_nodes*, run the steps; the rows."""
    print("%d node%s (%s, node children=%d):" % (
        n_nodes, "" if n_nodes == 1 else "s", engine, node_children),
        flush=True)
    name = "openser_bench_%s" % uuid.uuid4().hex[:8]
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    dbctl(engine, name, "create")
    cluster = Cluster(workdir, engine, name, n_nodes=n_nodes,
                      node_children=node_children, log=False)
    rows = []
    try:
        cluster.start()
        uas_port = free_port()
        users = ["bench%03d" % i for i in range(USERS)]
        reg = register(cluster.front, users, "127.0.0.1:%d" % uas_port,
                       workdir, rate=50, max_seconds=60)
        if reg.successful != len(users):
            print("  registration failed: %r; logs in %s" % (reg, workdir))
            return rows
        for rate in rates:
            row = one_step(cluster, users, uas_port, rate, step, workdir)
            rows.append(row)
            print("  target %4d/s: achieved %6.1f/s ok=%-5d failed=%-3d "
                  "uas ok=%-5d retrans=%-4d  CPU ms/call: front %5.2f  "
                  "nodes %s  cluster %5.2f  %s"
                  % (row["rate"], row["achieved"], row["ok"], row["failed"],
                     row["uas_ok"], row["retrans"], row["front_ms"],
                     "/".join("%.2f" % v for v in row["node_ms"]),
                     row["total_ms"], "clean" if row["clean"] else "LOSS"),
                  flush=True)
            if not row["clean"]:
                break
    finally:
        cluster.close()
        dbctl(engine, name, "drop")
    shutil.rmtree(workdir, ignore_errors=True)
    clean = [r for r in rows if r["clean"]]
    if clean:
        best = clean[-1]
        print("  => highest clean step %d/s (achieved %.1f calls/s); CPU per "
              "call: front %.2f ms, per node %s ms, cluster %.2f ms"
              % (best["rate"], best["achieved"], best["front_ms"],
                 "/".join("%.2f" % v for v in best["node_ms"]),
                 best["total_ms"]), flush=True)
    else:
        print("  => no clean step", flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", choices=sorted(ENGINES), default="mysql")
    ap.add_argument("--nodes", default="1,2,3",
                    help="comma-separated cluster sizes")
    ap.add_argument("--rates", default=",".join(map(str, RATES)),
                    help="comma-separated calls/s steps")
    ap.add_argument("--step", type=float, default=STEP_SECONDS,
                    help="seconds per step (default %(default)s)")
    ap.add_argument("--node-children", type=int, default=1,
                    help="UDP workers per node (default %(default)s)")
    args = ap.parse_args()
    if not sipp_path():
        sys.exit("bench-cluster needs sipp (apt-get install sip-tester)")
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    summary = []
    for n in [int(x) for x in args.nodes.split(",") if x.strip()]:
        rows = sweep(args.engine, n, rates, args.step, args.node_children)
        clean = [r for r in rows if r["clean"]]
        summary.append((n, clean[-1] if clean else None))
    print("summary (highest clean step):")
    for n, best in summary:
        if best is None:
            print("  %d node(s): no clean step" % n)
        else:
            print("  %d node(s): %5.1f calls/s, cluster CPU %.2f ms/call"
                  % (n, best["achieved"], best["total_ms"]))


if __name__ == "__main__":
    main()
