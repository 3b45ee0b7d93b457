"""Registrations: ``ul show|rm|add``, ``online`` (MI, usrloc) and
``showdb`` (the ``location`` table)."""
from openser_py.ctl.commands import dbutil, mictl
from openser_py.ctl.commands.base import (UsageError, rows_as_dicts,
                                          table_text)


def contacts_json(root):
    """``ul_show_contact`` reply -> ``[{"uri":..., "q":..., ...}]``."""
    out = []
    for node in root.kids:
        if node.name != "Contact" or not node.value:
            continue
        text = node.value
        entry = {}
        if text.startswith("<") and ">" in text:
            end = text.index(">")
            entry["uri"], rest = text[1:end], text[end + 1:]
        else:
            entry["uri"], _, rest = text.partition(";")
            rest = ";" + rest
        for part in rest.split(";"):
            if part:
                k, _, v = part.partition("=")
                entry[k] = v
        out.append(entry)
    return out


def dump_json(root):
    """``ul_dump`` reply -> ``{table: {aor: [contact dicts]}}``."""
    out = {}
    for dom in root.kids:
        table = (dom.value or "").split(" ")[0]
        aors = out.setdefault(table, {})
        for aor in dom.kids:
            contacts = []
            for c in aor.kids:
                attrs = mictl.split_attrs(" ".join(
                    p for p in (c.value or "").split(" ") if "=" in p))
                entry = {"uri": (c.value or "").split(" ")[0]}
                entry.update({k.lower(): v for k, v in attrs.items()})
                for kid in c.kids:
                    entry[kid.name.lower()] = kid.value
                contacts.append(entry)
            aors[aor.value] = contacts
    return out


def cmd_ul(ctx, o):
    table = ctx.table("UL_TABLE")
    if o.verb == "show":
        if o.brief or o.aor is None:
            root = mictl.mi_call(ctx, "ul_dump", ["brief"] if o.brief else [])
            ctx.emit(dump_json(root), mictl.tree_lines(root))
            return
        aor = ctx.aor(o.aor)
        root = mictl.mi_call(ctx, "ul_show_contact", [table, aor])
        ctx.emit({"aor": aor, "contacts": contacts_json(root)},
                 mictl.tree_lines(root))
        return
    if o.aor is None:
        raise UsageError("ul %s needs an AOR" % o.verb)
    aor = ctx.aor(o.aor)
    if o.verb == "rm":
        if o.contact:
            mictl.mi_call(ctx, "ul_rm_contact", [table, aor, o.contact])
        else:
            mictl.mi_call(ctx, "ul_rm", [table, aor])
        ctx.emit({"ok": True, "aor": aor, "contact": o.contact},
                 "%s removed" % (o.contact or aor))
        return
    if not o.contact:
        raise UsageError("ul add needs <AOR> <contact> [<expires>]")
    expires = o.expires if o.expires is not None else "0"
    try:
        if int(expires) < 0:
            raise ValueError
    except ValueError:
        raise UsageError("expires must be a number of seconds >= 0 "
                         "(0 = permanent)") from None
    mictl.mi_call(ctx, "ul_add", [table, aor, o.contact, expires, "1.00",
                                  "0", "0", "0", "4294967295"])
    ctx.emit({"ok": True, "aor": aor, "contact": o.contact,
              "expires": int(expires)},
             "%s -> %s added (%s)" % (aor, o.contact, "permanent"
                                      if expires == "0" else
                                      "expires in %s s" % expires))


def cmd_online(ctx, o):
    """Distinct AORs registered (MI ``ul_dump brief``)."""
    root = mictl.mi_call(ctx, "ul_dump", ["brief"])
    aors = sorted({a.value for d in root.kids for a in d.kids
                   if a.name == "AOR" and a.value})
    ctx.emit(aors, aors)


_LOC_COLS = ["username", "domain", "contact", "expires", "q", "callid",
             "cseq", "user_agent"]


def cmd_showdb(ctx, o):
    """Registrations stored in the ``location`` table."""
    keys, vals = [], []
    if o.user:
        user, domain = ctx.split_user(o.user)
        keys, vals = ["username"], [user]
        if "@" in o.user:
            keys.append("domain")
            vals.append(domain)
    cols, rows = dbutil.query(ctx, ctx.table("UL_TABLE"), keys, vals,
                              _LOC_COLS, order=["username", "domain"])
    ctx.emit(rows_as_dicts(cols, rows), table_text(cols, rows))


def register(sub):
    for name in ("ul", "usrloc"):
        p = sub.add_parser(name, help="user location (MI usrloc commands)")
        p.add_argument("verb", choices=["show", "rm", "add"])
        p.add_argument("--brief", action="store_true")
        p.add_argument("aor", nargs="?")
        p.add_argument("contact", nargs="?")
        p.add_argument("expires", nargs="?")
        p.set_defaults(func=cmd_ul, needs="mi")
    p = sub.add_parser("online", help="AORs registered now")
    p.set_defaults(func=cmd_online, needs="mi")
    for name in ("showdb", "userdb"):
        p = sub.add_parser(name, help="registrations in the location table")
        p.add_argument("user", nargs="?")
        p.set_defaults(func=cmd_showdb, needs="db")
