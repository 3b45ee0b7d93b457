"""xlog -- print formatted log messages from the routing script.

``xlog()`` is a ``printf`` for the script: the format may contain any
pseudo-variable (``$ru``, ``$hdr(Via)``, ``$avp(s:x)``...), expanded for the
current message; a null value prints as ``<null>``.  The result is written
raw (no level or module prefix) with ``LOG()``, so it should end with
``\\n``.  The level is taken from the third letter of its name, as in
OpenSER 1.3 (``L_ALERT L_CRIT L_ERR L_WARN L_NOTICE L_INFO L_DBG``); a bad
name is a configuration error.  Nothing is formatted when the level is
above ``debug``.  With ``-DNO_DEBUG`` ``xdbg()`` and ``xlog("L_DBG", ...)``
are compiled out.

The module exports the ``$C(xy)`` pseudo-variable: the ANSI colour escape
for foreground ``x`` and background ``y``, both from ``x`` (terminal
default), ``s`` (black), ``r`` (red), ``g`` (green), ``y`` (yellow),
``b`` (blue), ``p`` (purple), ``c`` (cyan), ``w`` (white); an upper-case
foreground letter gives the bold/bright colour (``$CRx``).  ``$C(xx)``
resets to the default colours.  The escapes are printed only when logging
to stderr (``log_stderror=yes``) or with ``force_color=1``; otherwise
``$C(..)`` is empty.  Example::

    xlog("L_INFO", "$C(rx)$rm$C(xx) from $si to <$ru>\\n");
"""
from openser_py.core.exports import (ALL_ROUTES, INT_PARAM, CmdExport,
                                     ModuleExports, ParamExport, PvExport)
from openser_py.modules.xlog import xlog_funcs as f

exports = ModuleExports(
    name="xlog",
    cmds=(
        CmdExport("xlog", f.w_xlog1, 1, f.fixup_xlog1, None, ALL_ROUTES,
                  doc="Print the formatted string at level L_ERR.",
                  params_doc=("format",)),
        CmdExport("xlog", f.w_xlog2, 2, f.fixup_xlog2, None, ALL_ROUTES,
                  doc="Print the formatted string at the given level "
                      "(L_ALERT, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO, "
                      "L_DBG; only the third letter matters).",
                  params_doc=("level", "format")),
        CmdExport("xdbg", f.w_xdbg, 1, f.fixup_xdbg, None, ALL_ROUTES,
                  doc="Print the formatted string at level L_DBG "
                      "(compiled out with -DNO_DEBUG).",
                  params_doc=("format",)),
    ),
    params=(
        ParamExport("buf_size", INT_PARAM, f.cfg,
                    doc="Maximum length of a log message; longer output "
                        "is truncated."),
        ParamExport("force_color", INT_PARAM, f.cfg,
                    doc="When 1, $C(xy) prints colour escapes even if "
                        "log_stderror is off."),
    ),
    items=(
        PvExport("C", f.pv_get_color, None, f.parse_color_name,
                 doc="ANSI colour escape: $C(xy), x = foreground, "
                     "y = background."),
    ),
    mod_init=f.mod_init,
)
