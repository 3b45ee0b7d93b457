"""registrar -- SIP registrar (OpenSER 1.3 ``registrar``; RFC 3261 10.3).

``save("location")`` processes a REGISTER: it stores, refreshes or removes
the bindings of the To AOR in usrloc and answers with every current
binding.  ``lookup("location")`` rewrites the Request-URI with the
registered contacts (forking to the others as branches),
``registered("location")`` only tests.  Needs usrloc (storage) and sl
(replies).

Layout: ``save`` (the REGISTER algorithm), ``lookup`` (lookup,
registered, add_sock_hdr), ``reply`` (200 OK contact list, errors),
``sip_msg`` (expires/q/AOR rules), ``rerrno`` (error table), ``reg_mod``
(parameters, fixups, statistics).
"""
from openser_py.core.exports import (FAILURE_ROUTE, INT_PARAM, REQUEST_ROUTE,
                                     STAT_IS_FUNC, STAT_NO_RESET, STR_PARAM,
                                     CmdExport, ModuleExports, ParamExport,
                                     StatExport)
from openser_py.modules.registrar import lookup as _lookup
from openser_py.modules.registrar import reg_mod, save as _save
from openser_py.modules.registrar.reg_mod import cfg


def w_save(msg, d, flags=0):
    """``save(table[, flags])``."""
    return _save.save(msg, d, flags)


def w_lookup(msg, d):
    """``lookup(table)``."""
    return _lookup.lookup(msg, d)


def w_registered(msg, d):
    """``registered(table)``."""
    return _lookup.registered(msg, d)


def w_add_sock_hdr(msg, name):
    """``add_sock_hdr(name)``."""
    return _lookup.add_sock_hdr(msg, name)


_INT = {
    "default_expires": "Expiry (s) of a contact with neither an expires "
    "parameter nor an Expires header.",
    "min_expires": "Shorter expiries are raised to this (0 disables).",
    "max_expires": "Longer expiries are cut to this (0 = no limit).",
    "default_q": "q (x1000) of contacts without one (-1 = unspecified).",
    "append_branches": "1 = lookup() appends the other contacts as "
    "branches.",
    "case_sensitive": "1 = compare AORs case-sensitively.",
    "desc_time_order": "1 = newest contact first (as usrloc's parameter).",
    "max_contacts": "Maximum number of contacts per AOR (0 = no limit); "
    "more are refused with 503.",
    "retry_after": "Seconds put in a Retry-After header of 5xx replies "
    "(0 = none).",
    "tcp_persistent_flag": "Message flag: a REGISTER received over TCP or "
    "TLS with it set keeps its connection open until its longest contact "
    "expires, plus 10 seconds, idle or not (-1 = disabled).",
    "sock_flag": "Message flag: take the socket to store from the "
    "sock_hdr_name header.",
    "method_filtering": "1 = lookup() skips contacts that do not support "
    "the request's method.",
    "use_path": "1 = store the Path vector (RFC 3327).",
    "path_mode": "0 off, 1 lazy (echo Path if the UAC supports it), 2 "
    "strict (420 if it does not).",
    "path_use_received": "1 = take the received URI from the first Path "
    "URI's received parameter.",
}
_STR = {
    "realm_prefix": "Prefix stripped from the domain of the AOR.",
    "received_param": "Name of the parameter carrying the received URI in "
    "the 200 OK contacts.",
    "received_avp": "AVP holding the received URI to store (set by "
    "nathelper's fix_nated_register).",
    "aor_avp": "AVP holding the AOR to use instead of the To URI.",
    "sock_hdr_name": "Header carrying the socket to store (see "
    "sock_flag).",
}


def _param_stat(name):
    return lambda: getattr(cfg, name)


exports = ModuleExports(
    name="registrar",
    cmds=(
        CmdExport("save", w_save, 1, reg_mod.fixup_domain, None,
                  REQUEST_ROUTE,
                  doc="Process a REGISTER for the usrloc table: store, "
                  "refresh or remove the bindings of the To AOR and reply "
                  "(200 OK with every binding, or the error). Returns 1, "
                  "or 0 after an error reply (the script stops).",
                  params_doc=("table",)),
        CmdExport("save", w_save, 2, reg_mod.fixup_domain, None,
                  REQUEST_ROUTE,
                  doc="As save(table); flags: 0x01 memory only (no DB "
                  "write), 0x02 do not send the reply.",
                  params_doc=("table", "flags")),
        CmdExport("lookup", w_lookup, 1, reg_mod.fixup_domain, None,
                  REQUEST_ROUTE | FAILURE_ROUTE,
                  doc="Rewrite the R-URI with the contacts registered for "
                  "its AOR (further contacts become branches). 1 found, "
                  "-1 not found, -2 method not supported, -3 error.",
                  params_doc=("table",)),
        CmdExport("registered", w_registered, 1, reg_mod.fixup_domain,
                  None, REQUEST_ROUTE | FAILURE_ROUTE,
                  doc="1 if the R-URI's AOR has a valid contact, else -1.",
                  params_doc=("table",)),
        CmdExport("add_sock_hdr", w_add_sock_hdr, 1, reg_mod.fixup_hdr_name,
                  None, REQUEST_ROUTE,
                  doc="Add a header with the receiving socket "
                  "(proto:ip:port).",
                  params_doc=("header name",)),
    ),
    params=tuple([ParamExport(n, INT_PARAM, cfg, doc=d)
                  for n, d in _INT.items()]
                 + [ParamExport(n, STR_PARAM, cfg, doc=d)
                    for n, d in _STR.items()]),
    stats=(
        StatExport("max_expires", STAT_IS_FUNC | STAT_NO_RESET,
                   _param_stat("max_expires"), doc="The max_expires value."),
        StatExport("max_contacts", STAT_IS_FUNC | STAT_NO_RESET,
                   _param_stat("max_contacts"),
                   doc="The max_contacts value."),
        StatExport("default_expire", STAT_IS_FUNC | STAT_NO_RESET,
                   _param_stat("default_expires"),
                   doc="The default_expires value."),
        StatExport("accepted_regs", 0, doc="REGISTERs accepted."),
        StatExport("rejected_regs", 0, doc="REGISTERs rejected."),
    ),
    mod_init=reg_mod.mod_init,
    doc=__doc__,
    deps=("usrloc", "sl"),
)
