"""Provisioning tables: ``acl`` (grp), ``domain``, ``dispatcher``,
``trusted``, ``address``; their ``reload``/``dump`` verbs go over MI."""
import datetime
import ipaddress

from openser_py.ctl.commands import dbutil, mictl
from openser_py.ctl.commands.base import (CtlError, UsageError, rows_as_dicts,
                                          table_text)


def _now():
    return datetime.datetime.now().replace(microsecond=0)


def _show(ctx, table, cols, keys=(), vals=(), order=None):
    cols, rows = dbutil.query(ctx, table, keys, vals, cols,
                              order=order or cols[0])
    ctx.emit(rows_as_dicts(cols, rows), table_text(cols, rows))


def _mi_verb(ctx, cmd):
    root = mictl.mi_call(ctx, cmd)
    ctx.emit(mictl.root_json(root),
             mictl.tree_lines(root) or ["%d %s" % (root.code, root.reason)])


def _need(value, what):
    if value is None:
        raise UsageError("missing %s" % what)
    return value


# -- acl ---------------------------------------------------------------------------
def cmd_acl(ctx, o):
    table = ctx.table("ACL_TABLE")
    cols = ["username", "domain", "grp", "last_modified"]
    if o.verb == "show":
        keys, vals = [], []
        if o.user:
            keys, vals = ["username", "domain"], list(ctx.split_user(o.user))
        _show(ctx, table, cols, keys, vals, ["username", "domain", "grp"])
        return
    user, domain = ctx.split_user(_need(o.user, "<user>"))
    if o.verb == "grant":
        group = _need(o.group, "<group>")
        allowed = ctx.get("ACL_GROUPS").split()
        if ctx.get_bool("VERIFY_ACL") and group not in allowed:
            raise UsageError("group %r is not in ACL_GROUPS (%s)"
                             % (group, " ".join(allowed)),
                             hint="set VERIFY_ACL=0 or extend ACL_GROUPS")
        if not dbutil.exists(ctx, ctx.table("SUB_TABLE"),
                             ["username", "domain"], [user, domain]):
            raise CtlError("non-existent user %s@%s" % (user, domain))
        if dbutil.exists(ctx, table, ["username", "domain", "grp"],
                         [user, domain, group]):
            raise CtlError("%s@%s is already in group %s"
                           % (user, domain, group))
        dbutil.insert(ctx, table, cols, [user, domain, group, _now()])
        ctx.emit({"ok": True, "user": "%s@%s" % (user, domain),
                  "grp": group}, "%s@%s granted %s" % (user, domain, group))
        return
    keys, vals = ["username", "domain"], [user, domain]
    if o.group:
        keys.append("grp")
        vals.append(o.group)
    n = dbutil.delete(ctx, table, keys, vals)
    ctx.emit({"ok": True, "revoked": n}, "%d group(s) revoked" % n)


# -- domain ------------------------------------------------------------------------
def cmd_domain(ctx, o):
    table = ctx.table("DOMAIN_TABLE")
    if o.verb == "show":
        return _mi_verb(ctx, "domain_dump")
    if o.verb == "reload":
        return _mi_verb(ctx, "domain_reload")
    if o.verb == "showdb":
        return _show(ctx, table, ["domain", "last_modified"])
    dom = _need(o.domain, "<domain>").lower()
    if o.verb == "add":
        if dbutil.exists(ctx, table, ["domain"], [dom]):
            raise CtlError("domain %s already exists" % dom)
        dbutil.insert(ctx, table, ["domain", "last_modified"], [dom, _now()])
        msg = "domain %s added; run 'openserctl domain reload'" % dom
    else:
        if not dbutil.delete(ctx, table, ["domain"], [dom]):
            raise CtlError("domain %s not found" % dom)
        msg = "domain %s removed; run 'openserctl domain reload'" % dom
    ctx.emit({"ok": True, "domain": dom}, msg)


# -- dispatcher ---------------------------------------------------------------------
def cmd_dispatcher(ctx, o):
    table = ctx.table("DISPATCHER_TABLE")
    cols = ["id", "setid", "destination", "description"]
    if o.verb == "show":
        return _show(ctx, table, cols, order=["setid", "id"])
    if o.verb == "dump":
        return _mi_verb(ctx, "ds_list")
    if o.verb == "reload":
        return _mi_verb(ctx, "ds_reload")
    if o.verb == "addgw":
        setid, dest = _need(o.a, "<setid>"), _need(o.b, "<destination>")
        try:
            setid = int(setid)
        except ValueError:
            raise UsageError("setid must be a number") from None
        if not dest.lower().startswith(("sip:", "sips:")):
            raise UsageError("destination must be a SIP URI (sip:host:port)")
        dbutil.insert(ctx, table, cols[1:], [setid, dest, o.c or ""])
        ctx.emit({"ok": True, "setid": setid, "destination": dest},
                 "gateway %s added to set %d" % (dest, setid))
        return
    try:
        gid = int(_need(o.a, "<id>"))
    except ValueError:
        raise UsageError("id must be a number") from None
    if not dbutil.delete(ctx, table, ["id"], [gid]):
        raise CtlError("no dispatcher row with id %d" % gid)
    ctx.emit({"ok": True, "id": gid}, "gateway id %d removed" % gid)


# -- trusted / address (permissions) ----------------------------------------------
_PROTOS = ("any", "udp", "tcp", "tls", "sctp", "none")


def _ip(text, what="IP address"):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise UsageError("%r is not a valid %s" % (text, what)) from None


def cmd_trusted(ctx, o):
    table = ctx.table("TRUSTED_TABLE")
    cols = ["src_ip", "proto", "from_pattern", "tag"]
    if o.verb in ("show", "list"):
        return _show(ctx, table, cols)
    if o.verb == "dump":
        return _mi_verb(ctx, "trusted_dump")
    if o.verb == "reload":
        return _mi_verb(ctx, "trusted_reload")
    src = _ip(_need(o.a, "<src_ip>"))
    if o.verb == "add":
        proto = _need(o.b, "<proto>").lower()
        if proto not in _PROTOS:
            raise UsageError("proto must be one of %s" % " ".join(_PROTOS))
        dbutil.insert(ctx, table, cols, [src, proto, o.c, o.d])
        ctx.emit({"ok": True, "src_ip": src, "proto": proto},
                 "trusted %s/%s added" % (src, proto))
        return
    n = dbutil.delete(ctx, table, ["src_ip"], [src])
    if not n:
        raise CtlError("no trusted row for %s" % src)
    ctx.emit({"ok": True, "removed": n}, "%d trusted row(s) removed" % n)


def cmd_address(ctx, o):
    table = ctx.table("ADDRESS_TABLE")
    cols = ["grp", "ip_addr", "mask", "port"]
    if o.verb in ("show", "list"):
        return _show(ctx, table, cols, order=["grp", "ip_addr"])
    if o.verb == "dump":
        return _mi_verb(ctx, "address_dump")
    if o.verb == "reload":
        return _mi_verb(ctx, "address_reload")
    try:
        grp = int(_need(o.a, "<grp>"))
        ip = _ip(_need(o.b, "<ip_addr>"))
        if o.verb == "rm":
            n = dbutil.delete(ctx, table, ["grp", "ip_addr"], [grp, ip])
            if not n:
                raise CtlError("no address row %d %s" % (grp, ip))
            ctx.emit({"ok": True, "removed": n},
                     "%d address row(s) removed" % n)
            return
        mask = int(o.c) if o.c is not None else 32
        port = int(o.d) if o.d is not None else 0
    except ValueError:
        raise UsageError("grp, mask and port must be numbers") from None
    if not 0 <= mask <= 128 or not 0 <= port <= 65535:
        raise UsageError("mask 0..32 (128 for IPv6), port 0..65535")
    dbutil.insert(ctx, table, cols, [grp, ip, mask, port])
    ctx.emit({"ok": True, "grp": grp, "ip_addr": ip, "mask": mask,
              "port": port}, "address %s/%d:%d added to group %d"
             % (ip, mask, port, grp))


def register(sub):
    p = sub.add_parser("acl", help="access control lists (table grp)")
    p.add_argument("verb", choices=["show", "grant", "revoke"])
    p.add_argument("user", nargs="?")
    p.add_argument("group", nargs="?")
    p.set_defaults(func=cmd_acl, needs="db")
    p = sub.add_parser("domain", help="local domains (table domain)")
    p.add_argument("verb", choices=["show", "showdb", "add", "rm", "reload"])
    p.add_argument("domain", nargs="?")
    p.set_defaults(func=cmd_domain, needs="db")
    for name, func, verbs in (
            ("dispatcher", cmd_dispatcher,
             ["show", "dump", "reload", "addgw", "rmgw"]),
            ("trusted", cmd_trusted,
             ["show", "list", "dump", "reload", "add", "rm"]),
            ("address", cmd_address,
             ["show", "list", "dump", "reload", "add", "rm"])):
        p = sub.add_parser(name, help="table %s" % name)
        p.add_argument("verb", choices=verbs)
        for arg in "abcd":
            p.add_argument(arg, nargs="?", metavar="arg")
        p.set_defaults(func=func, needs="db")
