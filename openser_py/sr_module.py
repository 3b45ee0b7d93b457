"""``sr_module.h`` for module authors: the exports types and constants.

::

    from openser_py.sr_module import (ModuleExports, CmdExport, ParamExport,
        REQUEST_ROUTE, FAILURE_ROUTE, STR_PARAM, INT_PARAM)
"""
from openser_py.core.exports import *  # noqa: F401,F403
from openser_py.core.exports import (  # noqa: F401
    ALL_ROUTES, BRANCH_ROUTE, CmdExport, DEFAULT_DLFLAGS, ERROR_ROUTE,
    FAILURE_ROUTE, FixupError, INT_PARAM, MiExport, ModuleExports,
    ONREPLY_ROUTE, ParamExport, ProcExport, PvExport, REQUEST_ROUTE,
    STR_PARAM, StatExport, USE_FUNC_PARAM, param_type)
from openser_py.core.sr_module import load_module_api  # noqa: F401
