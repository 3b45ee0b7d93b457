"""analog -- the example module of the "writing a module" tutorial.

``printa(text, level)`` logs *text* (pseudo-variables allowed) at *level*,
prefixed by the next word of the ``wordlist`` parameter.  The rotation over
the words is shared by every worker through one shm counter; each process
formats into its own pkg buffer of ``buffer_size`` bytes.

Load it with::

    mpath="/path/to/examples/modules/"
    loadmodule "analog.so"
    modparam("analog", "wordlist", "alpha,beta,gamma")
    modparam("analog", "buffer_size", 256)
    route { printa("call from $fu", "L_INFO"); }
"""
from openser_py.sr_module import (BRANCH_ROUTE, ERROR_ROUTE, FAILURE_ROUTE,
                                  INT_PARAM, ONREPLY_ROUTE, REQUEST_ROUTE,
                                  STR_PARAM, CmdExport, ModuleExports,
                                  ParamExport, StatExport)

from . import analog_funcs as funcs

exports = ModuleExports(
    name="analog",
    cmds=(
        CmdExport("printa", funcs.w_printa, 2, funcs.fixup_printa, None,
                  REQUEST_ROUTE | FAILURE_ROUTE | ONREPLY_ROUTE
                  | BRANCH_ROUTE | ERROR_ROUTE,
                  doc="Log the text (pseudo-variables allowed) at the given "
                      "level (L_ALERT..L_DBG), prefixed by the next word of "
                      "wordlist. Returns 1.",
                  params_doc=("text", "level")),
    ),
    params=(
        ParamExport("wordlist", STR_PARAM, funcs.cfg,
                    doc="Comma-separated words used in turn as prefixes."),
        ParamExport("buffer_size", INT_PARAM, funcs.cfg,
                    doc="Size in bytes of each process's output buffer; "
                        "longer output is truncated."),
    ),
    stats=(StatExport("printed", doc="Lines printed by printa()."),),
    mod_init=funcs.mod_init,
    destroy_f=funcs.mod_destroy,
    child_init=funcs.child_init,
)
