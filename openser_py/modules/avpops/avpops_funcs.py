"""avpops: run-time of the AVP functions (1.3 ``avpops_impl.c``).

The parameters arrive parsed by :mod:`avpops_fixups`.  Every function
works on the current AVP list
(:func:`openser_py.core.usr_avp.get_avp_list`) and returns 1 on success,
-1 otherwise (no AVP found, wrong value type, failed check...).  Values are
walked newest first, as OpenSER's list; new AVPs go on top.
"""
import fnmatch

from openser_py.core import dset, usr_avp
from openser_py.core.dprint import LM_CRIT, LM_DBG, LM_ERR, LM_INFO
from openser_py.core.pvar import PvError, pv_int
from openser_py.modules.avpops import avpops_parse as ap


# -- helpers ------------------------------------------------------------------

def _avps(lst, name, flags):
    """Every AVP called *name* (with one of *flags*, if any), newest first."""
    is_str = isinstance(name, str)
    want = name.lower() if is_str else name
    out = []
    for avp in lst.items():
        if avp.is_str_name != is_str:
            continue
        if (avp.name.lower() if is_str else avp.name) != want:
            continue
        if flags and not avp.flags & flags:
            continue
        out.append(avp)
    return out


def _avps_of(ref, msg):
    """``(name, flags, [Avp])`` for an AvpRef, or None if no name."""
    resolved = ref.resolve(msg)
    if resolved is None:
        LM_ERR("cannot get the AVP name of %s", ref.text)
        return None
    name, flags = resolved
    return name, flags, _avps(usr_avp.get_avp_list(), name, flags)


def _pv_value(spec, msg):
    """A PV's value as avpops sees it: int, str, or None."""
    val = spec.get(msg)
    if val is None or val.__class__ is int:
        return val
    return str(val)


# -- avp_delete ---------------------------------------------------------------

def ops_delete_avp(msg, param):
    """Delete the newest (or every, ``/g``) matching AVP."""
    lst = usr_avp.get_avp_list()
    target = param.target
    if isinstance(target, ap.AvpRef):
        resolved = target.resolve(msg)
        if resolved is None:
            LM_ERR("failed to get the AVP name of %s", target.text)
            return -1
        n = lst.delete(resolved[0], param.all, resolved[1])
    else:
        n = 0
        for avp in lst.items():
            if target.matches(avp):
                lst.remove(avp)
                n += 1
                if not param.all:
                    break
    LM_DBG("%d avps were removed", n)
    return 1 if n else -1


# -- avp_copy -----------------------------------------------------------------

def ops_copy_avp(msg, src, dst):
    """Copy (``d``: move) the newest or every (``g``) value as *dst*."""
    found = _avps_of(src, msg)
    target = dst.ref.resolve(msg)
    if found is None or target is None:
        return -1
    avps = found[2]
    if not avps:
        return -1
    if "g" not in dst.flags:
        avps = avps[:1]
    lst = usr_avp.get_avp_list()
    for avp in avps:
        val = avp.value
        if isinstance(val, str) and "n" in dst.flags:
            if not (val.isdigit() and val.isascii()):
                LM_ERR("cannot convert str %r to int", val)
                return -1
            val = int(val)
        elif isinstance(val, int) and "s" in dst.flags:
            val = str(val)
        lst.add(target[0], val, target[1])
        if "d" in dst.flags:
            lst.remove(avp)
    return 1


# -- avp_pushto ---------------------------------------------------------------

def ops_pushto_avp(msg, dest, src):
    """Write AVP/PV value(s) into the R-URI, its parts, $du or a branch."""
    if src.avp is not None:
        found = _avps_of(src.avp, msg)
        if found is None or not found[2]:
            LM_DBG("no src avp found")
            return -1
        avps = found[2] if src.all else found[2][:1]
        values = [a.value for a in avps]
    else:
        val = _pv_value(src.spec, msg)
        if val is None:
            LM_DBG("no value for %s", src.spec.text)
            return -1
        values = [val]
    for n, val in enumerate(values):
        if dest.kind != "ru" and not isinstance(val, str):
            LM_ERR("%s needs a string value, got %r", dest.spec.text, val)
            return -1
        if dest.kind == "ru" and n and dset.append_branch(msg) != 1:
            LM_ERR("append_branch action failed")
            return -1
        try:
            dest.spec.set(msg, str(val))
        except PvError as exc:
            LM_ERR("cannot set %s: %s", dest.spec.text, exc)
            return -1
    return 1


# -- avp_check ----------------------------------------------------------------

def _operands(msg, ov, int_only):
    """The second operand(s) of a check/op: a list, or None on error."""
    if ov.pv is None:
        return [ov.const]
    if ov.avp is not None:
        found = _avps_of(ov.avp, msg)
        if found is None:
            return None
        vals = [a.value for a in found[2]
                if not (int_only and a.is_str_value)]
        if not vals:
            LM_DBG("no avp found for %s", ov.pv.text)
            return None
        return vals
    val = ov.pv.get(msg)
    if int_only:
        num = pv_int(val)
        if num is None:
            LM_ERR("%s has no integer value", ov.pv.text)
            return None
        return [num]
    if val is None:
        return None
    return [val if val.__class__ is int else str(val)]


def _check_str(ov, a, b):
    op = ov.op
    if op in ("eq", "ne"):
        same = a.lower() == b.lower() if "i" in ov.flags else a == b
        return same if op == "eq" else not same
    if op == "re":
        return ov.regex.search(a) is not None
    if op == "fm":
        return fnmatch.fnmatchcase(a, b)
    la, lb = a.lower(), b.lower()
    if op == "lt":
        return la < lb
    if op == "le":
        return la <= lb
    if op == "gt":
        return la > lb
    if op == "ge":
        return la >= lb
    LM_CRIT("operation %s is not defined for strings", op)
    return False


_INT_CHECKS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "and": lambda a, b: bool(a & b), "or": lambda a, b: bool(a | b),
    "xor": lambda a, b: bool(a ^ b),
}


def ops_check_avp(msg, src, ov):
    """True (1) if a value of *src* passes the check against an operand."""
    if src.avp is not None:
        found = _avps_of(src.avp, msg)
        if found is None or not found[2]:
            LM_DBG("no src avp found")
            return -1
        avps = found[2] if "g" in ov.flags else found[2][:1]
        values = [a.value for a in avps]
    else:
        val = _pv_value(src.spec, msg)
        if val is None:
            return -1
        values = [val]
    checks = _operands(msg, ov, False)
    if checks is None:
        return -1
    for val in values:
        for check in checks:
            if isinstance(val, str) != isinstance(check, str):
                LM_ERR("value types don't match (%r / %r)", val, check)
                continue
            if isinstance(val, str):
                if _check_str(ov, val, check):
                    return 1
            else:
                test = _INT_CHECKS.get(ov.op)
                if test is None:
                    LM_CRIT("operation %s is not defined for integers", ov.op)
                elif test(val, check):
                    return 1
    return -1


# -- avp_op -------------------------------------------------------------------

def _arith(op, a, b):
    """One operation on C ints (division truncates toward zero)."""
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op in ("div", "mod"):
        if b == 0:
            LM_ERR("%s by 0", "division" if op == "div" else "modulo")
            return 0
        q = abs(a) // abs(b)
        if op == "div":
            return q if (a < 0) == (b < 0) else -q
        r = abs(a) - q * abs(b)
        return -r if a < 0 else r
    if op == "and":
        return a & b
    if op == "or":
        return a | b
    if op == "xor":
        return a ^ b
    return ~b           # "not": 1.3 negates the operand


def ops_op_avp(msg, names, ov):
    """Integer operation on the (``g``: every) int value of an AVP."""
    src, dst = names
    found = _avps_of(src, msg)
    if found is None:
        return -1
    name, flags, avps = found
    avps = [a for a in avps if not a.is_str_value]
    if not avps and ov.op != "not":
        LM_DBG("no proper avp found")
        return -1
    target = dst.resolve(msg) if dst is not None else (name, flags)
    operands = _operands(msg, ov, True)
    if target is None or operands is None:
        return -1
    todo = avps if "g" in ov.flags else avps[:1]
    lst = usr_avp.get_avp_list()
    for avp in todo or [None]:
        base = avp.value if avp is not None else 0
        for operand in operands:
            lst.add(target[0], _arith(ov.op, base, operand), target[1])
        if avp is not None and "d" in ov.flags:
            lst.remove(avp)
    return 1


# -- avp_subst ----------------------------------------------------------------

def ops_subst(msg, avps, se):
    """Apply *se* to string AVP(s); store under dst (or replace the source)."""
    found = _avps_of(avps.src, msg)
    if found is None or not found[2]:
        return -1
    target = avps.dst.resolve(msg) if avps.dst is not None else found[:2]
    if target is None:
        return -1
    lst = usr_avp.get_avp_list()
    n = 0
    for avp in found[2]:
        if not avp.is_str_value:
            continue
        result = se.apply(avp.value, msg)
        if result is None:
            continue
        lst.add(target[0], result, target[1])
        n += 1
        if "d" in avps.flags or avps.dst is None:
            lst.remove(avp)
        if "g" not in avps.flags:
            break
    LM_DBG("subst to %d avps", n)
    return 1 if n else -1


# -- is_avp_set / avp_print ---------------------------------------------------

def ops_is_avp_set(msg, param):
    """1 if the AVP (its ``[index]``-th value) exists and fits the flags."""
    found = _avps_of(param.ref, msg)
    if found is None or not found[2]:
        return -1
    idx = 0
    if param.ref.index is not None:
        try:
            idx = param.ref.index.resolve(msg) or 0
        except PvError:
            return -1
    idx = max(idx, 0)       # [-1] and [*] look at the newest, as 1.3
    if idx >= len(found[2]):
        return -1
    avp = found[2][idx]
    if not param.flags:
        return 1
    if ("s" in param.flags and not avp.is_str_value) or \
            ("n" in param.flags and avp.is_str_value):
        return -1
    if "e" in param.flags:
        return 1 if avp.value in ("", 0) else -1
    return 1


def ops_print_avp():
    """Log every AVP of the current list at L_INFO (debug helper)."""
    for avp in usr_avp.get_avp_list().items():
        LM_INFO("p=0x%x, flags=0x%04X", id(avp), avp.flags)
        if avp.is_str_name:
            LM_INFO("\t\t\tname=<%s>", avp.name)
        else:
            LM_INFO("\t\t\tid=<%d>", avp.name)
        if avp.is_str_value:
            LM_INFO("\t\t\tval_str=<%s / %d>", avp.value, len(avp.value))
        else:
            LM_INFO("\t\t\tval_int=<%d>", avp.value)
    return 1


def w_db_unavailable(msg, *params):
    """Never called: the fixup rejects every use."""
    return -1


# -- script wrappers ----------------------------------------------------------

def w_delete_avps(msg, param):
    """``avp_delete(name)``."""
    return ops_delete_avp(msg, param)


def w_copy_avps(msg, src, dst):
    """``avp_copy(old, new)``."""
    return ops_copy_avp(msg, src, dst)


def w_pushto_avps(msg, dest, src):
    """``avp_pushto(destination, name)``."""
    return ops_pushto_avp(msg, dest, src)


def w_check_avps(msg, src, check):
    """``avp_check(name, op_value)``."""
    return ops_check_avp(msg, src, check)


def w_op_avps(msg, names, op):
    """``avp_op(name, op_value)``."""
    return ops_op_avp(msg, names, op)


def w_subst(msg, avps, subst):
    """``avp_subst(avps, subst)``."""
    return ops_subst(msg, avps, subst)


def w_is_avp_set(msg, param):
    """``is_avp_set(name)``."""
    return ops_is_avp_set(msg, param)


def w_print_avps(msg):
    """``avp_print()``."""
    return ops_print_avp()
