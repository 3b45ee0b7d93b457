"""The pike module: flood detection per source IP address.

``pike_check_req()`` counts the request against its source address in a
table shared by all workers and returns false once the address sends
``reqs_density_per_unit`` requests or more per ``sampling_time_unit``
seconds; the script then drops the request.  Addresses not seen for
``remove_latency`` seconds are forgotten.  MI ``pike_list`` shows the
blocked addresses.
"""
from openser_py.core.exports import (INT_PARAM, REQUEST_ROUTE, CmdExport,
                                     MiExport, ModuleExports, ParamExport)
from openser_py.mi.tree import MI_NO_INPUT_FLAG
from openser_py.modules.pike import pike_mod as M

_cfg = M.cfg

exports = ModuleExports(
    name="pike",
    cmds=(
        CmdExport("pike_check_req", M.pike_check_req, 0, None, None,
                  REQUEST_ROUTE,
                  doc="False (-1) if the source IP of the request exceeded "
                  "the allowed rate; true otherwise (and on internal "
                  "errors)."),
    ),
    params=(
        ParamExport("sampling_time_unit", INT_PARAM, _cfg,
                    doc="Length in seconds of the sampling window."),
        ParamExport("reqs_density_per_unit", INT_PARAM, _cfg,
                    doc="Requests per sampling window from one address at "
                    "which the address is blocked."),
        ParamExport("remove_latency", INT_PARAM, _cfg,
                    doc="Seconds an address is remembered after its last "
                    "request."),
    ),
    mi_cmds=(
        MiExport("pike_list", M.mi_pike_list, MI_NO_INPUT_FLAG,
                 doc="List the blocked addresses, one unnamed node each."),
    ),
    mod_init=M.mod_init,
    destroy_f=M.destroy,
)
