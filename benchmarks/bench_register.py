"""``make bench-register``: REGISTER throughput and CPU, driven by sipp.

Two scenarios, each a sweep of increasing rates against a fresh server
(``children=2``, UDP on loopback, free ports):

* ``noauth``: ``save("location")`` with usrloc ``db_mode=0`` -- sipp
  tests/sipp/reg.xml, one REGISTER (and its 200) per call, every call a
  different user from an injection file.
* ``auth-mysql``: ``www_authorize``/``www_challenge`` against
  ``subscriber`` on MariaDB/MySQL (127.0.0.1:3306, root, a throw-away
  database made by ``openserdbctl create``) and usrloc ``db_mode=1``
  (write-through to ``location``) -- tests/sipp/reg_auth.xml, i.e. two
  REGISTERs per call (challenge, then credentials).  Every AOR
  authenticates as the user ``bench`` (sipp takes one -au/-ap per run).

Per step: registrations ok/failed, retransmissions, achieved
registrations/s, server CPU (user+system over every server process) per
registration and per REGISTER request, peak PSS.  A step is clean when
every registration succeeded with no retransmission and the achieved rate
is within 10 % of the target; the sweep stops at the first unclean step.
When Kamailio is installed the ``noauth`` sweep also runs against it
(equivalent config) and the CPU ratio is printed.

Usage: ``python benchmarks/bench_register.py [--rates 200,500,...]
[--step 4] [--only noauth|auth-mysql] [--no-kamailio]``.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from bench_calls import (KAMAILIO_MODULES, PssSampler, Server,  # noqa: E402
                         cpu_of, proc_tree, wait_udp)
from tests.conftest import free_port  # noqa: E402
from tests.sipp_support import run_uac, sipp_path  # noqa: E402

#: shm (MB) of every server started here, ours and Kamailio's (-m)
SHM_MB = 256
RATES = (200, 500, 1000, 1500, 2000, 3000)
STEP_SECONDS = 4
MYSQL = dict(host="127.0.0.1", port=3306, user="root")

NOAUTH_ROUTE = """
route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (method == "REGISTER") {
        if (!save("location"))
            sl_reply_error();
        exit;
    }
    sl_send_reply("200", "OK");
}
"""

AUTH_ROUTE = """
route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (method == "REGISTER") {
        if (!www_authorize("", "subscriber")) {
            www_challenge("", "1");
            exit;
        }
        consume_credentials();
        if (!save("location"))
            sl_reply_error();
        exit;
    }
    sl_send_reply("200", "OK");
}
"""


def openser_cfg(port, auth, db_url=None):
    mods = ["sl", "maxfwd", "usrloc", "registrar"]
    params = ['modparam("usrloc", "db_mode", %d)' % (1 if auth else 0)]
    if auth:
        mods = ["db_mysql"] + mods + ["auth", "auth_db"]
        params += ['modparam("usrloc|auth_db", "db_url", "%s")' % db_url,
                   'modparam("auth_db", "calculate_ha1", 1)',
                   'modparam("auth_db", "password_column", "password")']
    return ("debug=2\nchildren=2\nlisten=udp:127.0.0.1:%d\ndisable_tcp=yes\n"
            "%s\n%s\n%s" % (port,
                            "\n".join('loadmodule "%s.so"' % m for m in mods),
                            "\n".join(params),
                            AUTH_ROUTE if auth else NOAUTH_ROUTE))


def kamailio_cfg(port, mpath):
    return """#!KAMAILIO
debug=1
log_stderror=yes
children=2
listen=udp:127.0.0.1:%d
disable_tcp=yes
mpath="%s"
loadmodule "pv.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("usrloc", "db_mode", 0)
request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (method == "REGISTER") {
        if (!save("location"))
            sl_reply_error();
        exit;
    }
    sl_send_reply("200", "OK");
}
""" % (port, mpath)


def users_file(workdir, count, port):
    path = os.path.join(workdir, "users.csv")
    with open(path, "w") as fh:
        fh.write("SEQUENTIAL\n")
        for i in range(count):
            fh.write("u%06d;127.0.0.1:%d;x\n" % (i, port))
    return path


def one_step(port, master_pid, rate, step, workdir, auth):
    count = max(1, int(rate * step))
    max_seconds = int(step * 3 + 20)
    extra = ["-inf", users_file(workdir, count, port)]
    if auth:
        extra += ["-au", "bench", "-ap", "benchpw"]
    procs = proc_tree(master_pid)
    sampler = PssSampler(master_pid)
    sampler.start()
    c0 = cpu_of(procs)
    res = run_uac("reg_auth" if auth else "reg", port, count, rate=rate,
                  limit=max(rate * 2, 10), max_seconds=max_seconds,
                  extra=extra)
    cpu = cpu_of(procs) - c0
    peak = sampler.stop()
    achieved = res.successful / res.duration if res.duration > 0 else 0.0
    per_reg = cpu * 1000.0 / res.successful if res.successful else float("nan")
    requests = 2 if auth else 1
    return dict(rate=rate, count=count, ok=res.successful, failed=res.failed,
                retrans=res.retransmissions, achieved=achieved,
                cpu_ms=per_reg, cpu_req=per_reg / requests, pss=peak,
                clean=(res.successful == count and res.failed == 0
                       and res.retransmissions == 0
                       and achieved >= rate * 0.9))


def sweep(name, start_server, rates, step, auth):
    print("%s:" % name, flush=True)
    rows = []
    for rate in rates:
        port = free_port()
        workdir = tempfile.mkdtemp(prefix="bench-reg-")
        srv = start_server(port, workdir)
        try:
            if not wait_udp(port):
                print("  server did not start; log in %s" % workdir)
                return rows
            row = one_step(port, srv.proc.pid, rate, step, workdir, auth)
        finally:
            srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        rows.append(row)
        print("  target %5d/s: achieved %7.1f/s  ok=%-6d failed=%-4d "
              "retrans=%-5d cpu=%6.3f ms/registration (%6.3f ms/REGISTER)  "
              "peak PSS=%6.1f MiB  %s"
              % (row["rate"], row["achieved"], row["ok"], row["failed"],
                 row["retrans"], row["cpu_ms"], row["cpu_req"],
                 row["pss"] / 2.0 ** 20,
                 "clean" if row["clean"] else "LOSS"), flush=True)
        if not row["clean"]:
            break
    clean = [r for r in rows if r["clean"]]
    if clean:
        best = clean[-1]
        print("  => highest clean step %d/s (achieved %.1f/s), %.3f ms CPU "
              "per registration" % (best["rate"], best["achieved"],
                                    best["cpu_ms"]), flush=True)
    else:
        print("  => no clean step", flush=True)
    return rows


def mysql_db():
    """A throw-away database with the 1.3 schema and the user bench."""
    name = "openser_bench_%s" % uuid.uuid4().hex[:8]
    tool = os.path.join(os.path.dirname(sys.executable), "openserdbctl")
    if not os.path.exists(tool):
        tool = os.path.join(ROOT, "sbin", "openserdbctl")
    env = dict(os.environ, HOME=tempfile.gettempdir())
    out = subprocess.run([tool, "-e", "MYSQL", "-H", MYSQL["host"],
                          "-P", str(MYSQL["port"]), "-u", MYSQL["user"],
                          "--rw-user", MYSQL["user"], "-d", name, "-y",
                          "create"], capture_output=True, text=True, env=env,
                         timeout=120)
    if out.returncode != 0:
        raise RuntimeError("openserdbctl create failed: %s%s"
                           % (out.stdout, out.stderr))
    import pymysql
    con = pymysql.connect(database=name, autocommit=True, **MYSQL)
    with con.cursor() as cur:
        cur.execute("INSERT INTO subscriber (username, domain, password, "
                    "ha1, ha1b) VALUES ('bench', '127.0.0.1', 'benchpw', "
                    "'', '')")
    con.close()
    return name


def drop_mysql_db(name):
    import pymysql
    con = pymysql.connect(autocommit=True, **MYSQL)
    with con.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS `%s`" % name)
    con.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", default=",".join(map(str, RATES)))
    ap.add_argument("--step", type=float, default=STEP_SECONDS)
    ap.add_argument("--only", choices=("noauth", "auth-mysql"))
    ap.add_argument("--no-kamailio", action="store_true")
    args = ap.parse_args()
    if not sipp_path():
        sys.exit("bench-register needs sipp (apt-get install sip-tester)")
    rates = [int(r) for r in args.rates.split(",") if r.strip()]

    def starter(auth, db_url=None):
        def start(port, workdir):
            cfg = os.path.join(workdir, "reg.cfg")
            with open(cfg, "w") as fh:
                fh.write(openser_cfg(port, auth, db_url))
            return Server([sys.executable, "-m", "openser_py.main", "-DD",
                           "-E", "-m", str(SHM_MB), "-f", cfg], workdir)
        return start

    results = {}
    if args.only in (None, "noauth"):
        results["openser_py"] = sweep(
            "openser_py noauth (save, usrloc db_mode 0, children=2)",
            starter(False), rates, args.step, False)
    if args.only in (None, "auth-mysql"):
        name = mysql_db()
        try:
            url = "mysql://%s@%s:%d/%s" % (MYSQL["user"], MYSQL["host"],
                                           MYSQL["port"], name)
            sweep("openser_py auth-mysql (www_authorize + save, usrloc "
                  "db_mode 1 on MariaDB, children=2)", starter(True, url),
                  rates, args.step, True)
        finally:
            drop_mysql_db(name)
    kamailio = shutil.which("kamailio")
    if args.no_kamailio or args.only == "auth-mysql":
        return
    if not kamailio:
        print("kamailio: not installed (apt-get install kamailio to compare)")
        return
    mpath = next((d for d in KAMAILIO_MODULES if os.path.isdir(d)), None)
    if mpath is None:
        print("kamailio: module directory not found")
        return

    def start_kamailio(port, workdir):
        cfg = os.path.join(workdir, "kamailio.cfg")
        with open(cfg, "w") as fh:
            fh.write(kamailio_cfg(port, mpath))
        # -m: Kamailio's default 64 MB of shm runs out near 500 calls/s
        # (tm "out of mem" in new_t); both servers get SHM_MB
        return Server([kamailio, "-DD", "-E", "-m", str(SHM_MB), "-f", cfg,
                       "-w", workdir, "-Y", workdir, "-P", os.path.join(workdir, "k.pid")],
                      workdir)

    results["kamailio"] = sweep("kamailio noauth (children=2)",
                                start_kamailio, rates, args.step, False)
    print_ratios(results.get("openser_py", []), results["kamailio"],
                 "registration")


def print_ratios(ours, theirs, unit):
    """CPU ratio per common clean rate, and the highest clean rates."""
    by_rate = {r["rate"]: r for r in theirs if r["clean"]}
    print("openser_py / kamailio:")
    for r in ours:
        k = by_rate.get(r["rate"])
        if r["clean"] and k and k["cpu_ms"] > 0:
            print("  at %5d/s: CPU per %s %.3f / %.3f ms = %.2fx"
                  % (r["rate"], unit, r["cpu_ms"], k["cpu_ms"],
                     r["cpu_ms"] / k["cpu_ms"]))
    best = lambda rows: max([r["rate"] for r in rows if r["clean"]] or [0])  # noqa: E731,E501
    print("  highest clean step: %d/s vs %d/s" % (best(ours), best(theirs)))


if __name__ == "__main__":
    main()
