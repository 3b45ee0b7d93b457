"""The alias_db module: R-URI aliases kept in a database table.

``alias_db_lookup("dbaliases")`` replaces an R-URI that is an alias
(``alias_username`` [+ ``alias_domain`` with ``use_domain=1``]) by the
owner's ``sip:username@domain``; it returns 1 when it did, -1 otherwise.
"""
from openser_py.core.exports import (FAILURE_ROUTE, INT_PARAM, REQUEST_ROUTE,
                                     STR_PARAM, CmdExport, ModuleExports,
                                     ParamExport)
from openser_py.modules.alias_db import alookup

_cfg = alookup.cfg

exports = ModuleExports(
    name="alias_db",
    cmds=(
        CmdExport("alias_db_lookup", alookup.alias_db_lookup, 1,
                  alookup.fixup_table, None, REQUEST_ROUTE | FAILURE_ROUTE,
                  doc="If the R-URI user (and host with use_domain) is an "
                  "alias in the table, rewrite the R-URI to "
                  "sip:username@domain of its owner and return 1; -1 if "
                  "not found.",
                  params_doc=("table",)),
    ),
    params=(
        ParamExport("db_url", STR_PARAM, _cfg, doc="Database URL."),
        ParamExport("user_column", STR_PARAM, _cfg,
                    doc="Column with the owner's username."),
        ParamExport("domain_column", STR_PARAM, _cfg,
                    doc="Column with the owner's domain."),
        ParamExport("alias_user_column", STR_PARAM, _cfg,
                    doc="Column with the alias username."),
        ParamExport("alias_domain_column", STR_PARAM, _cfg,
                    doc="Column with the alias domain."),
        ParamExport("use_domain", INT_PARAM, _cfg,
                    doc="1 = match the alias domain too (the R-URI host)."),
        ParamExport("domain_prefix", STR_PARAM, _cfg,
                    doc="Prefix stripped from the R-URI host before the "
                    "lookup (e.g. \"sip.\")."),
    ),
    mod_init=alookup.mod_init,
    child_init=alookup.child_init,
    destroy_f=alookup.destroy,
    deps=("a database driver (db_mysql, db_postgres or db_sqlite)",),
)
