"""usrloc's parameters and life cycle (OpenSER ``ul_mod.c``).

``mod_init`` (master, before fork) checks the parameters, forgets the
domains of a previous config, and registers the timer.  Domains are
created later, when registrar's fixups call ``register_udomain`` (still in
the master, before fork): that is where each domain's shm table is made
and, in db_mode 1 and 2, preloaded from the database.  Database
connections are opened lazily in the process that uses them (never shared
across fork).
"""
from openser_py.core.dprint import LM_ERR

__all__ = ["cfg", "mod_init", "child_init", "destroy", "NO_DB",
           "WRITE_THROUGH", "WRITE_BACK", "DB_ONLY"]

NO_DB, WRITE_THROUGH, WRITE_BACK, DB_ONLY = 0, 1, 2, 3
DEFAULT_DB_URL = "mysql://openser:openserrw@localhost/openser"


class cfg:
    """usrloc's modparam values (OpenSER 1.3 defaults)."""
    db_url = DEFAULT_DB_URL
    db_mode = NO_DB
    timer_interval = 60
    use_domain = 0
    desc_time_order = 0
    matching_mode = 0
    cseq_delay = 20
    fetch_rows = 2000
    hash_size = 9
    nat_bflag = -1
    user_column = "username"
    domain_column = "domain"
    contact_column = "contact"
    expires_column = "expires"
    q_column = "q"
    callid_column = "callid"
    cseq_column = "cseq"
    flags_column = "flags"
    cflags_column = "cflags"
    user_agent_column = "user_agent"
    received_column = "received"
    path_column = "path"
    socket_column = "socket"
    methods_column = "methods"
    last_mod_column = "last_modified"


def mod_init():
    """Check parameters, reset the domain list, register the timer."""
    from openser_py.core import timer
    from openser_py.modules.usrloc import dlist, ul_timer
    if cfg.db_mode not in (NO_DB, WRITE_THROUGH, WRITE_BACK, DB_ONLY):
        LM_ERR("invalid db_mode %r (0..3)", cfg.db_mode)
        return -1
    if cfg.matching_mode not in (0, 1):
        LM_ERR("invalid matching_mode %r (0 or 1)", cfg.matching_mode)
        return -1
    if not 1 <= cfg.hash_size <= 16:
        LM_ERR("invalid hash_size %r (1..16)", cfg.hash_size)
        return -1
    if cfg.timer_interval <= 0:
        LM_ERR("invalid timer_interval %r", cfg.timer_interval)
        return -1
    if cfg.db_mode != NO_DB:
        from openser_py.modules.usrloc import ul_db
        try:
            ul_db.bind()
        except Exception as exc:  # noqa: BLE001 - reported, start-up fails
            LM_ERR("cannot bind to the database module for %s: %s",
                   ul_db.masked(cfg.db_url), exc)
            return -1
    dlist.reset()
    mine = [t for t in timer.timers() if t.func is ul_timer.ul_timer]
    if mine:        # a config loaded again in this process
        mine[0].interval = float(cfg.timer_interval)
    else:
        timer.register_timer(ul_timer.ul_timer, None, cfg.timer_interval,
                             "usrloc")
    return 0


def child_init(rank):
    """Nothing to do: connections are opened on first use per process."""
    return 0


def destroy():
    """Flush write-back data at shutdown (attendant only) and drop domains."""
    from openser_py.modules.usrloc import dlist, ul_timer
    if cfg.db_mode == WRITE_BACK:
        try:
            ul_timer.flush_all()
        except Exception as exc:  # noqa: BLE001 - shutdown goes on
            LM_ERR("final flush failed: %s", exc)
    dlist.reset()
