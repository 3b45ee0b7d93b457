"""The auth_db module: digest authentication against a subscriber table.

``www_authorize(realm, table)`` checks the Authorization header,
``proxy_authorize(realm, table)`` the Proxy-Authorization header, with HA1
(or the clear-text password when ``calculate_ha1=1``) read from the table
through the DB API; the nonce, challenge and replay logic is the auth
module's (load auth first).  Return codes: 1 authorized, 0 error (a reply
was sent), -1 user unknown, -2 invalid password, -3 stale nonce (re-challenge
with stale=true), -4 no credentials, -5 generic error.
"""
from openser_py.core.exports import (INT_PARAM, REQUEST_ROUTE, STR_PARAM,
                                     CmdExport, ModuleExports, ParamExport)
from openser_py.modules.auth_db import authdb_mod, authorize

_cfg = authdb_mod.cfg

exports = ModuleExports(
    name="auth_db",
    cmds=(
        CmdExport("www_authorize", authorize.w_www_authorize, 2,
                  authorize.fixup_authorize, None, REQUEST_ROUTE,
                  doc="Verify the Authorization credentials whose realm is "
                  "realm (PVs allowed; \"\" = To host of a REGISTER, else "
                  "From host) against the table (version 6 checked at "
                  "start-up). ACK and CANCEL are always authorized.",
                  params_doc=("realm", "table")),
        CmdExport("proxy_authorize", authorize.w_proxy_authorize, 2,
                  authorize.fixup_authorize, None, REQUEST_ROUTE,
                  doc="As www_authorize, with the Proxy-Authorization "
                  "header; \"\" realm = From host.",
                  params_doc=("realm", "table")),
    ),
    params=(
        ParamExport("db_url", STR_PARAM, _cfg,
                    doc="Database URL (mysql://, postgres://, sqlite://)."),
        ParamExport("user_column", STR_PARAM, _cfg,
                    doc="Column holding the username."),
        ParamExport("domain_column", STR_PARAM, _cfg,
                    doc="Column holding the domain (used with use_domain)."),
        ParamExport("password_column", STR_PARAM, _cfg,
                    doc="Column holding HA1 = MD5(user:realm:password), or "
                    "the clear-text password when calculate_ha1 is 1."),
        ParamExport("password_column_2", STR_PARAM, _cfg,
                    doc="Column holding HA1b = MD5(user@domain:realm:"
                    "password), used when the digest username contains a "
                    "domain and calculate_ha1 is 0."),
        ParamExport("calculate_ha1", INT_PARAM, _cfg,
                    doc="1 = password_column holds clear-text passwords and "
                    "HA1 is computed; 0 = it holds HA1."),
        ParamExport("use_domain", INT_PARAM, _cfg,
                    doc="1 = match the domain column too (digest username "
                    "domain, else the realm)."),
        ParamExport("load_credentials", STR_PARAM, _cfg,
                    doc="Columns loaded into AVPs after a successful "
                    "authorization: \"[$avp(name)=]column;...\" (a bare "
                    "column goes to $avp(s:column))."),
    ),
    mod_init=authdb_mod.mod_init,
    child_init=authdb_mod.child_init,
    destroy_f=authdb_mod.destroy,
    deps=("auth", "a database driver (db_mysql, db_postgres or db_sqlite)"),
)
