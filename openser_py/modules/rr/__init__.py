"""The rr module: record routing and route-set processing (RFC 3261 §16).

``record_route()`` puts this proxy on the path of the dialog: it inserts a
Record-Route header field value naming the socket the request arrived on
(RFC 3261 §16.6 step 4), with ``;lr``, the From tag (``;ftag=``) and any
parameters added with ``add_rr_param()``.  When the request leaves through
another socket (other interface or protocol) a second value naming the
outgoing socket is added, both marked ``;r2=on`` (enable_double_rr).
``loose_route()`` processes the Route header fields of a request (RFC 3261
§16.4, §16.12): it removes our own values and sets the next hop from the
route set, translating for strict routers in both directions.
``check_route_param()`` and ``is_direction()`` look at the parameters of
our Route value afterwards.  Other modules use ``load_module_api("rr")``
(parameters of the local Route, callbacks, the double Record-Route hook for
senders).
"""
from openser_py.core.actions import fixup_format
from openser_py.core.exports import (BRANCH_ROUTE, FAILURE_ROUTE, INT_PARAM,
                                     REQUEST_ROUTE, CmdExport, ModuleExports,
                                     ParamExport)
from openser_py.modules.rr import api, loose, rr_funcs
from openser_py.modules.rr.api import RrApi
from openser_py.modules.rr.rr_funcs import OUTBOUND_HOOK, rr_add_outbound

__all__ = ["exports", "RrApi", "rr_add_outbound", "OUTBOUND_HOOK"]

_RR_ROUTES = REQUEST_ROUTE | BRANCH_ROUTE | FAILURE_ROUTE

exports = ModuleExports(
    name="rr",
    cmds=(
        CmdExport("loose_route", loose.w_loose_route, 0, None, None,
                  REQUEST_ROUTE,
                  doc="Process the Route header fields (RFC 3261 16.4, "
                  "16.12). Our own values are removed (two with ;r2 when "
                  "we double record-routed, the request then leaves from "
                  "the socket the second one names). A loose next hop "
                  "becomes the destination URI ($du) and stays in Route; a "
                  "strict next hop becomes the R-URI and the R-URI is "
                  "appended as the last Route. If the R-URI is ours (the "
                  "previous hop was a strict router), the last Route value "
                  "becomes the R-URI. Returns 1 when the next hop comes "
                  "from the route set, -1 when there is no Route header, "
                  "on error, and for an out-of-dialog request (no To tag) "
                  "whose only Route value(s) are ours: they are removed "
                  "and the script routes the request."),
        CmdExport("record_route", rr_funcs.w_record_route, 0, None, None,
                  _RR_ROUTES,
                  doc="Insert \"Record-Route: <sip:[user@]ip[:port]"
                  "[;transport=x][;r2=on];lr[;ftag=tag]>\" above all other "
                  "header fields, naming the socket the request arrived on "
                  "(advertised address/port if set; the port is left out "
                  "when it is 5060). With enable_double_rr a second value "
                  "for the outgoing socket is added when the request "
                  "leaves through another interface or protocol. Returns "
                  "1, or -1 on error or when the request was already "
                  "record-routed."),
        CmdExport("record_route", rr_funcs.w_record_route, 1, fixup_format,
                  None, _RR_ROUTES,
                  doc="As record_route(), with params (\";name=value\", "
                  "pseudo-variables allowed) appended to the URI after "
                  "the ftag parameter.",
                  params_doc=("params",)),
        CmdExport("record_route_preset", rr_funcs.w_record_route_preset, 1,
                  fixup_format, None, _RR_ROUTES,
                  doc="Insert \"Record-Route: <sip:[user@]string"
                  "[;ftag=tag];lr>\" with the given address part (e.g. "
                  "\"1.2.3.4:5090\", pseudo-variables allowed): no socket "
                  "address, no double Record-Route; add_rr_param() does "
                  "not apply to it. Returns 1 / -1.",
                  params_doc=("string",)),
        CmdExport("add_rr_param", rr_funcs.w_add_rr_param, 1, fixup_format,
                  None, _RR_ROUTES,
                  doc="Add a parameter (\";name=value\", pseudo-variables "
                  "allowed) to the Record-Route URI; may be called before "
                  "or after record_route(). Returns 1 / -1.",
                  params_doc=("param",)),
        CmdExport("check_route_param", loose.w_check_route_param, 1,
                  loose.fixup_check_route_param, None, REQUEST_ROUTE,
                  doc="After loose_route(): 1 if the URI parameters of our "
                  "Route value (with their leading ';') match the POSIX "
                  "extended regular expression (case-insensitive), else "
                  "-1.",
                  params_doc=("re",)),
        CmdExport("is_direction", loose.w_is_direction, 1,
                  loose.fixup_direction, None, REQUEST_ROUTE,
                  doc="After loose_route(): 1 if the request flows in the "
                  "given direction, \"downstream\" (caller to callee, the "
                  "From tag equals the ftag of our Route) or \"upstream\", "
                  "else -1. Requires append_fromtag.",
                  params_doc=("dir",)),
        CmdExport("load_rr", api.load_rr, 0, None, None, 0,
                  doc="Internal: return the rr API."),
    ),
    params=(
        ParamExport("enable_full_lr", INT_PARAM, rr_funcs.cfg,
                    doc="If set to 1, write \";lr=on\" instead of \";lr\" "
                    "(for user agents that drop a parameter without "
                    "value)."),
        ParamExport("append_fromtag", INT_PARAM, rr_funcs.cfg,
                    doc="If set, append the From tag of the request "
                    "(\";ftag=\") to the Record-Route URI; is_direction() "
                    "needs it."),
        ParamExport("enable_double_rr", INT_PARAM, rr_funcs.cfg,
                    doc="If set, insert two Record-Route values (both "
                    "with \";r2=on\") when the request leaves through "
                    "another socket than it arrived on (other interface, "
                    "port or protocol); loose_route() removes both."),
        ParamExport("add_username", INT_PARAM, rr_funcs.cfg,
                    doc="If set, put the user part of the R-URI in the "
                    "Record-Route URI."),
    ),
    destroy_f=api.destroy_rrcb_lists,
    api=api.API,
)
