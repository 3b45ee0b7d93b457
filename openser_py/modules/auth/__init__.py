"""The auth module: digest authentication framework (RFC 2617, RFC 3261 §22).

Challenges (``www_challenge``, ``proxy_challenge``), nonces protected by an
HMAC with the module secret and an expiry time, nonce-count replay
protection shared by all workers, authorization from pseudo-variables
(``pv_www_authorize``, ``pv_proxy_authorize``), ``consume_credentials`` and
the Remote-Party-ID helpers.  Back-ends such as auth_db use the API
(``load_module_api("auth")``: ``pre_auth``, ``check_response``,
``post_auth``).  Return codes of the authorize functions: 1 authorized, 0
error (a reply was sent), -1 user unknown, -2 invalid password, -3 stale
nonce, -4 no credentials, -5 generic error.
"""
from openser_py.core.exports import (BRANCH_ROUTE, FAILURE_ROUTE, INT_PARAM,
                                     REQUEST_ROUTE, STR_PARAM, CmdExport,
                                     ModuleExports, ParamExport)
from openser_py.modules.auth import (api, auth_mod, authorize, challenge,
                                     rpid)

_RPID_ROUTES = REQUEST_ROUTE | BRANCH_ROUTE | FAILURE_ROUTE
_cfg = auth_mod.cfg

exports = ModuleExports(
    name="auth",
    cmds=(
        CmdExport("www_challenge", challenge.w_www_challenge, 2,
                  challenge.fixup_challenge, None, REQUEST_ROUTE,
                  doc="Send \"401 Unauthorized\" with a WWW-Authenticate "
                  "digest challenge (fresh nonce; qop=\"auth\" when qop is "
                  "1; stale=true after a stale-nonce authorization of the "
                  "same request). An empty realm means the To host of a "
                  "REGISTER, else the From host. Returns 0 (stops the "
                  "script) or -1 when the reply could not be sent.",
                  params_doc=("realm", "qop")),
        CmdExport("proxy_challenge", challenge.w_proxy_challenge, 2,
                  challenge.fixup_challenge, None, REQUEST_ROUTE,
                  doc="Send \"407 Proxy Authentication Required\" with a "
                  "Proxy-Authenticate digest challenge; an empty realm means "
                  "the From host. Returns 0 or -1 like www_challenge.",
                  params_doc=("realm", "qop")),
        CmdExport("consume_credentials", authorize.w_consume_credentials, 0,
                  None, None, REQUEST_ROUTE,
                  doc="Remove the credentials header that was authorized "
                  "from the request (so it is not forwarded). -1 if no "
                  "credentials were authorized."),
        CmdExport("pv_www_authorize", authorize.w_pv_www_authorize, 1,
                  authorize.fixup_realm, None, REQUEST_ROUTE,
                  doc="Check the Authorization credentials against the "
                  "username_spec / password_spec pseudo-variables. Same "
                  "return codes as auth_db's www_authorize.",
                  params_doc=("realm",)),
        CmdExport("pv_proxy_authorize", authorize.w_pv_proxy_authorize, 1,
                  authorize.fixup_realm, None, REQUEST_ROUTE,
                  doc="As pv_www_authorize, for Proxy-Authorization.",
                  params_doc=("realm",)),
        CmdExport("is_rpid_user_e164", rpid.w_is_rpid_user_e164, 0, None,
                  None, REQUEST_ROUTE,
                  doc="True if the user part of the SIP URI in the rpid_avp "
                  "AVP is an E.164 number (+ and 2..15 digits)."),
        CmdExport("append_rpid_hf", rpid.w_append_rpid_hf, 0, None, None,
                  _RPID_ROUTES,
                  doc="Append \"Remote-Party-ID: <rpid_prefix><rpid>"
                  "<rpid_suffix>\" built from the rpid_avp AVP; -1 if the "
                  "AVP is not set."),
        CmdExport("append_rpid_hf", rpid.w_append_rpid_hf, 2, None, None,
                  _RPID_ROUTES,
                  doc="As append_rpid_hf(), with the given prefix and "
                  "suffix instead of the parameters.",
                  params_doc=("prefix", "suffix")),
        CmdExport("bind_auth", api.bind_auth, 0, None, None, 0,
                  doc="Internal: return the auth API."),
    ),
    params=(
        ParamExport("secret", STR_PARAM, _cfg,
                    doc="Secret keying the nonce MAC. Default: 32 random "
                    "characters chosen at start-up (before the workers are "
                    "forked), so nonces do not survive a restart. Set it to "
                    "share nonces between servers."),
        ParamExport("nonce_expire", INT_PARAM, _cfg,
                    doc="Lifetime of a nonce in seconds; credentials with an "
                    "older nonce get -3 and the next challenge carries "
                    "stale=true."),
        ParamExport("rpid_prefix", STR_PARAM, _cfg,
                    doc="Text put before the RPID value by append_rpid_hf()."),
        ParamExport("rpid_suffix", STR_PARAM, _cfg,
                    doc="Text put after the RPID value by append_rpid_hf()."),
        ParamExport("realm_prefix", STR_PARAM, _cfg,
                    doc="Prefix stripped from the realm (e.g. \"sip.\") "
                    "before it is used in challenges and credential "
                    "lookups."),
        ParamExport("rpid_avp", STR_PARAM, _cfg,
                    doc="AVP holding the RPID value (empty: disabled)."),
        ParamExport("username_spec", STR_PARAM, _cfg,
                    doc="Pseudo-variable holding the username for "
                    "pv_*_authorize."),
        ParamExport("password_spec", STR_PARAM, _cfg,
                    doc="Pseudo-variable holding the password (or HA1) for "
                    "pv_*_authorize."),
        ParamExport("calculate_ha1", INT_PARAM, _cfg,
                    doc="pv_*_authorize: 1 = password_spec holds the clear "
                    "text password, 0 = it holds HA1."),
        ParamExport("nonce_count", INT_PARAM, _cfg,
                    doc="1 = with qop, accept each nonce-count (nc) only once "
                    "per nonce, across all workers (replays get -3); 0 = "
                    "no nc tracking (OpenSER 1.3 behaviour)."),
        ParamExport("nc_array_size", INT_PARAM, _cfg,
                    doc="Number of nonces whose nonce-count is tracked in "
                    "shared memory (8 bytes each); a nonce older than this "
                    "many challenges is treated as stale."),
    ),
    mod_init=auth_mod.mod_init,
    destroy_f=auth_mod.destroy,
    api=api.API,
    deps=("sl",),
)
