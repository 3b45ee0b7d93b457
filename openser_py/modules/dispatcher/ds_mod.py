"""dispatcher module: parameters, start-up, script functions and MI
(OpenSER ``dispatcher/dispatcher.c``)."""
import os
import random
import re

from openser_py.core import timer
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.exports import FixupError
from openser_py.core.pvar import PvError, parse_pv_spec
from openser_py.core.sr_module import load_module_api
from openser_py.core.usr_avp import AvpError, parse_avp_spec
from openser_py.mi.tree import MI_MISSING_PARM, MiRoot, mi_error
from openser_py.modules.dispatcher import dispatch, ds_list, ds_probe
from openser_py.modules.dispatcher.dispatch import rt
from openser_py.modules.dispatcher.ds_shm import (DS_INACTIVE_DST,
                                                  DS_PROBING_DST, DsStore)

DS_TABLE_VERSION = 1


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``dispatcher`` module (attribute = default)."""
    list_file = "/usr/local/etc/openser/dispatcher.list"
    db_url = ""
    table_name = "dispatcher"
    setid_col = "setid"
    destination_col = "destination"
    force_dst = 0
    flags = 0
    use_default = 0
    dst_avp = ""
    grp_avp = ""
    cnt_avp = ""
    ds_ping_method = "OPTIONS"
    ds_ping_from = "sip:dispatcher@localhost"
    ds_ping_interval = 0
    ds_probing_threshhold = 3
    ds_probing_mode = 0


class _Db:
    dbf = None
    con = None


db = _Db()
_AVP_PV = re.compile(r"^\$avp\((.+)\)$")


def _avp_param(name, text):
    if not text:
        return None
    m = _AVP_PV.match(text.strip())
    if m is None:
        raise ValueError("malformed or non AVP %s AVP definition" % text)
    try:
        return parse_avp_spec(m.group(1))
    except AvpError as exc:
        raise ValueError("[%s]- invalid AVP definition: %s" % (text, exc)) \
            from None


def _db_api():
    from openser_py.db import api as db_api
    return db_api


def _load_sets(con=None):
    """The sets from the DB (through *con*) or the list file."""
    if cfg.db_url:
        return ds_list.load_db(con, cfg.table_name, cfg.setid_col,
                               cfg.destination_col)
    return ds_list.load_file(cfg.list_file)


def _init_db():
    db_api = _db_api()
    db.dbf = db_api.bind_dbmod(cfg.db_url)
    con = db.dbf.init(cfg.db_url)
    try:
        ver = db_api.table_version(db.dbf, con, cfg.table_name)
        if ver != DS_TABLE_VERSION:
            raise ds_list.DsListError(
                "invalid table version (found %d , required %d)"
                % (ver, DS_TABLE_VERSION))
        return _load_sets(con)
    finally:
        con.close()


def mod_init():
    """Load the sets into shm, resolve the AVPs, start probing."""
    destroy()
    try:
        rt.dst_avp = _avp_param("dst_avp", cfg.dst_avp)
        rt.grp_avp = _avp_param("grp_avp", cfg.grp_avp)
        rt.cnt_avp = _avp_param("cnt_avp", cfg.cnt_avp)
    except ValueError as exc:
        LM_ERR("%s", exc)
        return -1
    rt.flags, rt.force_dst = cfg.flags, cfg.force_dst
    rt.use_default, rt.threshold = cfg.use_default, cfg.ds_probing_threshhold
    db_api = _db_api()
    try:
        sets = _init_db() if cfg.db_url else _load_sets()
    except ds_list.DsListError as exc:
        LM_ERR("no dispatching list loaded: %s", exc)
        return -1
    except db_api.DbError as exc:
        LM_ERR("could not initiate a connect to the database: %s", exc)
        return -1
    try:
        rt.store = DsStore()
    except MemoryError as exc:
        LM_ERR("%s", exc)
        return -1
    if not rt.store.replace(sets):
        LM_ERR("no shm for the destination sets")
        return -1
    return _init_probing()


def _init_probing():
    p = ds_probe.probe
    p.method, p.from_uri = cfg.ds_ping_method, cfg.ds_ping_from
    p.mode, p.tm = cfg.ds_probing_mode, None
    if cfg.ds_ping_interval <= 0:
        return 0
    tm = load_module_api("tm")
    if tm is None or not hasattr(tm, "t_uac"):
        LM_WARN("could not bind to the TM-Module, automatic re-activation "
                "disabled.")
        return 0
    if tm.declare_tmcb(ds_probe.ds_options_callback) < 0:
        LM_ERR("could not declare the probing callback")
        return -1
    p.tm = tm
    mine = [t for t in timer.timers() if t.func is ds_probe.ds_check_timer]
    if mine:        # a config loaded again in this process
        mine[0].interval = float(cfg.ds_ping_interval)
    else:
        timer.register_timer(ds_probe.ds_check_timer, None,
                             cfg.ds_ping_interval, name="ds_check_timer")
    return 0


def child_init(rank):
    """Seed the random algorithm per process (1.3: srand per child)."""
    random.seed(os.urandom(16))
    return 0


def destroy():
    """Free the shm list, close the MI connection."""
    store, rt.store = rt.store, None
    if store is not None:
        store.destroy()
    con, db.con = db.con, None
    if con is not None:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - shutdown must go on
            pass


def reload_sets():
    """Re-read the list (file or DB) and publish it; True on success."""
    if rt.store is None:
        return False
    db_api = _db_api()
    try:
        if cfg.db_url:
            if db.con is None:
                if db.dbf is None:
                    db.dbf = db_api.bind_dbmod(cfg.db_url)
                db.con = db.dbf.init(cfg.db_url)
            sets = _load_sets(db.con)
        else:
            sets = _load_sets()
    except ds_list.DsListError as exc:
        LM_ERR("reload failed: %s", exc)
        return False
    except db_api.DbError as exc:
        LM_ERR("reload failed: database error: %s", exc)
        con, db.con = db.con, None
        if con is not None:
            try:
                con.close()
            except Exception:  # noqa: BLE001
                pass
        return False
    return rt.store.replace(sets)


# -- script functions -----------------------------------------------------

def fixup_set_alg(value, param_no):
    """A number or an AVP holding one."""
    text = value.strip()
    if text.startswith("$"):
        try:
            spec = parse_pv_spec(text)
        except PvError as exc:
            raise FixupError(str(exc)) from None
        if not text.startswith("$avp("):
            raise FixupError("Unsupported User Field identifier %r" % text)
        return spec
    try:
        return int(text, 10)
    except ValueError:
        raise FixupError("Bad number <%s>" % value) from None


def fixup_group(value, param_no):
    """ds_is_from_list's group number."""
    try:
        return int(value.strip(), 10)
    except ValueError:
        raise FixupError("bad group number <%s>" % value) from None


def fixup_warn(value, param_no):
    """1.3's ``ds_warn_fixup`` (failover functions need the AVPs)."""
    return value


def _ivalue(msg, p, what):
    if isinstance(p, int):
        return p
    v = p.get_int(msg)
    if v is None:
        LM_ERR("no AVP found (error in scripts): no %s value", what)
    return v


def w_ds_select_dst(msg, s, a):
    """``ds_select_dst(set, alg)``."""
    return _select(msg, s, a, 0)


def w_ds_select_domain(msg, s, a):
    """``ds_select_domain(set, alg)``."""
    return _select(msg, s, a, 1)


def _select(msg, s, a, mode):
    setid = _ivalue(msg, s, "dst set")
    alg = _ivalue(msg, a, "alg")
    if setid is None or alg is None:
        return -1
    return dispatch.ds_select_dst(msg, setid, alg, mode)


def w_ds_next_dst(msg):
    """``ds_next_dst()``."""
    return dispatch.ds_next_dst(msg, 0)


def w_ds_next_domain(msg):
    """``ds_next_domain()``."""
    return dispatch.ds_next_dst(msg, 1)


def w_ds_mark_dst0(msg):
    """``ds_mark_dst()``: inactive."""
    return dispatch.ds_mark_dst(msg, 0)


def w_ds_mark_dst1(msg, s):
    """``ds_mark_dst("i|a|p")`` (also ``0 1 2``)."""
    c = s[:1]
    if c in ("i", "I", "0"):
        return dispatch.ds_mark_dst(msg, 0)
    if c in ("p", "P", "2"):
        return dispatch.ds_mark_dst(msg, 2)
    return dispatch.ds_mark_dst(msg, 1)


def w_ds_is_from_list0(msg):
    """``ds_is_from_list()``."""
    return dispatch.ds_is_from_list(msg, -1)


def w_ds_is_from_list1(msg, group):
    """``ds_is_from_list("group")``."""
    return dispatch.ds_is_from_list(msg, group)


# -- MI -------------------------------------------------------------------

def mi_ds_set_state(args, param):
    """MI ``ds_set_state``: state (a|i|p), group, address."""
    if len(args) < 3:
        return mi_error(*MI_MISSING_PARM)
    st = args[0].value or ""
    if not st:
        return mi_error(500, "bad state value")
    grp = (args[1].value or "").strip()
    if not grp.isdigit():
        return mi_error(500, "bad group value")
    addr = args[2].value
    if not addr:
        return mi_error(500, "address not found")
    group = int(grp)
    c = st[0]
    if c in "0iI":
        ret = dispatch.ds_set_state(group, addr, DS_INACTIVE_DST, 1)
        if ret == 0:
            ret = dispatch.ds_set_state(group, addr, DS_PROBING_DST, 0)
    elif c in "2pP":
        ret = dispatch.ds_set_state(group, addr, DS_INACTIVE_DST, 0)
        if ret == 0:
            saved, rt.threshold = rt.threshold, 0
            try:
                ret = dispatch.ds_set_state(group, addr, DS_PROBING_DST, 1)
            finally:
                rt.threshold = saved
    else:
        ret = dispatch.ds_set_state(group, addr,
                                    DS_INACTIVE_DST | DS_PROBING_DST, 0)
    if ret != 0:
        return mi_error(404, "destination not found")
    return MiRoot()


def mi_ds_list(args, param):
    """MI ``ds_list``: ``SET_NO:: n``, per set ``SET:: id`` with ``URI::``
    children carrying ``flag=A|I|P``."""
    rpl = MiRoot()
    if rt.store is None:
        return rpl
    with rt.store.locked() as (sets, _by_id, view):
        if not sets or view is None:
            LM_ERR("no destination sets")
            return rpl
        flags = [[view.flags(s.base + i) for i in range(len(s.dests))]
                 for s in sets]
    rpl.add_child("SET_NO", len(sets))
    for s, fl in zip(sets, flags):
        node = rpl.add_child("SET", s.id)
        for d, f in zip(s.dests, fl):
            c = "I" if f & DS_INACTIVE_DST else (
                "P" if f & DS_PROBING_DST else "A")
            node.add_child("URI", d[0]).add_attr("flag", c)
    return rpl


def mi_ds_reload(args, param):
    """MI ``ds_reload``: re-read the list file or the table."""
    if reload_sets():
        LM_DBG("destination sets reloaded")
        return MiRoot()
    return mi_error(500, "ERROR Reloading data")
