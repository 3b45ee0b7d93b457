"""domain module: parameters, start-up, checks and MI commands
(OpenSER ``domain/domain_mod.c``, ``domain.c``, ``mi.c``).

``db_mode=0`` queries the ``domain`` table for every check (each worker
has its own connection, opened in ``child_init``).  ``db_mode=1`` loads
the table into the shared :class:`~.cache.DomainCache` in ``mod_init``
(master, before fork); MI ``domain_reload`` re-reads it and every worker
sees the new list at its next check.  Comparisons are case-insensitive
(in ``db_mode=0`` an exact, indexed query first, then one on
``lower(domain)``).
"""
from openser_py.core import dset
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.exports import PROC_MODULE, FixupError
from openser_py.core.pvar import PvError, parse_pv_spec
from openser_py.db import modconn
from openser_py.mi.tree import MiRoot, mi_error
from openser_py.modules.domain.cache import DomainCache
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri

DEFAULT_RODB_URL = "mysql://openserro:openserro@localhost/openser"
DOMAIN_TABLE_VERSION = 1


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``domain`` module (attribute = default)."""
    db_url = DEFAULT_RODB_URL
    db_mode = 0
    domain_table = "domain"
    domain_col = "domain"


class _State:
    dbf = None
    con = None
    cache = None


state = _State()


def _db_api():
    from openser_py.db import api as db_api
    return db_api


def _load_domains(con):
    """All domains of the table through *con*; raises DbError."""
    con.use_table(cfg.domain_table)
    res = con.query(None, None, None, [cfg.domain_col])
    out = []
    for row in res.rows:
        value = row[0]
        if value is None:
            continue
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        out.append(str(value))
    return out


def mod_init():
    """Bind the driver, check the table version, fill the cache (db_mode 1)."""
    db_api = _db_api()
    destroy()
    if modconn.bind(state, cfg.db_url) < 0:
        return -1
    if cfg.db_mode not in (0, 1):
        LM_ERR("invalid db_mode %r (0 or 1)", cfg.db_mode)
        return -1
    try:
        con = state.dbf.init(cfg.db_url)
        try:
            ver = db_api.table_version(state.dbf, con, cfg.domain_table)
            if ver != DOMAIN_TABLE_VERSION:
                LM_ERR("invalid table version %d for %s (expected %d)", ver,
                       cfg.domain_table, DOMAIN_TABLE_VERSION)
                return -1
            if cfg.db_mode == 1:
                domains = _load_domains(con)
        finally:
            con.close()
    except db_api.DbError as exc:
        LM_ERR("database error at start-up: %s", exc)
        return -1
    if cfg.db_mode == 1:
        try:
            state.cache = DomainCache()
        except MemoryError as exc:
            LM_ERR("%s", exc)
            return -1
        if not state.cache.replace(domains):
            LM_ERR("no shm for the domain list")
            return -1
    return 0


def connect():
    """(Re)open the process's connection; 0 / -1."""
    return modconn.connect(state, cfg.db_url)


def child_init(rank):
    """Open the DB connection where it is needed (1.3): in every worker
    with ``db_mode=0``, only in the MI processes (``PROC_MODULE``) with
    ``db_mode=1``.  Any other process connects on first use."""
    if cfg.db_mode == 0 and rank > 0:
        return connect()
    if cfg.db_mode == 1 and rank == PROC_MODULE:
        return connect()
    return 0


def destroy():
    """Close the connection and free the cache."""
    modconn.close(state)
    cache, state.cache = state.cache, None
    if cache is not None:
        cache.destroy()


def reload_domains():
    """Re-read the table into the shared cache; True on success."""
    db_api = _db_api()
    if state.cache is None:
        return False
    if state.con is None and connect() < 0:
        return False
    try:
        domains = _load_domains(state.con)
    except db_api.DbError as exc:
        LM_ERR("failed to reload the domain table: %s", exc)
        return False
    return state.cache.replace(domains)


# -- checks ---------------------------------------------------------------------

def is_domain_local(host):
    """1 when *host* is one of our domains, -1 otherwise (or on error)."""
    if not host:
        return -1
    if cfg.db_mode == 1:
        if state.cache is None:
            return -1
        return 1 if state.cache.contains(host) else -1
    db_api = _db_api()
    if state.con is None and connect() < 0:
        return -1
    try:
        state.con.use_table(cfg.domain_table)
        res = state.con.query([cfg.domain_col], ["="], [host],
                              [cfg.domain_col])
        if len(res.rows):
            return 1
        # not stored as written: compare case-insensitively (the exact
        # query above is the indexed fast path)
        col = db_api.check_ident(cfg.domain_col, "column")
        table = db_api.check_ident(cfg.domain_table, "table")
        res = state.con.raw_query("SELECT %s FROM %s WHERE lower(%s) = ?"
                                  % (col, table, col), (host.lower(),))
        if len(res.rows):
            return 1
    except db_api.DbError as exc:
        LM_ERR("failed to query database: %s", exc)
        return -1
    LM_DBG("domain %s is not local", host)
    return -1


def w_is_from_local(msg):
    """``is_from_local()``: the From URI host is local."""
    try:
        frm = msg.from_
        if frm is None:
            LM_ERR("no From header")
            return -1
        return is_domain_local(frm.parsed_uri().host)
    except SipParseError as exc:
        LM_ERR("failed to parse the From URI: %s", exc.reason)
        return -1


def w_is_uri_host_local(msg):
    """``is_uri_host_local()``: the (current) R-URI host is local."""
    try:
        return is_domain_local(parse_uri(dset.get_request_uri(msg)).host)
    except SipParseError as exc:
        LM_ERR("failed to parse the R-URI: %s", exc.reason)
        return -1


def fixup_pv(value, param_no):
    """The pseudo-variable of is_domain_local."""
    try:
        return parse_pv_spec(value)
    except PvError as exc:
        raise FixupError(str(exc)) from None


def w_is_domain_local(msg, spec):
    """``is_domain_local("$pv")``."""
    value = spec.get(msg)
    if not isinstance(value, str) or not value:
        LM_DBG("pseudo variable has no string value")
        return -1
    return is_domain_local(value)


# -- MI -------------------------------------------------------------------------

def mi_domain_reload(args, param):
    """MI ``domain_reload``: re-read the table (db_mode 1 only)."""
    if cfg.db_mode == 0:
        return mi_error(500, "command not activated")
    if reload_domains():
        return MiRoot()
    return mi_error(500, "Domain table reload failed")


def mi_domain_dump(args, param):
    """MI ``domain_dump``: one ``Domain:: name`` node per domain."""
    if cfg.db_mode == 0 or state.cache is None:
        return mi_error(500, "command not activated")
    rpl = MiRoot()
    for name in state.cache.domains():
        rpl.add_child("Domain", name)
    return rpl
