"""The uri_db module: URI checks against the database.

``check_to()`` / ``check_from()`` verify that the To / From user is the
authenticated user (digest username, or a mapping in the ``uri`` table
with ``use_uri_table=1``); ``does_uri_exist()`` that the R-URI user is a
subscriber (or in the ``uri`` table).  All return 1 or -1.
"""
from openser_py.core.exports import (INT_PARAM, REQUEST_ROUTE, STR_PARAM,
                                     USE_FUNC_PARAM, CmdExport, ModuleExports,
                                     ParamExport)
from openser_py.modules.uri_db import checks, uridb_mod

_cfg = uridb_mod.cfg
_S = STR_PARAM

exports = ModuleExports(
    name="uri_db",
    cmds=(
        CmdExport("check_to", checks.w_check_to, 0, None, None, REQUEST_ROUTE,
                  doc="True if the To user is the authenticated user (the "
                  "digest username's user part, or a uri table mapping "
                  "username/realm -> uri_user when use_uri_table is 1). "
                  "Needs a successful www_authorize/proxy_authorize."),
        CmdExport("check_from", checks.w_check_from, 0, None, None,
                  REQUEST_ROUTE,
                  doc="As check_to, for the From user."),
        CmdExport("does_uri_exist", checks.w_does_uri_exist, 0, None, None,
                  REQUEST_ROUTE,
                  doc="True if the R-URI user (and host with use_domain) is "
                  "in the subscriber table, or in the uri table's uri_user "
                  "column with use_uri_table."),
    ),
    params=(
        ParamExport("db_url", _S, _cfg, doc="Database URL."),
        ParamExport("uri_table", _S, _cfg,
                    doc="Table mapping authenticated users to the URI users "
                    "they may use."),
        ParamExport("uri_user_column", _S, _cfg,
                    doc="uri table: column with the digest username."),
        ParamExport("uri_domain_column", _S, _cfg,
                    doc="uri table: column with the domain (digest realm)."),
        ParamExport("uri_uriuser_column", _S, _cfg,
                    doc="uri table: column with the allowed URI user."),
        ParamExport("subscriber_table", _S, _cfg,
                    doc="Subscriber table (does_uri_exist without "
                    "use_uri_table)."),
        ParamExport("subscriber_user_column", _S, _cfg,
                    doc="subscriber table: username column."),
        ParamExport("subscriber_domain_column", _S, _cfg,
                    doc="subscriber table: domain column."),
        ParamExport("use_uri_table", INT_PARAM, _cfg,
                    doc="1 = check against the uri table instead of the "
                    "digest username / subscriber table."),
        ParamExport("use_domain", INT_PARAM, _cfg,
                    doc="1 = does_uri_exist also matches the R-URI host."),
        ParamExport("db_table", _S | USE_FUNC_PARAM, uridb_mod.set_db_table,
                    doc="Alias of uri_table."),
        ParamExport("user_column", _S | USE_FUNC_PARAM,
                    uridb_mod.set_user_column,
                    doc="Alias of uri_user_column."),
        ParamExport("domain_column", _S | USE_FUNC_PARAM,
                    uridb_mod.set_domain_column,
                    doc="Alias of uri_domain_column."),
        ParamExport("uriuser_column", _S | USE_FUNC_PARAM,
                    uridb_mod.set_uriuser_column,
                    doc="Alias of uri_uriuser_column."),
    ),
    mod_init=uridb_mod.mod_init,
    child_init=uridb_mod.child_init,
    destroy_f=uridb_mod.destroy,
    deps=("a database driver (db_mysql, db_postgres or db_sqlite)",),
)
