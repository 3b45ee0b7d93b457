"""acc parameters, start-up and DB connection (OpenSER ``acc_mod.c``).

``mod_init`` (master, before fork) turns the flag numbers into masks
(-1 = unset), loads the tm API, registers the ``TMCB_REQUEST_IN``
callback and declares the per-transaction one (``acc_logic``), loads the
rr API when ``detect_direction`` is on (rr's ``append_fromtag`` is then
required), parses ``log_extra``/``db_extra``/``multi_leg_info`` and, with a
``db_url``, binds the DB driver.  Each worker opens its own DB connection
in ``child_init`` (or at its first record, for in-process use).
"""
from openser_py.core.dprint import L_NOTICE, LM_ERR, LM_INFO
from openser_py.core.exports import PROC_MAIN, PROC_TCP_MAIN
from openser_py.core.flags import FlagError, check_flag
from openser_py.modules.acc.acc_core import (AccExtraError, parse_acc_extra,
                                             parse_acc_leg)

__all__ = ["cfg", "state", "mod_init", "child_init", "destroy", "db_con",
           "flag_idx2mask"]


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``acc`` module (attribute = 1.3 default)."""
    early_media = 0
    failed_transaction_flag = -1
    report_ack = 0
    report_cancels = 0
    multi_leg_info = None
    detect_direction = 0
    log_flag = -1
    log_missed_flag = -1
    log_level = L_NOTICE
    log_extra = None
    db_flag = -1
    db_missed_flag = -1
    db_extra = None
    db_url = None
    db_table_acc = "acc"
    db_table_missed_calls = "missed_calls"
    acc_method_column = "method"
    acc_from_tag_column = "from_tag"
    acc_to_tag_column = "to_tag"
    acc_callid_column = "callid"
    acc_sip_code_column = "sip_code"
    acc_sip_reason_column = "sip_reason"
    acc_time_column = "time"


class _State:
    """The per-process run-time values derived from :class:`cfg`."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.failed = self.log = self.log_missed = 0
        self.db = self.db_missed = 0
        self.log_extra = []
        self.db_extra = []
        self.legs = []
        self.tmb = self.rrb = None
        self.dbf = self.con = None
        self.db_columns = ()


state = _State()


def flag_idx2mask(flag):
    """OpenSER ``flag_idx2mask``: -1 -> 0, 0..31 -> 1 << flag."""
    if flag is None or int(flag) == -1:
        return 0
    return 1 << check_flag(flag)


def _extras(text, what):
    if not text:
        return []
    try:
        return parse_acc_extra(text)
    except AccExtraError as exc:
        LM_ERR("failed to parse %s param: %s", what, exc)
        raise


def mod_init():
    """Initialise the module (see the module doc); 0 or -1."""
    from openser_py.core.sr_module import load_module_api
    LM_INFO("initializing...")
    destroy()
    state.reset()
    try:
        state.failed = flag_idx2mask(cfg.failed_transaction_flag)
        state.log = flag_idx2mask(cfg.log_flag)
        state.log_missed = flag_idx2mask(cfg.log_missed_flag)
    except (FlagError, ValueError) as exc:
        LM_ERR("bad flag: %s", exc)
        return -1
    state.tmb = load_module_api("tm")
    if state.tmb is None:
        LM_ERR("can't load TM API")
        return -1
    if cfg.detect_direction:
        state.rrb = load_module_api("rr")
        if state.rrb is None:
            LM_ERR("can't load RR API")
            return -1
        if not state.rrb.append_fromtag:
            LM_ERR("'append_fromtag' RR param is not enabled! - required by "
                   "'detect_direction'")
            return -1
    from openser_py.modules.acc import acc_logic
    if state.tmb.register_tmcb(None, None, state.tmb.TMCB_REQUEST_IN,
                               acc_logic.acc_onreq) <= 0:
        LM_ERR("cannot register TMCB_REQUEST_IN callback")
        return -1
    if state.tmb.declare_tmcb(acc_logic.tmcb_func) < 0:
        return -1
    try:
        if cfg.multi_leg_info:
            state.legs = parse_acc_leg(cfg.multi_leg_info)
        state.log_extra = _extras(cfg.log_extra, "log_extra")
    except AccExtraError as exc:
        LM_ERR("failed to parse multi_leg_info/log_extra: %s", exc)
        return -1
    if cfg.db_url:
        return _db_init()
    return 0


def _db_init():
    from openser_py.db import api as db_api
    try:
        state.db_extra = _extras(cfg.db_extra, "db_extra")
    except AccExtraError:
        return -1
    try:
        state.db = flag_idx2mask(cfg.db_flag)
        state.db_missed = flag_idx2mask(cfg.db_missed_flag)
    except (FlagError, ValueError) as exc:
        LM_ERR("bad flag: %s", exc)
        return -1
    try:
        state.dbf = db_api.bind_dbmod(cfg.db_url)
    except db_api.DbError as exc:
        LM_ERR("failed...did you load a database module? %s", exc)
        return -1
    state.db_columns = (
        cfg.acc_method_column, cfg.acc_from_tag_column,
        cfg.acc_to_tag_column, cfg.acc_callid_column,
        cfg.acc_sip_code_column, cfg.acc_sip_reason_column,
        cfg.acc_time_column) + tuple(n for n, _s in state.db_extra) + \
        tuple(n for n, _a in state.legs)
    return 0


def db_con():
    """This process's DB connection (opened on first use); None on error."""
    if state.con is None and state.dbf is not None:
        from openser_py.db.api import DbError
        try:
            state.con = state.dbf.init(cfg.db_url)
        except DbError as exc:
            LM_ERR("unable to connect to the database: %s", exc)
            return None
    return state.con


def child_init(rank):
    """Open the worker's DB connection (OpenSER ``acc_db_init_child``)."""
    if not cfg.db_url or rank in (PROC_MAIN, PROC_TCP_MAIN):
        return 0
    return 0 if db_con() is not None else -1


def destroy():
    """Close the DB connection."""
    con, state.con = state.con, None
    if con is not None:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - shutdown goes on
            pass
