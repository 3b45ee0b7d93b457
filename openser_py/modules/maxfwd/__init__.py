"""The maxfwd module: Max-Forwards processing (RFC 3261 §16.6 step 3).

``mf_process_maxfwd_header(N)`` decrements the request's Max-Forwards (the
value is rewritten in place, through a lump), adds ``Max-Forwards: N`` when
the header is missing, and returns false when the value is already 0 -- the
script then usually answers ``483 Too Many Hops``.  ``is_maxfwd_lt(N)``
only tests the value.  Other modules use ``load_module_api("maxfwd")``.
"""
from openser_py.core.exports import (BRANCH_ROUTE, FAILURE_ROUTE, INT_PARAM,
                                     REQUEST_ROUTE, CmdExport, ModuleExports,
                                     ParamExport)
from openser_py.modules.maxfwd import api, mf_funcs

exports = ModuleExports(
    name="maxfwd",
    cmds=(
        CmdExport("mf_process_maxfwd_header", mf_funcs.w_process_maxfwd_header,
                  1, mf_funcs.fixup_maxfwd_header, None, REQUEST_ROUTE,
                  doc="If the request has a Max-Forwards header, decrement "
                  "its value (a value above max_limit is first lowered to "
                  "max_limit + 1) and return 1; if its value is 0, change "
                  "nothing and return -1; if it has none, add "
                  "\"Max-Forwards: max_value\" and return 2; -2 on a "
                  "malformed value. max_value must be 1..256 and not above "
                  "max_limit.",
                  params_doc=("max_value",)),
        CmdExport("is_maxfwd_lt", mf_funcs.w_is_maxfwd_lt, 1,
                  mf_funcs.fixup_maxfwd_header, None,
                  REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE,
                  doc="Test the Max-Forwards value (including a value added "
                  "or decremented by mf_process_maxfwd_header): 1 if it is "
                  "lower than max_value, -1 if not, -2 if there is no "
                  "header, -3 if its value is malformed.",
                  params_doc=("max_value",)),
    ),
    params=(
        ParamExport("max_limit", INT_PARAM, mf_funcs.cfg,
                    doc="Highest Max-Forwards value let through: a larger "
                    "received value is lowered to it when decremented. "
                    "Must be 1..256 (checked at start-up)."),
    ),
    mod_init=mf_funcs.mod_init,
    api=api.API,
)
