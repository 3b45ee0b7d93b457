"""acc's record builders: syslog lines and DB rows (OpenSER ``acc.c``,
``acc_extra.c``).

A record is the six core values -- method, From tag, To tag, Call-ID,
status code, reason (``core2strar``) -- plus the ``log_extra`` /
``db_extra`` pseudo-variables, plus, with ``multi_leg_info``, one group of
leg values per leg (AVPs read newest first; legs missing a value give "").

* Syslog (``acc_log_request``): ``LOG(log_level, "<text>timestamp=<unix>"
  + ";name=value" ... + "\\n")`` where text is ``ACC: transaction
  answered: ``, ``ACC: call missed: ``, ``ACC: request acknowledged: `` or
  ``ACC: request accounted: ``; every leg group is appended to the same
  line.
* DB (``acc_db_request``): one INSERT into the table named in the
  environment with the seven core columns (``time`` is a DATETIME) and the
  extra columns; with legs, one INSERT per leg group.

The environment (:class:`AccEnv`, OpenSER's ``acc_env``) says which To
header to use (the reply's, for a replied transaction), the status and
reason, the text/table, and whether the request flows upstream
(``detect_direction``: From and To tags are swapped).
"""
import datetime
import time

from openser_py.core.dprint import LM_ERR, LM_WARN, LOG
from openser_py.core.pvar import PvError, parse_pv_spec
from openser_py.core.usr_avp import AvpError, get_avp_list, parse_avp_spec
from openser_py.parser.msg_translator import make_reason

__all__ = ["AccEnv", "parse_acc_extra", "parse_acc_leg", "core2strar",
           "log_request", "db_request", "ACC_REQUEST", "ACC_MISSED",
           "ACC_ANSWERED", "ACC_ACKED", "MAX_ACC_EXTRA", "MAX_ACC_LEG"]

ACC = "ACC: "
ACC_REQUEST = ACC + "request accounted: "
ACC_MISSED = ACC + "call missed: "
ACC_ANSWERED = ACC + "transaction answered: "
ACC_ACKED = ACC + "request acknowledged: "
LOG_ATTRS = ("method", "from_tag", "to_tag", "call_id", "code", "reason")
MAX_ACC_EXTRA = 64
MAX_ACC_LEG = 16
MAX_SYSLOG_SIZE = 65536


class AccEnv:
    """What the accounting of one event uses (OpenSER ``acc_env``)."""

    __slots__ = ("to", "text", "code", "code_s", "reason", "ts", "upstream")

    def __init__(self, to=None, text="", code=0, code_s="", reason="",
                 upstream=False):
        self.to, self.text, self.code = to, text, code
        self.code_s, self.reason, self.upstream = code_s, reason, upstream
        self.ts = 0

    def set_code_status(self, code, reply):
        """Status from the reply, or ``code`` + its standard reason phrase
        for a locally generated one (``reply`` None/FAKED_REPLY)."""
        self.code = code
        if not reply:
            self.code_s, self.reason = str(code), make_reason(code)
        else:
            self.code_s, self.reason = str(reply.status), reply.reason or ""


class AccExtraError(ValueError):
    """A bad ``*_extra`` / ``multi_leg_info`` definition."""


def parse_acc_extra(text, limit=MAX_ACC_EXTRA):
    """``"name=$pv; name2=$pv"`` -> ``[(name, PvSpec), ...]``."""
    out = []
    for part in text.split(";"):
        name, eq, spec = part.partition("=")
        name, spec = name.strip(), spec.strip()
        if not eq or not name or not spec or any(c.isspace() for c in name):
            raise AccExtraError("parse failed in <%s> around %r"
                                % (text, part))
        try:
            out.append((name, parse_pv_spec(spec)))
        except PvError as exc:
            raise AccExtraError("bad pseudo-variable %r: %s"
                                % (spec, exc)) from None
        if len(out) > limit:
            raise AccExtraError("too many extras (max %d)" % limit)
    return out


def parse_acc_leg(text):
    """``multi_leg_info``: like extras, AVPs only -> ``[(name, avp), ...]``."""
    out = []
    for name, spec in parse_acc_extra(text, MAX_ACC_LEG):
        if spec.name != "avp" or spec.inner is None:
            raise AccExtraError("only AVP are accepted as leg info (%s)"
                                % spec.text)
        try:
            out.append((name, parse_avp_spec(spec.inner)))
        except AvpError as exc:
            raise AccExtraError(str(exc)) from None
    return out


def _tag(hdr):
    return (hdr.tag or "") if hdr is not None else ""


def core2strar(req, env):
    """The six core values of ``req`` in ``env``; stamps ``env.ts``."""
    if env.upstream:
        frm, to = env.to, req.from_
    else:
        frm, to = req.from_, env.to
    env.ts = int(time.time())
    return [req.method, _tag(frm), _tag(to), req.callid or "", env.code_s,
            env.reason]


def extra2strar(extras, req):
    """Values of the extras for ``req`` (null -> "")."""
    vals = []
    for name, spec in extras:
        try:
            v = spec.get_str(req)
        except Exception as exc:  # noqa: BLE001 - a PV failing on this msg
            LM_ERR("failed to get '%s': %s", name, exc)
            v = None
        vals.append("" if v is None else v)
    return vals


def legs2strar(legs):
    """Leg groups: ``[[v_leg1, v_leg2, ...], ...]`` (at least one group)."""
    lst = get_avp_list()
    cols = [[str(v) for v in lst.search_all(name, flags)]
            for _n, (name, flags) in legs]
    n = max([len(c) for c in cols] + [1])
    return [[c[i] if i < len(c) else "" for c in cols] for i in range(n)]


def log_request(req, env, log_level, extras, legs):
    """Write the syslog record (``acc_log_request``); returns 1."""
    vals = core2strar(req, env) + extra2strar(extras, req)
    names = list(LOG_ATTRS) + [n for n, _s in extras]
    parts = ["%c%s=%s" % (";", n, v) for n, v in zip(names, vals)]
    if legs:
        lnames = [n for n, _a in legs]
        for group in legs2strar(legs):
            parts.extend(";%s=%s" % (n, v) for n, v in zip(lnames, group))
    body = "".join(parts)
    if len(body) > MAX_SYSLOG_SIZE - 2:
        LM_WARN("acc message too long, truncating..")
        body = body[:MAX_SYSLOG_SIZE - 2]
    LOG(log_level, "%stimestamp=%d%s\n" % (env.text, env.ts, body))
    return 1


def db_request(con, table, columns, req, env, extras, legs):
    """Insert the DB record(s) into ``table`` (``acc_db_request``); 1 / -1.

    ``columns`` = the seven core column names (time last), then the
    extra names, then the leg names.
    """
    from openser_py.db.api import DbError
    vals = core2strar(req, env)
    vals.append(datetime.datetime.fromtimestamp(env.ts))
    vals += extra2strar(extras, req)
    n_core = len(vals)
    try:
        con.use_table(table)
        if not legs:
            con.insert(list(columns[:n_core]), vals)
            return 1
        for group in legs2strar(legs):
            con.insert(list(columns), vals + group)
    except DbError as exc:
        LM_ERR("failed to insert into database: %s", exc)
        return -1
    return 1
