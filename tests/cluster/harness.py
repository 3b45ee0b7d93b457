"""A cluster of real openser_py processes on loopback addresses.

``Cluster(workdir, engine, db_name, n_nodes).start()`` runs a dispatcher
front node on 127.0.0.1 and *n_nodes* registrar/proxy nodes on 127.0.0.2,
127.0.0.3, ... (Linux routes all of 127/8 to ``lo``), each on a free port,
all nodes sharing the location table of one database (usrloc db_mode 3).
Configs: :mod:`tests.cluster.configs`.  sipp drives it: :func:`register`
(REGISTERs through the front, Contact = a given host:port, normally the
sipp UAS) and :func:`calls` (tests/sipp/uac.xml towards users read from an
injection file).  Every wait is bounded; :meth:`Cluster.close` stops only
the processes it started, by PID.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from openser_py.ctl.mi_client import MiClientError
from openser_py.ctl.mi_client.fifo import fifo_request
from tests.cluster import configs
from tests.conftest import ROOT, free_port, sql_rows
from tests.integration.conftest import OpenserProcess, ready_probe
from tests.sipp_support import run_sipp, scenario

ENGINES = {
    "mysql": dict(port=3306, admin="root", tool="MYSQL", module="db_mysql"),
    "postgres": dict(port=5432, admin="postgres", tool="PGSQL",
                     module="db_postgres"),
}


# -- the shared database ------------------------------------------------------

def dbctl(engine, name, action):
    """``openserdbctl -d name create|drop`` on *engine* (1.3 schema)."""
    e = ENGINES[engine]
    tool = os.path.join(os.path.dirname(sys.executable), "openserdbctl")
    if not os.path.exists(tool):
        tool = os.path.join(ROOT, "sbin", "openserdbctl")
    env = dict(os.environ, HOME=tempfile.gettempdir())
    out = subprocess.run([tool, "-e", e["tool"], "-H", "127.0.0.1",
                          "-P", str(e["port"]), "-u", e["admin"],
                          "--rw-user", e["admin"], "-y", "-d", name, action],
                         capture_output=True, text=True, env=env, timeout=120)
    if out.returncode != 0:
        raise RuntimeError("openserdbctl %s %s failed:\n%s%s"
                           % (action, name, out.stdout, out.stderr))


def db_url(engine, name):
    e = ENGINES[engine]
    return "%s://%s@127.0.0.1:%d/%s" % (engine, e["admin"], e["port"], name)


def location_rows(engine, name):
    """(username, contact, socket) of every row of the location table."""
    return sql_rows(engine, name,
                    "SELECT username, contact, socket FROM location")


# -- processes ----------------------------------------------------------------

class ClusterProcess(OpenserProcess):
    """An openser process with a complete config on *host*:*port*."""

    def __init__(self, workdir, cfg_text, host, port):
        os.makedirs(workdir, exist_ok=True)
        self.host = host
        self.port = port
        self.tmp = workdir
        self.cfg = workdir / "openser.cfg"
        self.pid_file = workdir / "openser.pid"
        self.log = workdir / "openser.log"
        self.cfg.write_text(cfg_text)
        self.args = ["-DD", "-E"]
        self.proc = None
        self.pids = set()

    @property
    def addr(self):
        return (self.host, self.port)

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("openser %s:%d exited with %s:\n%s" % (
                    self.host, self.port, self.proc.returncode,
                    self.output()[-4000:]))
            if ready_probe(self.port, host=self.host):
                self.pids = self.all_pids()
                return
        raise AssertionError("openser %s:%d did not answer within %.0fs:\n%s"
                             % (self.host, self.port, timeout,
                                self.output()[-4000:]))


class Cluster:
    """Front node + *n_nodes* nodes on one shared database."""

    def __init__(self, workdir, engine, db_name, n_nodes=3, node_children=1,
                 front_children=2, fr_timer=2, ping=1, log=True):
        self.workdir = workdir
        self.engine = engine
        self.db_name = db_name
        url = db_url(engine, db_name)
        self.nodes = []
        for i in range(n_nodes):
            host = "127.0.0.%d" % (i + 2)
            port = free_port(host=host)
            cfg = configs.node_cfg(host, port, ENGINES[engine]["module"], url,
                                   children=node_children, log=log)
            self.nodes.append(ClusterProcess(workdir / ("node%d" % (i + 1)),
                                             cfg, host, port))
        fdir = workdir / "front"
        os.makedirs(fdir, exist_ok=True)
        (fdir / "dispatcher.list").write_text(
            configs.dispatcher_list(n.addr for n in self.nodes))
        port = free_port()
        self.front = ClusterProcess(
            fdir, configs.front_cfg("127.0.0.1", port, str(fdir),
                                    children=front_children,
                                    fr_timer=fr_timer, ping=ping, log=log),
            "127.0.0.1", port)

    @property
    def processes(self):
        return self.nodes + [self.front]

    def start(self):
        """Start the nodes, then the front; wait until all answer."""
        try:
            for n in self.nodes:
                n.start(wait=False)
            for n in self.nodes:
                n.wait_ready()
            self.front.start()
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        for p in self.processes:
            if p.proc is not None:
                try:
                    p.stop()
                except AssertionError:
                    pass
                p.close()

    def node_uri(self, node):
        return "sip:%s:%d" % node.addr

    def ds_states(self):
        """{uri: "A"|"I"|"P"} from MI ds_list on the front ({} on error)."""
        try:
            text = fifo_request(str(self.front.tmp / "fifo"), ":ds_list:\n\n",
                                3, reply_dir=str(self.front.tmp) + "/")
        except MiClientError:
            return {}
        return dict(re.findall(r"URI:: (\S+) flag=([AIP])", text))

    def wait_states(self, want, timeout):
        """Wait until ds_list shows *want* ({uri: flag}); the time taken."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        states = {}
        while time.monotonic() < deadline:
            states = self.ds_states()
            if all(states.get(u) in f for u, f in want.items()):
                return time.monotonic() - t0
            time.sleep(0.2)
        raise AssertionError("dispatcher states %r, wanted %r within %.0fs\n%s"
                             % (states, want, timeout,
                                self.front.output()[-3000:]))

    def watch_states(self, interval=0.2, limit=120.0):
        """Start a :class:`StateWatch` of this front's ds_list."""
        return StateWatch(self, interval, limit)

    def failovers(self, tag=""):
        """Failovers logged by the front's failure route so far (of the
        calls whose Call-ID starts with *tag*, see :func:`calls`)."""
        return self.front.output().count("cluster-failover " + tag)

    def invites(self, tag=""):
        """{(host, port): [user, ...]}: INVITEs each node relayed so far
        (of the calls whose Call-ID starts with *tag*)."""
        out = {}
        for n in self.nodes:
            mark = "cluster-invite %s:%d " % n.addr
            out[n.addr] = []
            for line in n.output().splitlines():
                if mark in line:
                    user, cid = line.split(mark, 1)[1].split()
                    if cid.startswith(tag):
                        out[n.addr].append(user)
        return out


class StateWatch(threading.Thread):
    """Polls MI ds_list every *interval* s (at most *limit* s) and keeps
    every change as ``(seconds since start, {uri: flag})``."""

    def __init__(self, cluster, interval, limit):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.interval = interval
        self.limit = limit
        self.changes = []
        self._halt = threading.Event()
        self.start()

    def run(self):
        t0 = time.monotonic()
        last = None
        while not self._halt.is_set() and time.monotonic() - t0 < self.limit:
            states = self.cluster.ds_states()
            if states and states != last:
                self.changes.append((round(time.monotonic() - t0, 2), states))
                last = states
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(10)
        return self.changes


def invite_status(front, user, timeout=15.0):
    """One INVITE to *user* through the front over UDP; the final status
    (None on timeout).  A negative final reply is ACKed."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        head = ("Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s\r\n"
                "From: <sip:caller@127.0.0.1>;tag=c1\r\n"
                "To: <sip:%s@%s:%d>%%s\r\nCall-ID: %s\r\n"
                "CSeq: 1 %%s\r\nMax-Forwards: 70\r\n"
                % (port, branch, user, front.host, front.port,
                   uuid.uuid4().hex))
        ruri = "sip:%s@%s:%d" % (user, front.host, front.port)
        s.sendto(("INVITE %s SIP/2.0\r\n" % ruri + head % ("", "INVITE") +
                  "Contact: <sip:caller@127.0.0.1:%d>\r\n"
                  "Content-Length: 0\r\n\r\n" % port).encode(),
                 (front.host, front.port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = s.recv(65535).decode("latin-1")
            except socket.timeout:
                break
            code = int(data.split(" ", 2)[1])
            if code < 200:
                continue
            if code >= 300:
                tag = re.search(r"(?im)^To:.*?(;tag=[^;\s]+)", data)
                s.sendto(("ACK %s SIP/2.0\r\n" % ruri + head % (
                    tag.group(1) if tag else "", "ACK") +
                    "Content-Length: 0\r\n\r\n").encode(),
                    (front.host, front.port))
            return code
    return None


# -- sipp ---------------------------------------------------------------------

def _injection(users, path, extra=""):
    with open(path, "w") as fh:
        fh.write("SEQUENTIAL\n")
        for u in users:
            fh.write("%s;%s\n" % (u, extra) if extra else "%s\n" % u)


def register(front, users, contact, workdir, rate=20, max_seconds=30):
    """REGISTER every user through the front (Contact sip:user@*contact*).

    tests/sipp/reg.xml with the Contact host:port taken from the injection
    file (field 2) instead of sipp's own address.
    """
    with open(scenario("reg")) as fh:
        xml = fh.read()
    own = "[field0]@[local_ip]:[local_port];transport=[transport]"
    assert own in xml, "tests/sipp/reg.xml changed: Contact line not found"
    xml = xml.replace(own, "[field0]@[field2];transport=[transport]")
    inf = os.path.join(str(workdir), "reg_users.csv")
    with open(inf, "w") as fh:
        fh.write("SEQUENTIAL\n")
        for u in users:
            fh.write("%s;%s:%d;%s\n" % (u, front.host, front.port, contact))
    return run_sipp(xml, front.port, len(users), rate, free_port(),
                    target_ip=front.host, limit=max(rate, 10),
                    max_seconds=max_seconds,
                    extra=["-inf", inf])


def calls(front, users, count, rate, workdir, max_seconds=60, tag="calls"):
    """*count* calls through the front, to *users* in turn (uac.xml).

    The Call-IDs start with ``<tag>-`` (sipp ``-cid_str``).
    """
    with open(scenario("uac")) as fh:
        xml = fh.read()
    assert "[service]" in xml, "tests/sipp/uac.xml changed: no [service]"
    xml = xml.replace("[service]", "[field0]")
    inf = os.path.join(str(workdir), "%s_users.csv" % tag)
    _injection(users, inf)
    return run_sipp(xml, front.port, count, rate, free_port(),
                    target_ip=front.host, limit=max(rate * 4, 10),
                    max_seconds=max_seconds,
                    extra=["-inf", inf, "-cid_str", tag + "-%u-%p@%s"])
