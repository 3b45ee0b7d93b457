"""uri: Request-URI checks and changes (OpenSER 1.3 ``uri`` module).

Exports only; the logic is in :mod:`.uri_funcs`.
"""
from openser_py.core.exports import (
    CmdExport, FAILURE_ROUTE, ModuleExports, REQUEST_ROUTE)
from openser_py.modules.uri import uri_funcs as uf

exports = ModuleExports(
    name="uri",
    cmds=(
        CmdExport("is_user", uf.w_is_user, 1, None, None, REQUEST_ROUTE,
                  doc="True if the user part of the digest username of the "
                      "credentials accepted by www_authorize/proxy_authorize "
                      "equals username (case-sensitive).",
                  params_doc=("username",)),
        CmdExport("has_totag", uf.w_has_totag, 0, None, None, REQUEST_ROUTE,
                  doc="True if the To header has a tag."),
        CmdExport("uri_param", uf.w_uri_param, 1, None, None, REQUEST_ROUTE,
                  doc="True if the R-URI has the parameter param without a "
                      "value (names compare case-sensitively, as 1.3).",
                  params_doc=("param",)),
        CmdExport("uri_param", uf.w_uri_param, 2, None, None, REQUEST_ROUTE,
                  doc="True if the R-URI has the parameter param with that "
                      "value (both compare case-sensitively, as 1.3).",
                  params_doc=("param", "value")),
        CmdExport("add_uri_param", uf.w_add_uri_param, 1, None, None,
                  REQUEST_ROUTE,
                  doc="Append ';param' (name or name=value) to the R-URI "
                      "parameters, before any URI headers.",
                  params_doc=("param",)),
        CmdExport("tel2sip", uf.w_tel2sip, 0, None, None, REQUEST_ROUTE,
                  doc="Turn a tel: R-URI into sip:<number>@<From host>;"
                      "user=phone; true if converted or not a tel URI."),
        CmdExport("is_uri_user_e164", uf.w_is_uri_user_e164, 1, uf.fixup_pv,
                  None, REQUEST_ROUTE | FAILURE_ROUTE,
                  doc="True if the user part of the URI held by the "
                      "pseudo-variable is '+' and 2 to 15 digits.",
                  params_doc=("pseudo_variable",)),
    ),
    doc="Checks and changes of the Request-URI: parameters, E.164 users, "
        "tel to SIP conversion, To tag and authorized user checks.",
)
