"""permissions module: the database part -- allow_trusted, the address
checks and their MI commands (OpenSER ``trusted.c``, ``address.c``,
``mi.c``)."""
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_INFO
from openser_py.core.exports import PROC_MODULE, FixupError
from openser_py.core.pvar import PvError, parse_pv_spec
from openser_py.core.usr_avp import AvpError, add_avp, parse_avp_spec
from openser_py.mi.tree import MI_MISSING_PARM, MiRoot, mi_error
from openser_py.modules.permissions import address as A
from openser_py.modules.permissions import perm_mod as P
from openser_py.modules.permissions import trusted as T
from openser_py.mem.shvalue import SharedValue

TRUSTED_TABLE_VERSION = 4
ADDRESS_TABLE_VERSION = 3
cfg = P.cfg


class _State:
    dbf = None
    con = None
    trusted = None          # SharedValue of trusted rows (db_mode 1)
    addresses = None        # SharedValue of (addresses, subnets)
    tag_avp = None          # (name, flags)
    addr_group = 0          # set_address_group (per process, as 1.3)


st = _State()


def _db_api():
    from openser_py.db import api as db_api
    return db_api


def _tag_avp(text):
    text = (text or "").strip()
    if not text:
        return None
    if not (text.startswith("$avp(") and text.endswith(")")):
        raise ValueError("malformed or non AVP %s peer_tag_avp" % text)
    try:
        return parse_avp_spec(text[5:-1])
    except AvpError as exc:
        raise ValueError("invalid peer_tag_avp %s: %s" % (text, exc)) \
            from None


def _load_trusted(con):
    con.use_table(cfg.trusted_table)
    res = con.query(None, None, None, [cfg.source_col, cfg.proto_col,
                                       cfg.from_col, cfg.tag_col])
    return T.rows_from_result(res.rows)


def _load_addresses(con):
    con.use_table(cfg.address_table)
    res = con.query(None, None, None, [cfg.grp_col, cfg.ip_addr_col,
                                       cfg.mask_col, cfg.port_col])
    a, s = A.build_tables(res.rows)
    return [list(x) for x in a], [list(x) for x in s]


def init_db():
    """mod_init part: bind, check versions, fill the caches; 0 / -1."""
    destroy()
    try:
        st.tag_avp = _tag_avp(cfg.peer_tag_avp)
    except ValueError as exc:
        LM_ERR("%s", exc)
        return -1
    if cfg.db_mode not in (0, 1):
        LM_ERR("invalid db_mode %r (0 or 1)", cfg.db_mode)
        return -1
    if not cfg.db_url:
        LM_INFO("db_url parameter of permissions module not set, "
                "disabling allow_trusted and allow_address")
        return 0
    db_api = _db_api()
    try:
        st.dbf = db_api.bind_dbmod(cfg.db_url)
        con = st.dbf.init(cfg.db_url)
        try:
            for table, want in ((cfg.trusted_table, TRUSTED_TABLE_VERSION),
                                (cfg.address_table, ADDRESS_TABLE_VERSION)):
                ver = db_api.table_version(st.dbf, con, table)
                if ver != want:
                    LM_ERR("invalid table version %d for %s (expected %d)",
                           ver, table, want)
                    return -1
            trusted = _load_trusted(con) if cfg.db_mode == 1 else None
            addrs = _load_addresses(con)
        finally:
            con.close()
    except db_api.DbError as exc:
        LM_ERR("database error at start-up: %s", exc)
        return -1
    try:
        if cfg.db_mode == 1:
            st.trusted = SharedValue(T.build_index, "the trusted table")
            if not st.trusted.publish(trusted):
                raise MemoryError("no shm for the trusted table")
        st.addresses = SharedValue(A.build_view, "the address table")
        if not st.addresses.publish(addrs):
            raise MemoryError("no shm for the address table")
    except MemoryError as exc:
        LM_ERR("%s", exc)
        return -1
    return 0


def connect():
    """(Re)open this process's connection; 0 / -1."""
    if st.dbf is None:
        return -1
    db_api = _db_api()
    try:
        st.con = st.dbf.init(cfg.db_url)
    except db_api.DbError as exc:
        LM_ERR("failed to connect to the database: %s", exc)
        return -1
    return 0


def child_init(rank):
    """Workers connect with db_mode 0, MI processes for the reloads."""
    if not cfg.db_url:
        return 0
    if (cfg.db_mode == 0 and rank > 0) or rank == PROC_MODULE:
        return connect()
    return 0


def destroy():
    """Close the connection, free the caches."""
    con, st.con = st.con, None
    if con is not None:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - shutdown must go on
            pass
    for name in ("trusted", "addresses"):
        c = getattr(st, name)
        setattr(st, name, None)
        if c is not None:
            c.destroy()
    st.addr_group = 0


def _with_con(load):
    db_api = _db_api()
    if st.con is None and connect() < 0:
        return None
    try:
        return load(st.con)
    except db_api.DbError as exc:
        LM_ERR("database error: %s", exc)
        con, st.con = st.con, None
        try:
            con.close()
        except Exception:  # noqa: BLE001
            pass
        return None


def reload_trusted():
    """Re-read the trusted table into the cache; True on success."""
    if st.trusted is None:
        return False
    rows = _with_con(_load_trusted)
    return rows is not None and st.trusted.publish(rows)


def reload_addresses():
    """Re-read the address table into the cache; True on success."""
    if st.addresses is None:
        return False
    v = _with_con(_load_addresses)
    return v is not None and st.addresses.publish(v)


# -- allow_trusted ------------------------------------------------------------

def allow_trusted(msg, src_ip, proto):
    """1 when a trusted row matches (tag -> peer_tag_avp), else -1."""
    if not cfg.db_url:
        LM_ERR("db_url parameter has not been set")
        return -1
    try:
        frm = msg.from_
        from_uri = frm.uri if frm is not None else None
    except Exception as exc:  # noqa: BLE001 - a bad From is just no match
        LM_ERR("cannot parse From header: %s", exc)
        from_uri = None
    if cfg.db_mode == 1:
        idx = st.trusted.get() if st.trusted is not None else None
        cands = (idx or {}).get(src_ip, ())
    else:
        def q(con):
            con.use_table(cfg.trusted_table)
            res = con.query([cfg.source_col], ["="], [src_ip],
                            [cfg.source_col, cfg.proto_col, cfg.from_col,
                             cfg.tag_col])
            return res.rows
        rows = _with_con(q)
        if rows is None:
            return -1
        cands = [(p, None, pat, tag)
                 for _s, p, pat, tag in T.rows_from_result(rows)]
    tag = T.match_rows(cands, proto, from_uri)
    if tag is None:
        return -1
    if tag and st.tag_avp is not None:
        add_avp(st.tag_avp[0], tag, st.tag_avp[1])
    return 1


def w_allow_trusted0(msg):
    """``allow_trusted()``: source IP and transport of the request."""
    rcv = msg.rcv
    if rcv is None:
        return -1
    return allow_trusted(msg, rcv.src_ip, rcv.proto)


def w_allow_trusted2(msg, ip_spec, proto_spec):
    """``allow_trusted(src_ip_pvar, proto_pvar)`` (1.4 form)."""
    ip = ip_spec.get_str(msg)
    proto = T.proto_value(proto_spec.get_str(msg))
    if not ip or proto is None or proto <= 0:
        LM_ERR("bad source address or protocol")
        return -1
    return allow_trusted(msg, ip, proto)


# -- addresses ----------------------------------------------------------------

def fixup_pv(value, param_no):
    """A pseudo-variable."""
    try:
        return parse_pv_spec(value)
    except PvError as exc:
        raise FixupError(str(exc)) from None


def fixup_int_or_pv(value, param_no):
    """An unsigned number or a pseudo-variable holding one."""
    if value.startswith("$"):
        return fixup_pv(value, param_no)
    try:
        n = int(value.strip(), 10)
    except ValueError:
        raise FixupError("bad integer <%s>" % value) from None
    if n < 0:
        raise FixupError("bad integer <%s>" % value)
    return n


def fixup_address3(value, param_no):
    """allow_address(group, ip_pv, port_pv)."""
    if param_no == 1:
        return fixup_int_or_pv(value, 1)
    return fixup_pv(value, param_no)


def _int(msg, p):
    if isinstance(p, int):
        return p
    v = p.get_int(msg)
    if v is None:
        LM_ERR("cannot get an integer value of %s", p.text)
    return v


def _check(grp, ip, port):
    if st.addresses is None:
        LM_ERR("address table not loaded (db_url not set)")
        return -1
    if grp is None or ip is None or port is None:
        return -1
    return A.match(st.addresses.get(), grp, ip, port)


def w_set_address_group(msg, g):
    """``set_address_group(group)``."""
    v = _int(msg, g)
    if v is None:
        return -1
    st.addr_group = v
    return 1


def w_allow_address2(msg, ip_spec, port_spec):
    """``allow_address(ip_pv, port_pv)`` in the group set before."""
    return _check(st.addr_group, ip_spec.get_str(msg), _int(msg, port_spec))


def w_allow_address3(msg, g, ip_spec, port_spec):
    """``allow_address(group, ip_pv, port_pv)`` (1.4 form)."""
    return _check(_int(msg, g), ip_spec.get_str(msg), _int(msg, port_spec))


def w_allow_source_address(msg, g):
    """``allow_source_address(group)``."""
    rcv = msg.rcv
    if rcv is None:
        return -1
    return _check(_int(msg, g), rcv.src_ip, rcv.src_port)


# -- MI -----------------------------------------------------------------------

def _lines(rpl, lines):
    for line in lines:
        rpl.add_child("", line)
    return rpl


def mi_trusted_reload(args, param):
    """MI ``trusted_reload``."""
    if st.trusted is None:
        return mi_error(500, "Trusted-module not in DB caching mode")
    if reload_trusted():
        return MiRoot(reason="Reload OK")
    return mi_error(400, "Trusted table reload failed")


def mi_trusted_dump(args, param):
    """MI ``trusted_dump``: ``%4d <src_ip, proto, pattern, tag>`` lines."""
    if st.trusted is None:
        return mi_error(500, "Trusted-module not in DB caching mode")
    return _lines(MiRoot(), T.dump_lines(st.trusted.raw()))


def mi_address_reload(args, param):
    """MI ``address_reload``."""
    if st.addresses is None:
        return mi_error(500, "Address table not loaded (db_url not set)")
    if reload_addresses():
        return MiRoot(reason="Reload OK")
    return mi_error(400, "Address table reload failed")


def mi_address_dump(args, param):
    """MI ``address_dump``: ``%4d <grp, ip, port>`` lines."""
    if st.addresses is None:
        return mi_error(500, "Address table not loaded (db_url not set)")
    addrs, _subnets = st.addresses.raw()
    return _lines(MiRoot(), A.address_dump_lines(addrs))


def mi_subnet_dump(args, param):
    """MI ``subnet_dump``: ``%4d <grp, subnet, mask, port>`` lines."""
    if st.addresses is None:
        return mi_error(500, "Address table not loaded (db_url not set)")
    _addrs, subnets = st.addresses.raw()
    return _lines(MiRoot(), A.subnet_dump_lines(subnets))


def mi_allow_uri(args, param):
    """MI ``allow_uri``: basename, URI, Contact -> 200 Allowed / 403."""
    if len(args) != 3:
        return mi_error(*MI_MISSING_PARM)
    basename, uri, contact = (a.value or "" for a in args)
    ret = P.allow_test(basename, uri, contact)
    LM_DBG("allow_uri(%s, %s, %s) = %d", basename, uri, contact, ret)
    if ret < 0:
        return mi_error(404, "File not loaded")
    if ret == 1:
        return MiRoot(reason="Allowed")
    return mi_error(403, "Forbidden")
