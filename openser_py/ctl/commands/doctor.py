"""``doctor [-f openser.cfg]``: check that openserctl can do its job.

Checks, each reported as OK / WARN / FAIL with a hint:

* the openserctlrc files read (and lines skipped in them);
* the database: reachable, ``version`` rows of the tables openserctl uses
  present and equal to 1.3's versions (:data:`openser_py.db.schema.VERSIONS`);
* the MI transport: the FIFO / socket exists and the server answers;
* the PID file names a running process;
* with ``-f``: the cfg's ``mi_fifo`` ``fifo_name``/``reply_dir``,
  ``mi_datagram`` ``socket_name`` and every ``db_url`` agree with the rc.

Exit status 0 when nothing FAILed, else 1.
"""
import re

from openser_py.ctl.commands import dbutil, mictl
from openser_py.ctl.commands.base import EXIT_ERROR, EXIT_OK, CtlError

#: tables openserctl works on
CTL_TABLES = ("subscriber", "location", "aliases", "dbaliases", "grp",
              "domain", "usr_preferences", "trusted", "address", "dispatcher")
_MODPARAM_RE = re.compile(
    r'modparam\(\s*"([^"]+)"\s*,\s*"([^"]+)"\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)')


def _expected_versions():
    try:
        from openser_py.db.schema import VERSIONS
        return dict(VERSIONS)
    except ImportError:
        return {"subscriber": 6, "location": 1004, "aliases": 1004,
                "dbaliases": 1, "grp": 2, "domain": 1, "usr_preferences": 2,
                "trusted": 4, "address": 3, "dispatcher": 1}


class Report:
    def __init__(self):
        self.items = []

    def add(self, status, check, detail, hint=None):
        self.items.append({"check": check, "status": status,
                           "detail": detail, "hint": hint})


def check_rc(ctx, rep):
    files = ctx.sources.get("files", [])
    if files:
        rep.add("OK", "rc", "read %s" % ", ".join(files))
    else:
        rep.add("WARN", "rc", "no openserctlrc file read; defaults in use",
                "create ~/.openserctlrc or set OPENSERCTLRC")
    for w in ctx.sources.get("warnings", []):
        rep.add("WARN", "rc", w, "openserctlrc holds assignments only")


def check_db(ctx, rep):
    try:
        url = dbutil.db_url(ctx)
    except CtlError as exc:
        rep.add("WARN", "db", str(exc), exc.hint)
        return
    from openser_py.db.url import mask_url
    try:
        dbutil.connect(ctx)
    except CtlError as exc:
        rep.add("FAIL", "db", str(exc), exc.hint)
        return
    rep.add("OK", "db", "connected to %s" % mask_url(url))
    try:
        _, rows = dbutil.query(ctx, "version",
                               cols=["table_name", "table_version"])
    except CtlError as exc:
        rep.add("FAIL", "schema", "cannot read the version table: %s" % exc,
                "openserdbctl create")
        return
    have = {r[0]: int(r[1]) for r in rows}
    want = _expected_versions()
    missing = [t for t in CTL_TABLES if t not in have]
    wrong = ["%s=%d (expected %d)" % (t, have[t], want[t])
             for t in sorted(have) if t in want and have[t] != want[t]]
    if wrong:
        rep.add("FAIL", "schema", "table versions differ from OpenSER 1.3: "
                + ", ".join(wrong), "migrate or re-create those tables")
    if missing:
        rep.add("WARN", "schema", "no version row for: " + ", ".join(missing),
                "openserdbctl create adds the missing tables")
    if not wrong and not missing:
        rep.add("OK", "schema", "%d version rows, all as expected"
                % len(have))


def check_mi(ctx, rep):
    engine, path = mictl.transport(ctx)
    try:
        root = mictl.mi_call(ctx, "version")
        server = root.kids[0].value if root.kids else ""
        rep.add("OK", "mi", "%s %s answers: %s" % (engine, path, server))
    except CtlError as exc:
        rep.add("FAIL", "mi", str(exc), exc.hint)


def check_pid(ctx, rep):
    pid, running, text = mictl.pid_status(ctx)
    if running:
        rep.add("OK", "pidfile", text)
    elif pid is None:
        rep.add("WARN", "pidfile", text, "PID_FILE in openserctlrc must "
                "equal the server's -P option")
    else:
        rep.add("FAIL", "pidfile", text, "stale PID file; start openser")


def cfg_settings(text):
    """``{(module, param): value}`` of the string modparams in a cfg."""
    text = re.sub(r"(?m)^\s*#.*$", "", text)
    return {(m.group(1), m.group(2)): m.group(3)
            for m in _MODPARAM_RE.finditer(text)}


def _same_db(a, b):
    from openser_py.db.url import DbUrl
    try:
        ua, ub = DbUrl(a), DbUrl(b)
    except Exception:  # noqa: BLE001 -- a bad URL just differs
        return a == b
    norm = {"postgresql": "postgres"}
    key = lambda u: (norm.get(u.scheme, u.scheme), u.host, u.port,  # noqa
                     u.database, u.path, u.user)
    return key(ua) == key(ub)


def check_cfg(ctx, rep, path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            params = cfg_settings(fh.read())
    except OSError as exc:
        rep.add("FAIL", "cfg", "cannot read %s: %s" % (path, exc.strerror))
        return
    pairs = [(("mi_fifo", "fifo_name"), "OSER_FIFO", "/tmp/openser_fifo"),
             (("mi_fifo", "reply_dir"), "OSER_REPLY_DIR", "/tmp/"),
             (("mi_datagram", "socket_name"), "OSER_UNIXSOCK", None)]
    for key, setting, default in pairs:
        value = params.get(key, default)
        if value is None:
            continue
        mine = ctx.get(setting)
        same = (value.rstrip("/") == mine.rstrip("/")
                if setting == "OSER_REPLY_DIR" else value == mine)
        if same:
            rep.add("OK", "cfg", "%s %s = %s" % (key[0], key[1], value))
        else:
            rep.add("FAIL", "cfg", "%s %s is %s in %s but %s=%s"
                    % (key[0], key[1], value, path, setting, mine),
                    "make %s in openserctlrc equal the modparam" % setting)
    urls = {k[0]: v for k, v in params.items() if k[1] == "db_url"}
    if urls:
        try:
            mine = dbutil.db_url(ctx)
        except CtlError as exc:
            rep.add("WARN", "cfg", "db_url set in the cfg but %s" % exc,
                    exc.hint)
            return
        for mod, url in sorted(urls.items()):
            if _same_db(url, mine):
                rep.add("OK", "cfg", "%s db_url matches the rc" % mod)
            else:
                from openser_py.db.url import mask_url
                rep.add("FAIL", "cfg", "%s db_url %s differs from the rc's "
                        "%s" % (mod, mask_url(url), mask_url(mine)),
                        "set DB_URL or DBENGINE/DBHOST/DBNAME/DB_PATH")


def cmd_doctor(ctx, o):
    rep = Report()
    check_rc(ctx, rep)
    check_db(ctx, rep)
    check_mi(ctx, rep)
    check_pid(ctx, rep)
    if o.cfg:
        check_cfg(ctx, rep, o.cfg)
    failed = any(i["status"] == "FAIL" for i in rep.items)
    lines = []
    for i in rep.items:
        lines.append("%s %-8s %s" % (ctx.paint("%-4s" % i["status"]),
                                     i["check"], i["detail"]))
        if i["hint"] and i["status"] != "OK":
            lines.append("              hint: %s" % i["hint"])
    ctx.emit({"ok": not failed, "checks": rep.items}, lines)
    return EXIT_ERROR if failed else EXIT_OK


def register(sub):
    p = sub.add_parser("doctor", help="check settings, DB, MI, PID file")
    p.add_argument("-f", dest="cfg", metavar="openser.cfg")
    p.set_defaults(func=cmd_doctor, needs=None)

