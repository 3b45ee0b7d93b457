"""usrloc's MI commands (OpenSER ``ul_mi.c``; reference 9.5).

``ul_dump [brief]``, ``ul_show_contact table AOR``, ``ul_rm table AOR``,
``ul_rm_contact table AOR contact``, ``ul_add table AOR contact expires q
replicate flags cflags methods`` and ``ul_flush``.  Handlers take a
``now`` keyword for tests; they never raise for bad input.
"""
import time

from openser_py.core.dset import QValueError, q2str, str2q
from openser_py.mi.tree import (MI_BAD_PARM, MI_MISSING_PARM, MiRoot,
                                mi_args, mi_error)
from openser_py.modules.usrloc import dlist, ul_mod
from openser_py.modules.usrloc.ucontact import (FL_PERMANENT, STATE_NAMES,
                                                UL_EXPIRED_TIME, UContact,
                                                is_valid)
from openser_py.modules.usrloc.udomain import UlError

__all__ = ["mi_dump", "mi_show_contact", "mi_rm", "mi_rm_contact",
           "mi_add", "mi_flush"]


def _now(now):
    return int(time.time()) if now is None else now


def _missing():
    return mi_error(*MI_MISSING_PARM)


def _domain_and_aor(vals):
    """``(domain, aor, None)`` or ``(None, None, error reply)``."""
    d = dlist.find_domain(vals[0])
    if d is None:
        return None, None, mi_error(404, "Table not found")
    aor = vals[1]
    if ul_mod.cfg.use_domain:
        if "@" not in aor:
            return None, None, mi_error(400, "Domain missing in AOR")
    else:
        aor = aor.partition("@")[0]
    return d, aor.lower() if aor else aor, None


def _expires_text(c, now):
    if c.expires == 0:
        return "permanent"
    if c.expires == UL_EXPIRED_TIME:
        return "deleted"
    if c.expires <= now:
        return "expired"
    return str(c.expires - now)


def mi_dump(args, param=None, now=None):
    """``ul_dump [brief]``: every domain, AOR and contact."""
    vals = mi_args(args)
    if len(vals) > 1 or (vals and vals[0] != "brief"):
        return _missing() if len(vals) > 1 else mi_error(*MI_BAD_PARM)
    brief = bool(vals)
    now = _now(now)
    rpl = MiRoot()
    for d in dlist.domains():
        recs = list(d.records())
        dn = rpl.add_child("Domain", d.name)
        dn.add_attr("table", d.size).add_attr("records", len(recs))
        dn.add_attr("max_slot", d.max_slot())
        for rec in recs:
            an = dn.add_child("AOR", rec.aor)
            if brief:
                continue
            for c in rec.contacts:
                cn = an.add_child("Contact", c.c)
                cn.add_attr("Q", q2str(c.q))
                cn.add_child("Expires", _expires_text(c, now))
                cn.add_child("Callid", c.callid)
                cn.add_child("Cseq", c.cseq)
                if c.user_agent:
                    cn.add_child("User-agent", c.user_agent)
                if c.received:
                    cn.add_child("Received", c.received)
                if c.path:
                    cn.add_child("Path", c.path)
                cn.add_child("State", STATE_NAMES.get(c.state, "CS_UNKNOWN"))
                cn.add_child("Flags", c.flags)
                cn.add_child("Cflags", c.cflags)
                if c.sock:
                    cn.add_child("Socket", c.sock)
                cn.add_child("Methods", c.methods)
    return rpl


def mi_show_contact(args, param=None, now=None):
    """``ul_show_contact table AOR``: one node per valid contact."""
    vals = mi_args(args)
    if len(vals) != 2:
        return _missing()
    d, aor, err = _domain_and_aor(vals)
    if err:
        return err
    try:
        rec = d.get_urecord(aor)
    except UlError:
        return mi_error(500, "Server Internal Error")
    if rec is None:
        return mi_error(404, "AOR not found")
    now = _now(now)
    rpl = MiRoot()
    for c in rec.contacts:
        if not is_valid(c, now):
            continue
        text = ("<%s>;q=%s;expires=%d;flags=0x%X;cflags=0x%X;socket=<%s>;"
                "methods=0x%X" % (c.c, q2str(c.q),
                                  0 if c.expires == 0 else c.expires - now,
                                  c.flags, c.cflags, c.sock or "NULL",
                                  c.methods))
        if c.received:
            text += ";received=<%s>" % c.received
        if c.user_agent:
            text += ";user_agent=<%s>" % c.user_agent
        if c.path:
            text += ";path=<%s>" % c.path
        rpl.add_child("Contact", text)
    if not rpl.kids:
        return mi_error(404, "AOR has no contacts")
    return rpl


def mi_rm(args, param=None):
    """``ul_rm table AOR``: delete the whole record."""
    vals = mi_args(args)
    if len(vals) != 2:
        return _missing()
    d, aor, err = _domain_and_aor(vals)
    if err:
        return err
    try:
        from openser_py.modules.usrloc.api import API
        API.delete_urecord(d, aor)
    except UlError:
        return mi_error(500, "Failed to delete AOR")
    return MiRoot()


def mi_rm_contact(args, param=None):
    """``ul_rm_contact table AOR contact``."""
    vals = mi_args(args)
    if len(vals) != 3:
        return _missing()
    d, aor, err = _domain_and_aor(vals)
    if err:
        return err
    try:
        if d.get_urecord(aor) is None:
            return mi_error(404, "AOR not found")
        from openser_py.modules.usrloc.api import API
        if not API.delete_ucontact(d, aor, vals[2]):
            return mi_error(404, "Contact not found")
    except UlError:
        return mi_error(500, "Server Internal Error")
    return MiRoot()


def _int(text, base=10):
    text = text.strip()
    if text.lower().startswith("0x"):
        return int(text[2:], 16)
    return int(text, base)


def mi_add(args, param=None, now=None):
    """``ul_add table AOR contact expires q replicate flags cflags methods``."""
    vals = mi_args(args)
    if len(vals) != 9:
        return _missing()
    d, aor, err = _domain_and_aor(vals)
    if err:
        return err
    now = _now(now)
    try:
        expires = _int(vals[3])
        q = str2q(vals[4])
        flags = _int(vals[6])
        cflags = _int(vals[7])
        methods = _int(vals[8])
    except (ValueError, QValueError):
        return mi_error(*MI_BAD_PARM)
    if expires < 0 or not vals[2]:
        return mi_error(*MI_BAD_PARM)
    if expires:
        expires += now
    else:
        flags |= FL_PERMANENT
    ci = UContact("", expires, q, "dfjrewr12386fd6-343@openser.mi", 1,
                  flags, cflags, "SIP Router MI Server", "", "", "",
                  methods, now)
    uri = vals[2]
    order = ul_mod.cfg.desc_time_order

    def change(r):
        c = r.find(uri)
        if c is not None and c.expires != UL_EXPIRED_TIME:
            r.update_ucontact(c, ci, order)
        else:
            r.insert_ucontact(uri, ci, order)
    try:
        d.transact(aor, change)
    except UlError:
        return mi_error(500, "Server Internal Error")
    return MiRoot()


def mi_flush(args, param=None, now=None):
    """``ul_flush``: synchronise memory and database now."""
    from openser_py.modules.usrloc import ul_timer
    ul_timer.flush_all(now)
    return MiRoot()
