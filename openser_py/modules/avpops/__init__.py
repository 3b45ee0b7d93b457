"""avpops -- AVP operations from the routing script (OpenSER 1.3 subset).

Functions to delete, copy, check and compute AVPs, to push AVP or
pseudo-variable values into the message (R-URI, its user or host part,
destination URI, new branch), to run sed-like substitutions on AVP values,
and a debug dump of the AVP list.  AVPs are named ``$avp(i:12)``,
``$avp(s:name)``, ``$avp(i3:12)`` (script flags), ``$avp(alias)`` or
``$avp($var(n))`` (name taken from a PV at run time); ``avp_delete`` also
takes ``a`` / ``i`` / ``s`` (any / integer-named / string-named AVPs)
followed by optional script flags.  Every function returns true (1) when
it did something and false (-1) otherwise.

Not built yet: the database functions ``avp_db_load``, ``avp_db_store``,
``avp_db_delete`` and ``avp_db_query`` need the database layer, which comes
later.  They are exported so that a config using them gets a clear error
at start-up ("needs the database layer, not built yet") instead of
"unknown command"; the DB parameters are accepted (and ``db_scheme`` is
checked) so that 1.3 configs load.  ``avp_printf`` is the core's
``pv_printf``; ``avp_write`` was removed in 1.3 (use ``$avp(x) = ...``).
"""
from openser_py.core.exports import (BRANCH_ROUTE, FAILURE_ROUTE, INT_PARAM,
                                     ONREPLY_ROUTE, REQUEST_ROUTE, STR_PARAM,
                                     USE_FUNC_PARAM, CmdExport, ModuleExports,
                                     ParamExport)
from openser_py.modules.avpops import avpops_fixups as x
from openser_py.modules.avpops import avpops_funcs as f

RT = REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE | ONREPLY_ROUTE
_DB_DOC = ("Not available yet: needs the database layer (a config using it "
           "is rejected at start-up).")


def _cmd(name, fn, nargs, fixup, doc, params_doc):
    return CmdExport(name, fn, nargs, fixup, None, RT, doc=doc,
                     params_doc=params_doc)


def _str(name, doc):
    return ParamExport(name, STR_PARAM, x.cfg, doc=doc)


exports = ModuleExports(
    name="avpops",
    cmds=(
        _cmd("avp_delete", f.w_delete_avps, 1, x.fixup_delete,
             "Delete the newest value of the AVP ($avp(name)), or with /g "
             "all its values; 'a', 'i', 's' plus optional script flags "
             "delete every AVP of that name type.", ("name",)),
        _cmd("avp_copy", f.w_copy_avps, 2, x.fixup_copy,
             "Copy the newest (flag g: every) value of old_name under "
             "new_name; flags after '/': g all, d delete the source (move), "
             "n cast to integer, s cast to string.",
             ("old_name", "new_name")),
        _cmd("avp_pushto", f.w_pushto_avps, 2, x.fixup_pushto,
             "Write the value of an AVP or pseudo-variable into $ru (or "
             "$ru/username, $ru/domain), $du, or $br (new branch); /g "
             "pushes every AVP value (extra R-URI values become branches).",
             ("destination", "name")),
        _cmd("avp_check", f.w_check_avps, 2, x.fixup_check,
             "Check a PV/AVP against op/value[/flags]: ops eq ne lt le gt ge "
             "re fm and or xor; value i:N, s:text, text or a PV; flags g (all "
             "AVP values) and i (case-insensitive eq/ne).",
             ("name", "op_value")),
        _cmd("avp_op", f.w_op_avps, 2, x.fixup_op,
             "Integer operation src[/dst] op value: add sub mul div mod and "
             "or xor not; value i:N or a PV; flags g (every value), d "
             "(delete the source).", ("name", "op_value")),
        _cmd("avp_subst", f.w_subst, 2, x.fixup_subst,
             "Apply /regexp/replacement/flags to string AVP(s) "
             "src[/dst][/flags] (g every value, d delete the source); "
             "without dst the source is replaced.", ("avps", "subst")),
        _cmd("is_avp_set", f.w_is_avp_set, 1, x.fixup_is_avp_set,
             "True if the AVP exists; flags e (empty value), s (string), "
             "n (number).", ("name",)),
        _cmd("avp_print", f.w_print_avps, 0, None,
             "Log every AVP of the current list at L_INFO (debug helper).",
             ()),
        _cmd("avp_db_load", f.w_db_unavailable, 2,
             x.db_fixup("avp_db_load"), _DB_DOC, ("source", "name")),
        _cmd("avp_db_store", f.w_db_unavailable, 2,
             x.db_fixup("avp_db_store"), _DB_DOC, ("source", "name")),
        _cmd("avp_db_delete", f.w_db_unavailable, 2,
             x.db_fixup("avp_db_delete"), _DB_DOC, ("source", "name")),
        _cmd("avp_db_query", f.w_db_unavailable, 1,
             x.db_fixup("avp_db_query"), _DB_DOC, ("query",)),
        _cmd("avp_db_query", f.w_db_unavailable, 2,
             x.db_fixup("avp_db_query"), _DB_DOC, ("query", "dest")),
    ),
    params=(
        _str("db_url", "Database URL for the avp_db_* functions."),
        ParamExport("avp_url", STR_PARAM | USE_FUNC_PARAM, x.set_avp_url,
                    doc="Same as db_url."),
        _str("avp_table", "Table of the AVPs (required with db_url)."),
        ParamExport("use_domain", INT_PARAM, x.cfg,
                    doc="Use the domain part of the URI when identifying "
                        "AVPs in the database."),
        _str("uuid_column", "Column of the unique user id."),
        _str("username_column", "Column of the user name."),
        _str("domain_column", "Column of the domain."),
        _str("attribute_column", "Column of the AVP name."),
        _str("value_column", "Column of the AVP value."),
        _str("type_column", "Column of the AVP type."),
        ParamExport("db_scheme", STR_PARAM | USE_FUNC_PARAM, x.add_db_scheme,
                    doc="A custom DB scheme, name:element[;element]* with "
                        "elements uuid_col=, username_col=, domain_col=, "
                        "value_col=, value_type=integer|string, table=."),
    ),
    mod_init=x.mod_init,
)
