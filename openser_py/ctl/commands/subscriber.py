"""Subscribers: ``add``, ``passwd``, ``rm``, ``rpid`` (table ``subscriber``).

Credentials as 1.3's ``openserctl`` computes them (RFC 2617 section 3.2.2.2,
A1 = ``username ":" realm ":" password``), the realm being the user's
domain (``SIP_DOMAIN`` when the name has no ``@domain``)::

    ha1  = MD5(user ":" domain ":" password)
    ha1b = MD5(user "@" domain ":" domain ":" password)
"""
import datetime
import hashlib

from openser_py.ctl.commands import dbutil, mictl
from openser_py.ctl.commands.base import (CtlError, Unreachable, UsageError,
                                          rows_as_dicts, table_text)


def credentials(user, domain, password):
    """``(ha1, ha1b)`` for *user*@*domain* with realm *domain*."""
    def md5(text):
        return hashlib.md5(text.encode("utf-8")).hexdigest()
    return (md5("%s:%s:%s" % (user, domain, password)),
            md5("%s@%s:%s:%s" % (user, domain, domain, password)))


def _is_user(ctx, user, domain):
    return dbutil.exists(ctx, ctx.table("SUB_TABLE"), ["username", "domain"],
                         [user, domain])


def _is_alias(ctx, user, domain):
    """Is user@domain an alias?  dbaliases (ALIASES_TYPE=DB) or usrloc
    aliases (ALIASES_TYPE=UL, asked over MI)."""
    kind = ctx.get("ALIASES_TYPE").upper()
    if kind == "DB":
        return dbutil.exists(ctx, ctx.table("DA_TABLE"),
                             ["alias_username", "alias_domain"],
                             [user, domain])
    if kind == "UL":
        try:
            root = mictl.mi_call(ctx, "ul_show_contact",
                                 [ctx.table("ALS_TABLE"),
                                  "%s@%s" % (user, domain)], check=False)
        except Unreachable as exc:
            ctx.warn("cannot check usrloc aliases: %s" % exc)
            return False
        return root.code == 200
    return False


def cmd_add(ctx, o):
    user, domain = ctx.split_user(o.user)
    if _is_user(ctx, user, domain):
        raise CtlError("user %s@%s already exists" % (user, domain))
    if _is_alias(ctx, user, domain):
        raise CtlError("%s@%s is already an alias" % (user, domain))
    ha1, ha1b = credentials(user, domain, o.password)
    keys = ["username", "domain", "ha1", "ha1b", "email_address",
            "datetime_created"]
    vals = [user, domain, ha1, ha1b, o.email or "",
            datetime.datetime.now().replace(microsecond=0)]
    if ctx.get_bool("STORE_PLAINTEXT_PW"):
        keys.append("password")
        vals.append(o.password)
    dbutil.insert(ctx, ctx.table("SUB_TABLE"), keys, vals)
    ctx.emit({"ok": True, "username": user, "domain": domain, "ha1": ha1,
              "ha1b": ha1b}, "new user '%s@%s' added" % (user, domain))


def cmd_passwd(ctx, o):
    user, domain = ctx.split_user(o.user)
    if not _is_user(ctx, user, domain):
        raise CtlError("non-existent user %s@%s" % (user, domain))
    ha1, ha1b = credentials(user, domain, o.password)
    ukeys, uvals = ["ha1", "ha1b"], [ha1, ha1b]
    if ctx.get_bool("STORE_PLAINTEXT_PW"):
        ukeys.append("password")
        uvals.append(o.password)
    dbutil.update(ctx, ctx.table("SUB_TABLE"), ["username", "domain"],
                  [user, domain], ukeys, uvals)
    ctx.emit({"ok": True, "username": user, "domain": domain, "ha1": ha1,
              "ha1b": ha1b}, "password change succeeded")


def cmd_rm(ctx, o):
    """1.3: revoke ACLs, drop the user's dbaliases, delete the subscriber,
    remove the usrloc record (the last one only when the server is up)."""
    user, domain = ctx.split_user(o.user)
    if not _is_user(ctx, user, domain):
        raise CtlError("non-existent user %s@%s" % (user, domain))
    keys, vals = ["username", "domain"], [user, domain]
    acl = dbutil.delete(ctx, ctx.table("ACL_TABLE"), keys, vals)
    try:
        als = dbutil.delete(ctx, ctx.table("DA_TABLE"), keys, vals)
    except CtlError as exc:
        ctx.warn("dbaliases not cleaned: %s" % exc)
        als = 0
    dbutil.delete(ctx, ctx.table("SUB_TABLE"), keys, vals)
    ul = None
    try:
        root = mictl.mi_call(ctx, "ul_rm", [ctx.table("UL_TABLE"),
                                            "%s@%s" % (user, domain)],
                             check=False)
        ul = "%d %s" % (root.code, root.reason)
    except Unreachable as exc:
        ctx.warn("usrloc record not removed (server unreachable): %s" % exc)
    ctx.emit({"ok": True, "username": user, "domain": domain,
              "acl_revoked": acl, "aliases_removed": als, "ul_rm": ul},
             "user '%s@%s' deleted" % (user, domain))


def cmd_rpid(ctx, o):
    if o.verb in ("add", "rm") and o.user is None:
        raise UsageError("rpid %s needs a user" % o.verb)
    table = ctx.table("SUB_TABLE")
    if o.verb == "show" and o.user is None:
        cols, rows = dbutil.query(ctx, table, cols=["username", "domain",
                                                    "rpid"],
                                  order=["username", "domain"])
        ctx.emit(rows_as_dicts(cols, rows), table_text(cols, rows))
        return
    user, domain = ctx.split_user(o.user)
    if not _is_user(ctx, user, domain):
        raise CtlError("non-existent user %s@%s" % (user, domain))
    keys, vals = ["username", "domain"], [user, domain]
    if o.verb == "add":
        if o.rpid is None:
            raise UsageError("rpid add needs <user> <rpid>")
        dbutil.update(ctx, table, keys, vals, ["rpid"], [o.rpid])
    elif o.verb == "rm":
        dbutil.update(ctx, table, keys, vals, ["rpid"], [None])
    cols, rows = dbutil.query(ctx, table, keys, vals,
                              ["username", "domain", "rpid"])
    ctx.emit(rows_as_dicts(cols, rows)[0], table_text(cols, rows))


def register(sub):
    p = sub.add_parser("add", help="add a subscriber")
    p.add_argument("user")
    p.add_argument("password")
    p.add_argument("email", nargs="?")
    p.set_defaults(func=cmd_add, needs="db")
    p = sub.add_parser("passwd", help="change a subscriber's password")
    p.add_argument("user")
    p.add_argument("password")
    p.set_defaults(func=cmd_passwd, needs="db")
    p = sub.add_parser("rm", help="delete a subscriber")
    p.add_argument("user")
    p.set_defaults(func=cmd_rm, needs="db")
    p = sub.add_parser("rpid", help="show/add/rm subscriber.rpid")
    p.add_argument("verb", choices=["show", "add", "rm"])
    p.add_argument("user", nargs="?")
    p.add_argument("rpid", nargs="?")
    p.set_defaults(func=cmd_rpid, needs="db")
