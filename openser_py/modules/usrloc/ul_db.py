"""usrloc's database side (OpenSER ``ucontact.c``/``udomain.c`` db_* parts).

Rows of the ``location`` table (reference 8.2, version 1004): one per
contact.  With ``use_domain`` the AOR ``user@domain`` is split into the
``username`` and ``domain`` columns, otherwise the whole AOR is the
username.  Datetime columns hold server local time; ``q`` is a float
(``q/1000``, -0.001 for "unspecified" as 1.3 writes it); ``methods`` is
the signed view of the 32-bit mask.

The connection is per process and opened on first use (``_con`` is keyed
by pid, so a connection inherited across fork is never used).  Every
function raises the DB API's ``DbError`` on failure; callers log it and
retry on the next timer run.
"""
import datetime
import os
import re
import time

from openser_py.modules.usrloc.ucontact import CS_SYNC, UContact
from openser_py.modules.usrloc.ul_mod import cfg

__all__ = ["bind", "connection", "close", "masked", "check_version",
           "insert", "update", "delete", "delete_record", "delete_expired",
           "load_all", "load_record", "TABLE_VERSION"]

TABLE_VERSION = 1004
_dbf = None
_con = None          # (pid, url, table-less connection)


def masked(url):
    """*url* with the password replaced by ``***``."""
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url or "")


def bind():
    """``bind_dbmod(db_url)``: load the driver (mod_init)."""
    global _dbf
    from openser_py.db import api as db_api
    _dbf = db_api.bind_dbmod(cfg.db_url)
    return _dbf


def connection():
    """This process's connection (opened on first use)."""
    global _con
    pid = os.getpid()
    if _con is not None and _con[0] == pid and _con[1] == cfg.db_url:
        return _con[2]
    if _dbf is None:
        bind()
    con = _dbf.init(cfg.db_url)
    _con = (pid, cfg.db_url, con)
    return con


def close():
    """Close this process's connection (after the master's preload)."""
    global _con
    if _con is not None:
        if _con[0] == os.getpid():
            try:
                _con[2].close()
            except Exception:  # noqa: BLE001 - closing only
                pass
        _con = None


def _table(table):
    con = connection()
    con.use_table(table)
    return con


def check_version(table):
    """The table's version row must say 1004; return the version found."""
    from openser_py.db import api as db_api
    con = connection()
    return db_api.table_version(_dbf, con, table)


# -- conversions --------------------------------------------------------

def to_dt(t):
    """UNIX time -> naive local datetime (the DATETIME columns)."""
    return datetime.datetime.fromtimestamp(int(t)).replace(microsecond=0)


def from_dt(v):
    """DATETIME column value (datetime or text) -> UNIX time."""
    if v is None:
        return 0
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        v = datetime.datetime.strptime(v[:19], "%Y-%m-%d %H:%M:%S")
    return int(time.mktime(v.timetuple()))


def _signed(u):
    u &= 0xFFFFFFFF
    return u - (1 << 32) if u & 0x80000000 else u


def _aor_kv(aor):
    if cfg.use_domain:
        user, _, domain = aor.partition("@")
        return [cfg.user_column, cfg.domain_column], [user, domain]
    return [cfg.user_column], [aor]


def _row_kv(c):
    keys = [cfg.contact_column, cfg.expires_column, cfg.q_column,
            cfg.callid_column, cfg.cseq_column, cfg.flags_column,
            cfg.cflags_column, cfg.user_agent_column, cfg.received_column,
            cfg.path_column, cfg.socket_column, cfg.methods_column,
            cfg.last_mod_column]
    vals = [c.c, to_dt(c.expires), round(c.q / 1000.0, 3), c.callid,
            c.cseq, _signed(c.flags), _signed(c.cflags), c.user_agent,
            c.received or None, c.path or None, c.sock or None,
            _signed(c.methods), to_dt(c.last_modified)]
    return keys, vals


def _match_kv(aor, c):
    keys, vals = _aor_kv(aor)
    keys.append(cfg.contact_column)
    vals.append(c.c)
    if cfg.matching_mode == 1:
        keys.append(cfg.callid_column)
        vals.append(c.callid)
    return keys, vals


# -- writes -------------------------------------------------------------

def insert(table, aor, c):
    """INSERT the row of contact *c* of *aor*."""
    k1, v1 = _aor_kv(aor)
    k2, v2 = _row_kv(c)
    _table(table).insert(k1 + k2, v1 + v2)


def update(table, aor, c):
    """UPDATE the row of contact *c* (matched per ``matching_mode``)."""
    keys, vals = _match_kv(aor, c)
    uk, uv = _row_kv(c)
    _table(table).update(keys, ["="] * len(keys), vals, uk[1:], uv[1:])


def delete(table, aor, c):
    """DELETE the row of contact *c* of *aor*."""
    keys, vals = _match_kv(aor, c)
    _table(table).delete(keys, ["="] * len(keys), vals)


def delete_record(table, aor):
    """DELETE every row of *aor*."""
    keys, vals = _aor_kv(aor)
    _table(table).delete(keys, ["="] * len(keys), vals)


def delete_expired(table, now):
    """DELETE rows expired at *now* (permanent rows, expires = epoch, stay)."""
    _table(table).delete([cfg.expires_column, cfg.expires_column],
                         ["<", ">"], [to_dt(now), to_dt(86400)])


# -- reads --------------------------------------------------------------

_COLS = ("contact", "expires", "q", "callid", "cseq", "flags", "cflags",
         "user_agent", "received", "path", "socket", "methods",
         "last_mod")


def _cols():
    return [getattr(cfg, n + "_column") for n in _COLS]


def _contact(row):
    (uri, expires, q, callid, cseq, flags, cflags, ua, received, path,
     sock, methods, lm) = row
    exp = from_dt(expires)
    if exp <= 86400:
        exp = 0                     # permanent (written as the epoch)
    return UContact(uri, exp, int(round(float(q) * 1000)) if q is not None
                    else -1, callid or "", int(cseq or 0),
                    int(flags or 0) & 0xFFFFFFFF,
                    int(cflags or 0) & 0xFFFFFFFF, ua or "", received or "",
                    path or "", sock or "",
                    0xFFFFFFFF if methods is None else int(methods),
                    from_dt(lm), CS_SYNC)


def load_all(table):
    """Every row: ``{aor: [UContact, ...]}`` in table order (preload)."""
    cols = _cols()
    if cfg.use_domain:
        cols = cols + [cfg.user_column, cfg.domain_column]
    else:
        cols = cols + [cfg.user_column]
    res = _table(table).query(cols=cols)
    out = {}
    n = len(_COLS)
    for row in res.rows:
        row = tuple(row)
        if cfg.use_domain:
            user, domain = row[n], row[n + 1]
            aor = "%s@%s" % (user, domain) if domain else user
        else:
            aor = row[n]
        out.setdefault(aor, []).append(_contact(row[:n]))
    return out


def load_record(table, aor):
    """The contacts of *aor* (db_mode 3), in table order."""
    keys, vals = _aor_kv(aor)
    res = _table(table).query(keys, ["="] * len(keys), vals, _cols())
    return [_contact(tuple(r)) for r in res.rows]
