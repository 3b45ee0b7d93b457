"""The domain module: is a domain one of ours?

``is_from_local()``, ``is_uri_host_local()`` and ``is_domain_local("$pv")``
check the From host, the R-URI host or a PV's value against the ``domain``
table -- queried each time (``db_mode=0``) or cached in shared memory
(``db_mode=1``; MI ``domain_reload`` re-reads it for every worker,
``domain_dump`` lists it).  Comparisons are case-insensitive.
"""
from openser_py.core.exports import (BRANCH_ROUTE, FAILURE_ROUTE, INT_PARAM,
                                     REQUEST_ROUTE, STR_PARAM, CmdExport,
                                     MiExport, ModuleExports, ParamExport)
from openser_py.mi.tree import MI_NO_INPUT_FLAG
from openser_py.modules.domain import domain_mod

_cfg = domain_mod.cfg
_ROUTES = REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE

exports = ModuleExports(
    name="domain",
    cmds=(
        CmdExport("is_from_local", domain_mod.w_is_from_local, 0, None, None,
                  _ROUTES,
                  doc="True if the host of the From URI is a local domain."),
        CmdExport("is_uri_host_local", domain_mod.w_is_uri_host_local, 0,
                  None, None, _ROUTES,
                  doc="True if the host of the (current) Request-URI is a "
                  "local domain."),
        CmdExport("is_domain_local", domain_mod.w_is_domain_local, 1,
                  domain_mod.fixup_pv, None, _ROUTES,
                  doc="True if the value of the pseudo-variable is a local "
                  "domain.",
                  params_doc=("pseudo_variable",)),
    ),
    params=(
        ParamExport("db_url", STR_PARAM, _cfg, doc="Database URL."),
        ParamExport("db_mode", INT_PARAM, _cfg,
                    doc="0 = query the table for every check; 1 = keep the "
                    "table in shared memory (reloaded by MI domain_reload)."),
        ParamExport("domain_table", STR_PARAM, _cfg,
                    doc="Table holding the local domains (version 1)."),
        ParamExport("domain_col", STR_PARAM, _cfg,
                    doc="Column holding the domain names."),
    ),
    mi_cmds=(
        MiExport("domain_reload", domain_mod.mi_domain_reload,
                 MI_NO_INPUT_FLAG,
                 doc="Re-read the domain table into the cache (db_mode 1; "
                 "else 500 command not activated)."),
        MiExport("domain_dump", domain_mod.mi_domain_dump, MI_NO_INPUT_FLAG,
                 doc="List the cached domains, one \"Domain:: name\" node "
                 "each (db_mode 1)."),
    ),
    mod_init=domain_mod.mod_init,
    child_init=domain_mod.child_init,
    destroy_f=domain_mod.destroy,
    deps=("a database driver (db_mysql, db_postgres or db_sqlite)",),
)
