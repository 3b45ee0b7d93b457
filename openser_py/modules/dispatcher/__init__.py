"""The dispatcher module: stateless load balancing over destination sets.

Sets come from ``list_file`` (``<setid> <sip-uri>`` lines) or the
``dispatcher`` table (``db_url``) and live in shared memory together with
every destination's state (active / inactive / probing), so all workers
see the same list, the same states and one round-robin counter per set.
``ds_select_dst`` / ``ds_select_domain`` pick a destination with one of
1.3's algorithms; with failover on the rest go to AVPs for
``ds_next_dst`` / ``ds_next_domain`` in a failure route; ``ds_mark_dst``
marks the last one used.  With ``ds_ping_interval`` and tm loaded the
timer process probes destinations with OPTIONS (see
``doc/dev/dispatcher.md``).  MI: ``ds_list``, ``ds_set_state``,
``ds_reload``.
"""
from openser_py.core.exports import (BRANCH_ROUTE, FAILURE_ROUTE, INT_PARAM,
                                     ONREPLY_ROUTE, REQUEST_ROUTE, STR_PARAM,
                                     CmdExport, MiExport, ModuleExports,
                                     ParamExport)
from openser_py.mi.tree import MI_NO_INPUT_FLAG
from openser_py.modules.dispatcher import ds_mod as M

_cfg = M.cfg
_FROM = REQUEST_ROUTE | FAILURE_ROUTE | ONREPLY_ROUTE | BRANCH_ROUTE
_ALG = ("set", "alg")

exports = ModuleExports(
    name="dispatcher",
    cmds=(
        CmdExport("ds_select_dst", M.w_ds_select_dst, 2, M.fixup_set_alg,
                  None, REQUEST_ROUTE,
                  doc="Select a destination of the set (number or AVP) with "
                  "the algorithm (0 Call-ID hash, 1 From URI hash, 2 To URI "
                  "hash, 3 R-URI hash, 4 round-robin, 5 auth username hash "
                  "(round-robin without credentials), 6 random, other: first "
                  "entry) and set it as destination URI ($du).",
                  params_doc=_ALG),
        CmdExport("ds_select_domain", M.w_ds_select_domain, 2,
                  M.fixup_set_alg, None, REQUEST_ROUTE,
                  doc="Like ds_select_dst, but rewrite the host:port of the "
                  "R-URI.", params_doc=_ALG),
        CmdExport("ds_next_dst", M.w_ds_next_dst, 0, M.fixup_warn, None,
                  FAILURE_ROUTE,
                  doc="Take the next destination from dst_avp and use it as "
                  "destination URI of a new branch (failover)."),
        CmdExport("ds_next_domain", M.w_ds_next_domain, 0, M.fixup_warn,
                  None, FAILURE_ROUTE,
                  doc="Take the next destination from dst_avp and put its "
                  "host:port into the R-URI of a new branch."),
        CmdExport("ds_mark_dst", M.w_ds_mark_dst0, 0, M.fixup_warn, None,
                  FAILURE_ROUTE,
                  doc="Mark the last used destination inactive."),
        CmdExport("ds_mark_dst", M.w_ds_mark_dst1, 1, M.fixup_warn, None,
                  FAILURE_ROUTE,
                  doc="Mark the last used destination inactive (i/I/0), "
                  "active (a/A/1) or probing (p/P/2; only after "
                  "ds_probing_threshhold calls).", params_doc=("state",)),
        CmdExport("ds_is_from_list", M.w_ds_is_from_list0, 0, None, None,
                  _FROM,
                  doc="True if the request comes from (source ip and port) "
                  "a destination of any set."),
        CmdExport("ds_is_from_list", M.w_ds_is_from_list1, 1, M.fixup_group,
                  None, _FROM,
                  doc="True if the request comes from a destination of the "
                  "given set.", params_doc=("group",)),
    ),
    params=(
        ParamExport("list_file", STR_PARAM, _cfg,
                    doc="Path to the file with the destination sets."),
        ParamExport("db_url", STR_PARAM, _cfg,
                    doc="Load the sets from this database instead of the "
                    "list file (empty = file mode)."),
        ParamExport("table_name", STR_PARAM, _cfg,
                    doc="Table holding the sets (version 1)."),
        ParamExport("setid_col", STR_PARAM, _cfg,
                    doc="Column holding the set id."),
        ParamExport("destination_col", STR_PARAM, _cfg,
                    doc="Column holding the destination SIP URI."),
        ParamExport("force_dst", INT_PARAM, _cfg,
                    doc="1 = overwrite a destination URI already set."),
        ParamExport("flags", INT_PARAM, _cfg,
                    doc="Bit 1: hash only the user part of URIs; bit 2: "
                    "failover support (AVPs)."),
        ParamExport("use_default", INT_PARAM, _cfg,
                    doc="1 = the last destination of a set is only used when "
                    "all others are down."),
        ParamExport("dst_avp", STR_PARAM, _cfg,
                    doc="AVP ($avp(...)) holding the destinations for "
                    "failover."),
        ParamExport("grp_avp", STR_PARAM, _cfg,
                    doc="AVP holding the set id used."),
        ParamExport("cnt_avp", STR_PARAM, _cfg,
                    doc="AVP holding the number of destinations in dst_avp."),
        ParamExport("ds_ping_method", STR_PARAM, _cfg,
                    doc="Method of the probing requests."),
        ParamExport("ds_ping_from", STR_PARAM, _cfg,
                    doc="From URI of the probing requests."),
        ParamExport("ds_ping_interval", INT_PARAM, _cfg,
                    doc="Seconds between probing rounds (0 = no probing; "
                    "needs tm)."),
        ParamExport("ds_probing_threshhold", INT_PARAM, _cfg,
                    doc="Failures before a destination is set to probing "
                    "(ds_mark_dst(\"p\") calls, failed probes)."),
        ParamExport("ds_probing_mode", INT_PARAM, _cfg,
                    doc="0 = probe only destinations in probing state (1.3); "
                    "1 = probe all and count failed probes towards the "
                    "probing state (as in later releases)."),
    ),
    mi_cmds=(
        MiExport("ds_set_state", M.mi_ds_set_state, 0,
                 doc="Set the state (a, i or p) of a destination: state, "
                 "group, address."),
        MiExport("ds_list", M.mi_ds_list, MI_NO_INPUT_FLAG,
                 doc="List the sets and their destinations with their "
                 "state (flag=A|I|P)."),
        MiExport("ds_reload", M.mi_ds_reload, 0,
                 doc="Re-read the list file or the table; every worker uses "
                 "the new sets at once."),
    ),
    mod_init=M.mod_init,
    child_init=M.child_init,
    destroy_f=M.destroy,
    deps=("tm (only for probing)", "a database driver with db_url"),
)
