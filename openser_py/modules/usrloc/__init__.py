"""usrloc -- the user location table (OpenSER 1.3 ``usrloc``).

Keeps, per domain ("table": ``location``, ``aliases``...), the contacts
registered for each address of record, in shared memory so that every
worker sees every registration.  No script functions: registrar (and
other modules) use the API (``load_module_api("usrloc")``, see ``api``).
Persistence follows ``db_mode``: 0 memory only, 1 write-through, 2
write-back on the timer, 3 database only.

Layout: ``ucontact`` (contact + shm encoding), ``urecord`` (the contact
list of an AOR, pure), ``udomain`` (the shm table and its optimistic
transactions), ``dlist`` (domains, preload), ``ul_db`` (the location
table), ``ul_timer`` (expiry, write-back), ``ul_mi`` (MI), ``api``,
``ul_mod`` (parameters, life cycle).  See ``doc/dev/usrloc.md``.
"""
from openser_py.core.exports import (INT_PARAM, STR_PARAM, STAT_IS_FUNC,
                                     STAT_NO_RESET, MI_NO_INPUT_FLAG,
                                     MiExport, ModuleExports, ParamExport,
                                     StatExport)
from openser_py.modules.usrloc import api, dlist, ul_mi, ul_mod
from openser_py.modules.usrloc.ul_mod import cfg

_INT = {
    "db_mode": "0 = memory only, 1 = write-through (every change written "
    "at once), 2 = write-back (changes written by the timer), 3 = "
    "database only (no memory cache).",
    "timer_interval": "Seconds between two runs of the expiry / write-back "
    "timer.",
    "use_domain": "1 = the AOR is user@domain (multi-domain), 0 = user "
    "only.",
    "desc_time_order": "1 = newest contact first instead of ordering by q.",
    "matching_mode": "0 = match contacts by URI, 1 = by URI and Call-ID.",
    "cseq_delay": "Seconds during which a REGISTER with the same Call-ID "
    "and CSeq is taken as a retransmission.",
    "fetch_rows": "Rows fetched at once when preloading (accepted for "
    "compatibility).",
    "hash_size": "The table of each domain has 2^hash_size slots.",
    "nat_bflag": "Branch flag marking NATed contacts (for "
    "get_all_ucontacts users such as nathelper).",
}
_STR = {
    "db_url": "Database URL (db_mode 1..3).",
    "user_column": "Column of the user part of the AOR.",
    "domain_column": "Column of the domain part (use_domain=1).",
    "contact_column": "Column of the contact URI.",
    "expires_column": "Column of the expiry time (DATETIME).",
    "q_column": "Column of the q value.",
    "callid_column": "Column of the Call-ID.",
    "cseq_column": "Column of the CSeq number.",
    "methods_column": "Column of the supported methods bitmask.",
    "flags_column": "Column of the internal flags.",
    "cflags_column": "Column of the branch flags saved with the contact.",
    "user_agent_column": "Column of the User-Agent.",
    "received_column": "Column of the received URI (NAT).",
    "path_column": "Column of the Path vector.",
    "socket_column": "Column of the receiving socket.",
    "last_mod_column": "Column of the last modification time.",
}

exports = ModuleExports(
    name="usrloc",
    params=tuple([ParamExport(n, STR_PARAM, cfg, doc=d)
                  for n, d in _STR.items()]
                 + [ParamExport(n, INT_PARAM, cfg, doc=d)
                    for n, d in _INT.items()]),
    stats=(
        StatExport("registered_users", STAT_IS_FUNC | STAT_NO_RESET,
                   dlist.registered_users,
                   doc="AORs registered, over all domains (per domain D "
                   "there are also D-users, D-contacts and D-expires)."),
    ),
    mi_cmds=(
        MiExport("ul_rm", ul_mi.mi_rm, 0,
                 doc="ul_rm table AOR: delete an AOR and all its contacts."),
        MiExport("ul_rm_contact", ul_mi.mi_rm_contact, 0,
                 doc="ul_rm_contact table AOR contact: delete one contact."),
        MiExport("ul_dump", ul_mi.mi_dump, 0,
                 doc="ul_dump [brief]: every domain, AOR and contact "
                 "(brief: AORs only)."),
        MiExport("ul_flush", ul_mi.mi_flush, MI_NO_INPUT_FLAG,
                 doc="Write pending changes to the database now."),
        MiExport("ul_add", ul_mi.mi_add, 0,
                 doc="ul_add table AOR contact expires q replicate flags "
                 "cflags methods: add or update a contact (expires 0 = "
                 "permanent)."),
        MiExport("ul_show_contact", ul_mi.mi_show_contact, 0,
                 doc="ul_show_contact table AOR: the valid contacts of an "
                 "AOR."),
    ),
    mod_init=ul_mod.mod_init,
    child_init=ul_mod.child_init,
    destroy_f=ul_mod.destroy,
    api=api.API,
    doc=__doc__,
)
