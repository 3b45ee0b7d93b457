"""Render the statistics and the process table in the Prometheus text
exposition format (version 0.0.4).

Format (prometheus.io/docs/instrumenting/exposition_formats): one metric
family after the other, each introduced by ``# HELP <name> <text>`` and
``# TYPE <name> counter|gauge``, then its samples
``<name>[{label="value",...}] <value>``.  Names match
``[a-zA-Z_:][a-zA-Z0-9_:]*``; in HELP text ``\\`` and newlines are escaped,
in label values also ``"``.

Mapping of OpenSER statistics (every registered one, every group):

* name: ``<prefix><group>_<name>`` (characters outside ``[a-zA-Z0-9_]``
  become ``_``), e.g. ``openser_core_rcv_requests_total``;
* type: a plain counter is a Prometheus ``counter`` (suffix ``_total``;
  ``reset_statistics`` shows as a counter reset); a ``no_reset`` or
  function statistic (``shmem:*``, ``tm:inuse_transactions``,
  ``usrloc:registered_users`` ...) is a ``gauge``;
* HELP: the module's ``StatExport.doc`` when it has one, else the
  OpenSER name (``core:rcv_requests``).

Per process, labelled ``index`` (process-table row, MI ``ps`` ID),
``pid``, ``rank`` and ``description`` (MI ``ps`` Type):
``<prefix>process_cpu_seconds_total``,
``<prefix>process_resident_memory_bytes`` (psutil) and
``<prefix>process_last_alive_timestamp_seconds`` (the process table's
heartbeat).
"""
import math
import re

from openser_py.core import pt, statistics
from openser_py.core.exports import STAT_IS_FUNC, STAT_NO_RESET

__all__ = ["render", "metric_name", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BAD = re.compile(r"[^a-zA-Z0-9_]")

CORE_DOCS = {
    ("core", "rcv_requests"): "Requests received (parsed).",
    ("core", "rcv_replies"): "Replies received (parsed).",
    ("core", "fwd_requests"): "Requests forwarded statelessly.",
    ("core", "fwd_replies"): "Replies forwarded statelessly.",
    ("core", "drop_requests"): "Requests dropped.",
    ("core", "drop_replies"): "Replies dropped.",
    ("core", "err_requests"): "Malformed requests received.",
    ("core", "err_replies"): "Malformed replies received.",
    ("core", "bad_URIs_rcvd"): "Request-URIs that failed to parse.",
    ("core", "unsupported_methods"): "Requests with an unknown method.",
    ("core", "bad_msg_hdr"): "Messages with a header that failed to parse.",
    ("shmem", "total_size"): "Size of the shared memory arena (bytes).",
    ("shmem", "used_size"): "Shared memory in use by callers (bytes).",
    ("shmem", "real_used_size"): "Shared memory in use incl. allocator "
                                 "overhead (bytes).",
    ("shmem", "max_used_size"): "Highest real_used_size so far (bytes).",
    ("shmem", "free_size"): "Free shared memory (bytes).",
    ("shmem", "fragments"): "Fragments in the shared memory arena.",
}


def metric_name(prefix, group, name):
    """``<prefix><group>_<name>`` with invalid characters replaced."""
    text = _BAD.sub("_", "%s%s_%s" % (prefix, group, name))
    if text[:1].isdigit():
        text = "_" + text
    return text


def _help(text):
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _label(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n") \
        .replace('"', '\\"')


def _num(value):
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return repr(value)
    return str(int(value))


def _module_docs():
    from openser_py.core.sr_module import current_registry
    docs = {}
    reg = current_registry()
    for mod in (reg.modules if reg is not None else ()):
        for st in mod.exports.stats:
            if st.doc:
                docs[(mod.name, st.name.lower())] = st.doc
    return docs


def _stat_families(prefix, out):
    docs = _module_docs()
    seen = set()
    for var in statistics.all_stats():
        gauge = bool(var.flags & (STAT_NO_RESET | STAT_IS_FUNC))
        name = metric_name(prefix, var.group, var.name)
        if not gauge:
            name += "_total"
        if name in seen:            # two names that differ only in case/chars
            continue
        seen.add(name)
        doc = docs.get((var.group, var.name.lower())) or \
            CORE_DOCS.get((var.group, var.name)) or ""
        doc = ("%s:%s %s" % (var.group, var.name, doc)).strip()
        try:
            value = _num(var.get())
        except Exception:  # noqa: BLE001 - a broken function statistic
            value = "NaN"
        out.append("# HELP %s %s" % (name, _help(doc)))
        out.append("# TYPE %s %s" % (name, "gauge" if gauge else "counter"))
        out.append("%s %s" % (name, value))


def _proc_usage(pid):
    try:
        import psutil
        p = psutil.Process(pid)
        with p.oneshot():
            t = p.cpu_times()
            return t.user + t.system, p.memory_info().rss
    except Exception:  # noqa: BLE001 - gone, or no permission
        return None


def _proc_families(prefix, out):
    rows = pt.rows()
    fams = (("process_cpu_seconds_total", "counter",
             "User and system CPU time of the process (psutil)."),
            ("process_resident_memory_bytes", "gauge",
             "Resident set size of the process (psutil)."),
            ("process_last_alive_timestamp_seconds", "gauge",
             "Last heartbeat the process wrote in the process table "
             "(UNIX time)."))
    samples = {f[0]: [] for f in fams}
    for idx, pid, rank, desc, alive in rows:
        labels = '{index="%d",pid="%d",rank="%d",description="%s"}' % (
            idx, pid, rank, _label(desc))
        usage = _proc_usage(pid)
        if usage is not None:
            samples["process_cpu_seconds_total"].append(
                (labels, _num(float(usage[0]))))
            samples["process_resident_memory_bytes"].append(
                (labels, _num(int(usage[1]))))
        samples["process_last_alive_timestamp_seconds"].append(
            (labels, _num(float(alive))))
    out.append("# HELP %sprocesses Processes in the process table." % prefix)
    out.append("# TYPE %sprocesses gauge" % prefix)
    out.append("%sprocesses %d" % (prefix, len(rows)))
    for name, kind, doc in fams:
        full = prefix + name
        out.append("# HELP %s %s" % (full, doc))
        out.append("# TYPE %s %s" % (full, kind))
        for labels, value in samples[name]:
            out.append("%s%s %s" % (full, labels, value))


def render(prefix="openser_", processes=True):
    """The whole ``/metrics`` page (str, ends with a newline)."""
    from openser_py import version
    out = ["# HELP %sbuild_info Server version." % prefix,
           "# TYPE %sbuild_info gauge" % prefix,
           '%sbuild_info{version="%s"} 1' % (prefix,
                                             _label(version.FULL_VERSION))]
    _stat_families(prefix, out)
    if processes:
        _proc_families(prefix, out)
    return "\n".join(out) + "\n"
