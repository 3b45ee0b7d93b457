"""``avp list|add|rm``: user preferences (table ``usr_preferences``), with
1.3's options ``-T table -u <sip-id|uuid> -a attribute -v value -t type``.

An id containing ``@`` (or starting with ``sip:``) is a SIP id matched on
``username``/``domain``; anything else is a ``uuid``.
"""
import datetime

from openser_py.ctl.commands import dbutil
from openser_py.ctl.commands.base import (CtlError, UsageError, rows_as_dicts,
                                          table_text)

_COLS = ["uuid", "username", "domain", "attribute", "type", "value",
         "last_modified"]


def _id_filter(ctx, ident):
    if "@" in ident or ident.lower().startswith("sip:"):
        user, domain = ctx.split_user(ident)
        return ["username", "domain"], [user, domain]
    return ["uuid"], [ident]


def _filters(ctx, o):
    keys, vals = [], []
    if o.uid:
        k, v = _id_filter(ctx, o.uid)
        keys += k
        vals += v
    for key, value in (("attribute", o.attr), ("value", o.value)):
        if value is not None:
            keys.append(key)
            vals.append(value)
    if o.type is not None:
        keys.append("type")
        vals.append(_type(o.type))
    return keys, vals


def _type(text):
    try:
        t = int(text)
    except ValueError:
        raise UsageError("type must be 0 (string) or 1 (integer)") from None
    if t not in (0, 1):
        raise UsageError("type must be 0 (string) or 1 (integer)")
    return t


def cmd_avp(ctx, o):
    table = o.table or ctx.table("AVP_TABLE")
    if o.verb == "list":
        keys, vals = _filters(ctx, o)
        cols, rows = dbutil.query(ctx, table, keys, vals, _COLS,
                                  order=["uuid", "username", "attribute"])
        ctx.emit(rows_as_dicts(cols, rows), table_text(cols, rows))
    elif o.verb == "add":
        if len(o.args) != 4:
            raise UsageError("avp add [-T table] <sip-id|uuid> <attribute> "
                             "<type> <value>")
        ident, attr, typ, value = o.args
        typ = _type(typ)
        if typ == 1:
            try:
                int(value)
            except ValueError:
                raise UsageError("type 1 needs an integer value") from None
        keys, vals = _id_filter(ctx, ident)
        if keys == ["uuid"]:
            row = [ident, "0", ""]
        else:
            row = ["", vals[0], vals[1]]
        dbutil.insert(ctx, table, _COLS, row + [attr, typ, value,
                                                datetime.datetime.now()
                                                .replace(microsecond=0)])
        ctx.emit({"ok": True, "id": ident, "attribute": attr, "type": typ,
                  "value": value}, "avp %s=%s added for %s"
                 % (attr, value, ident))
    else:
        keys, vals = _filters(ctx, o)
        if not keys:
            raise UsageError("avp rm needs at least one of -u -a -v -t "
                             "(refusing to delete every row)")
        n = dbutil.delete(ctx, table, keys, vals)
        if not n:
            raise CtlError("no matching avp")
        ctx.emit({"ok": True, "removed": n}, "%d avp(s) removed" % n)


def register(sub):
    p = sub.add_parser("avp", help="user preferences (usr_preferences)")
    p.add_argument("verb", choices=["list", "add", "rm"])
    p.add_argument("-T", dest="table")
    p.add_argument("-u", dest="uid")
    p.add_argument("-a", dest="attr")
    p.add_argument("-v", dest="value")
    p.add_argument("-t", dest="type")
    p.add_argument("args", nargs="*")
    p.set_defaults(func=cmd_avp, needs="db")
