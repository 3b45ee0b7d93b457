"""The sl module: stateless replies.

Replies to requests without keeping any state: ``sl_send_reply(code,
reason)`` answers with a fixed or pseudo-variable code and reason,
``sl_reply_error()`` answers for the internal error left by the previous
action.  Replies carry a To-tag (code >= 180) built from the server's first
listening socket and the request's first Via, so that the ACK to a
negative reply can be recognised and absorbed (statistic
``received_ACKs``).  Other modules use the same code through
``load_module_api("sl")``.
"""
from openser_py.core.exports import (ERROR_ROUTE, INT_PARAM, REQUEST_ROUTE,
                                     CmdExport, ModuleExports, ParamExport)
from openser_py.modules.sl import api, sl_funcs, sl_stats

exports = ModuleExports(
    name="sl",
    cmds=(
        CmdExport("sl_send_reply", sl_funcs.w_sl_send_reply, 2,
                  sl_funcs.fixup_sl_send_reply, None,
                  REQUEST_ROUTE | ERROR_ROUTE,
                  doc="Send a reply statelessly. Both parameters may contain "
                  "pseudo-variables (e.g. \"$err.rcode\", \"$err.rreason\"); "
                  "a code written without variables must be 100..699. "
                  "Replies with code >= 180 get a To-tag when the request "
                  "has none, 3xx replies a Contact header listing the "
                  "destination set (R-URI if rewritten, then the appended "
                  "branches). ACKs are never replied to. Returns 1 on "
                  "success, -1 on error.",
                  params_doc=("code", "reason")),
        CmdExport("sl_reply_error", sl_funcs.w_sl_reply_error, 0, None,
                  None, REQUEST_ROUTE,
                  doc="Send a stateless reply for the internal error left by "
                  "the previous action (e.g. a failed forward() or "
                  "t_relay()): \"476 Unresolvable destination (476/SL)\", "
                  "\"500 Server error occurred (1/SL)\" for an unspecified "
                  "error. Counted in sent_err_replies."),
        CmdExport("load_sl", api.load_sl, 0, None, None, 0,
                  doc="Internal: return the sl API."),
        CmdExport("register_slcb", sl_funcs.register_slcb, 0, None, None, 0,
                  doc="Internal: register a callback for sent replies and "
                  "absorbed ACKs."),
    ),
    params=(
        ParamExport("enable_stats", INT_PARAM, sl_stats.cfg,
                    doc="Enable (1) or disable (0) the module's "
                    "statistics."),
    ),
    stats=sl_stats.STAT_EXPORTS,
    mod_init=sl_funcs.mod_init,
    destroy_f=sl_funcs.sl_shutdown,
    api=api.API,
)
