"""The permissions module: routing, registration and URI permissions from
tcpd-like allow/deny files; trusted peers (``trusted`` table) and address
groups (``address`` table).

``allow_routing`` checks (From, R-URI/branch) pairs, ``allow_register``
(To, Contact) pairs and ``allow_uri`` (From, URI in a PV) against
``.allow``/``.deny`` files parsed at start-up.  ``allow_trusted`` accepts a
request whose source IP, transport and From URI match a ``trusted`` row
(queried each time with ``db_mode=0``, cached in shm with ``db_mode=1``).
``allow_address`` / ``allow_source_address`` match an address against the
``address`` table, cached in shm.  MI: ``trusted_reload``,
``trusted_dump``, ``address_reload``, ``address_dump``, ``subnet_dump``,
``allow_uri``.
"""
from openser_py.core.exports import (FAILURE_ROUTE, INT_PARAM, REQUEST_ROUTE,
                                     STR_PARAM, CmdExport, MiExport,
                                     ModuleExports, ParamExport)
from openser_py.mi.tree import MI_NO_INPUT_FLAG
from openser_py.modules.permissions import perm_db as D
from openser_py.modules.permissions import perm_mod as P

_cfg = P.cfg
_R = REQUEST_ROUTE | FAILURE_ROUTE


def mod_init():
    """Parse the default files, set up the database part."""
    P.init_default_files()
    return D.init_db()


def destroy():
    """Free the caches and forget the files."""
    D.destroy()
    P.reset_files()


def _p(name, doc, t=STR_PARAM):
    return ParamExport(name, t, _cfg, doc=doc)


exports = ModuleExports(
    name="permissions",
    cmds=(
        CmdExport("allow_routing", P.w_allow_routing0, 0, None, None, _R,
                  doc="Check (From, R-URI) and (From, branch URI) pairs "
                  "against default_allow_file / default_deny_file."),
        CmdExport("allow_routing", P.w_allow_routing1, 1, P.fixup_single,
                  None, _R,
                  doc="Same with basename + allow_suffix / deny_suffix.",
                  params_doc=("basename",)),
        CmdExport("allow_routing", P.w_allow_routing2, 2, P.fixup_double,
                  None, _R, doc="Same with the two given files.",
                  params_doc=("allow_file", "deny_file")),
        CmdExport("allow_register", P.w_allow_register1, 1, P.fixup_single,
                  None, _R,
                  doc="Check (To, Contact) pairs of a REGISTER against "
                  "basename.allow / basename.deny.",
                  params_doc=("basename",)),
        CmdExport("allow_register", P.w_allow_register2, 2, P.fixup_double,
                  None, _R, doc="Same with the two given files.",
                  params_doc=("allow_file", "deny_file")),
        CmdExport("allow_uri", P.w_allow_uri, 2, P.fixup_uri, None, _R,
                  doc="Check the pair (From URI, URI in the pseudo-variable) "
                  "against basename.allow / basename.deny.",
                  params_doc=("basename", "pseudo_variable")),
        CmdExport("allow_trusted", D.w_allow_trusted0, 0, None, None, _R,
                  doc="True if source IP, transport and From URI of the "
                  "request match a row of the trusted table."),
        CmdExport("allow_trusted", D.w_allow_trusted2, 2, D.fixup_pv, None,
                  _R, doc="Same with source IP and protocol taken from "
                  "pseudo-variables.", params_doc=("src_ip_pvar",
                                                   "proto_pvar")),
        CmdExport("set_address_group", D.w_set_address_group, 1,
                  D.fixup_int_or_pv, None, _R,
                  doc="Group used by later allow_address(ip, port) calls.",
                  params_doc=("group_id",)),
        CmdExport("allow_address", D.w_allow_address2, 2, D.fixup_pv, None,
                  _R, doc="True if IP and port (pseudo-variables) match the "
                  "address table in the group set by set_address_group.",
                  params_doc=("ip_addr_pv", "port_pv")),
        CmdExport("allow_address", D.w_allow_address3, 3, D.fixup_address3,
                  None, _R, doc="Same with the group as first parameter.",
                  params_doc=("group_id", "ip_addr_pv", "port_pv")),
        CmdExport("allow_source_address", D.w_allow_source_address, 1,
                  D.fixup_int_or_pv, None, _R,
                  doc="True if source IP and port of the request match the "
                  "address table in the group.", params_doc=("group_id",)),
    ),
    params=(
        _p("default_allow_file", "Allow file of allow_routing() (relative "
           "to the config file's directory)."),
        _p("default_deny_file", "Deny file of allow_routing()."),
        _p("check_all_branches", "1 = allow_routing checks every branch, "
           "0 = only the R-URI.", INT_PARAM),
        _p("allow_suffix", "Suffix making the allow file of a basename."),
        _p("deny_suffix", "Suffix making the deny file of a basename."),
        _p("db_url", "Database of the trusted and address tables (empty = "
           "allow_trusted / allow_address disabled)."),
        _p("db_mode", "0 = query the trusted table every time; 1 = cache it "
           "in shared memory.", INT_PARAM),
        _p("trusted_table", "Table of trusted peers (version 4)."),
        _p("source_col", "Column with the source IP address."),
        _p("proto_col", "Column with the protocol (any, udp, tcp, tls, sctp, "
           "none)."),
        _p("from_col", "Column with the From URI regular expression."),
        _p("tag_col", "Column with the tag for peer_tag_avp."),
        _p("peer_tag_avp", "AVP ($avp(...)) receiving the tag of the matching "
           "trusted peer."),
        _p("address_table", "Table of address groups (version 3)."),
        _p("grp_col", "Column with the group id."),
        _p("ip_addr_col", "Column with the IP address."),
        _p("mask_col", "Column with the network mask length (0-32)."),
        _p("port_col", "Column with the port (0 = any)."),
    ),
    mi_cmds=(
        MiExport("trusted_reload", D.mi_trusted_reload, MI_NO_INPUT_FLAG,
                 doc="Re-read the trusted table into the cache (db_mode 1)."),
        MiExport("trusted_dump", D.mi_trusted_dump, MI_NO_INPUT_FLAG,
                 doc="Dump the cached trusted rows."),
        MiExport("address_reload", D.mi_address_reload, MI_NO_INPUT_FLAG,
                 doc="Re-read the address table into the cache."),
        MiExport("address_dump", D.mi_address_dump, MI_NO_INPUT_FLAG,
                 doc="Dump the cached /32 addresses."),
        MiExport("subnet_dump", D.mi_subnet_dump, MI_NO_INPUT_FLAG,
                 doc="Dump the cached subnets."),
        MiExport("allow_uri", D.mi_allow_uri, 0,
                 doc="Test a (URI, Contact) pair against the loaded files of "
                 "a basename: basename, URI, contact."),
    ),
    mod_init=mod_init,
    child_init=D.child_init,
    destroy_f=destroy,
    deps=("a database driver (db_mysql, db_postgres or db_sqlite) for "
          "allow_trusted and the address functions",),
)
