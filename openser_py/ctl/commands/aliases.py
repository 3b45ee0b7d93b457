"""Aliases: ``alias`` (usrloc table ``aliases``, over MI) and ``alias_db``
(table ``dbaliases``), as in 1.3's ``openserctl``."""
from openser_py.ctl.commands import dbutil, mictl
from openser_py.ctl.commands.base import (CtlError, UsageError, rows_as_dicts,
                                          table_text)
from openser_py.ctl.commands.ul import contacts_json
from openser_py.mi import fmt


def cmd_alias(ctx, o):
    """``alias show [alias]`` / ``alias add <alias> <uri>`` /
    ``alias rm <alias>``: usrloc records in the ``aliases`` table."""
    table = ctx.table("ALS_TABLE")
    if o.verb == "show":
        if o.alias is None:
            root = mictl.mi_call(ctx, "ul_dump")
            doms = [d for d in root.kids if d.value and
                    d.value.split(" ")[0] == table]
            ctx.emit([mictl.tree_json(d) for d in doms],
                     [ln for d in doms for ln in _lines(d)])
            return
        aor = ctx.aor(o.alias)
        root = mictl.mi_call(ctx, "ul_show_contact", [table, aor])
        ctx.emit({"alias": aor, "contacts": contacts_json(root)},
                 mictl.tree_lines(root))
        return
    if o.alias is None:
        raise UsageError("alias %s needs an alias" % o.verb)
    aor = ctx.aor(o.alias)
    if o.verb == "add":
        if o.uri is None:
            raise UsageError("alias add needs <alias> <uri>")
        user, domain = ctx.split_user(o.alias)
        if ctx.get("DBENGINE") or ctx.get("DB_URL"):
            try:
                if dbutil.exists(ctx, ctx.table("SUB_TABLE"),
                                 ["username", "domain"], [user, domain]):
                    raise CtlError("%s is already a subscriber" % aor)
            except CtlError as exc:
                if "already" in str(exc):
                    raise
                ctx.warn("subscriber overlap not checked: %s" % exc)
        mictl.mi_call(ctx, "ul_add", [table, aor, o.uri, "0", "1.00", "0",
                                      "0", "0", "4294967295"])
        ctx.emit({"ok": True, "alias": aor, "uri": o.uri},
                 "alias %s -> %s added" % (aor, o.uri))
    else:
        mictl.mi_call(ctx, "ul_rm", [table, aor])
        ctx.emit({"ok": True, "alias": aor}, "alias %s removed" % aor)


def _lines(node, depth=0):
    out = [fmt.encode_node(node, depth)]
    for kid in node.kids:
        out.extend(_lines(kid, depth + 1))
    return out


_DA_COLS = ["alias_username", "alias_domain", "username", "domain"]


def cmd_alias_db(ctx, o):
    """``alias_db show <alias>`` / ``list [<sip-id>]`` /
    ``add <alias> <sip-id>`` / ``rm <alias>``."""
    table = ctx.table("DA_TABLE")
    akeys = ["alias_username", "alias_domain"]
    if o.verb == "list":
        keys, vals = [], []
        if o.alias is not None:
            keys, vals = ["username", "domain"], list(ctx.split_user(o.alias))
        cols, rows = dbutil.query(ctx, table, keys, vals, _DA_COLS,
                                  order=_DA_COLS)
        ctx.emit(rows_as_dicts(cols, rows), table_text(cols, rows))
        return
    if o.alias is None:
        raise UsageError("alias_db %s needs an alias" % o.verb)
    ali = list(ctx.split_user(o.alias, "alias"))
    if o.verb == "show":
        cols, rows = dbutil.query(ctx, table, akeys, ali, _DA_COLS)
        if not rows:
            raise CtlError("alias %s@%s not found" % tuple(ali))
        ctx.emit(rows_as_dicts(cols, rows)[0], table_text(cols, rows))
    elif o.verb == "add":
        if o.target is None:
            raise UsageError("alias_db add needs <alias> <sip-id>")
        tgt = list(ctx.split_user(o.target))
        if dbutil.exists(ctx, table, akeys, ali):
            raise CtlError("alias %s@%s already exists" % tuple(ali))
        dbutil.insert(ctx, table, akeys + ["username", "domain"], ali + tgt)
        ctx.emit({"ok": True, "alias": "%s@%s" % tuple(ali),
                  "target": "%s@%s" % tuple(tgt)},
                 "alias %s@%s -> %s@%s added" % tuple(ali + tgt))
    else:
        n = dbutil.delete(ctx, table, akeys, ali)
        if not n:
            raise CtlError("alias %s@%s not found" % tuple(ali))
        ctx.emit({"ok": True, "removed": n},
                 "alias %s@%s removed" % tuple(ali))


def register(sub):
    p = sub.add_parser("alias", help="usrloc aliases (MI, table aliases)")
    p.add_argument("verb", choices=["show", "add", "rm"])
    p.add_argument("alias", nargs="?")
    p.add_argument("uri", nargs="?")
    p.set_defaults(func=cmd_alias, needs="mi")
    for name in ("alias_db", "aliasdb"):
        p = sub.add_parser(name, help="database aliases (table dbaliases)")
        p.add_argument("verb", choices=["show", "list", "add", "rm"])
        p.add_argument("alias", nargs="?")
        p.add_argument("target", nargs="?")
        p.set_defaults(func=cmd_alias_db, needs="db")
