"""avpops: module parameters, start-up checks and the fixups.

Each fixup turns one script parameter into the object the run-time code in
:mod:`avpops_funcs` receives (namedtuples of parsed pieces, see
:mod:`avpops_parse`), or raises FixupError -- reported with the call's
file:line:col.
"""
from collections import namedtuple

from openser_py.core.dprint import LM_CRIT, LM_WARN
from openser_py.core.exports import FixupError
from openser_py.modules.avpops import avpops_parse as ap
from openser_py.core.re_subst import SubstError, parse_subst as subst_parser


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Module parameters (class attributes are the defaults)."""
    db_url = None
    avp_table = None
    use_domain = 0
    uuid_column = "uuid"
    username_column = "username"
    domain_column = "domain"
    attribute_column = "attribute"
    value_column = "value"
    type_column = "type"


#: db_scheme definitions: name -> {attribute: value}
db_schemes = {}


def set_avp_url(ptype, value):
    """``avp_url``: the 1.3 alias of ``db_url``."""
    cfg.db_url = value
    return 0


def add_db_scheme(ptype, value):
    """``db_scheme`` (repeatable): ``name:key=val;...``."""
    name, attrs = ap.parse_db_scheme(value)
    db_schemes[name] = attrs
    return 0


def mod_init():
    """Check the DB parameters (the DB layer itself is not built yet)."""
    if cfg.db_url:
        if not cfg.avp_table:
            LM_CRIT("\"db_url\" present but \"avp_table\" found empty")
            return -1
        LM_WARN("db_url is set but the database layer is not built yet: "
                "avp_db_* functions are unavailable")
    return 0


# -- fixups -------------------------------------------------------------------

DeleteParam = namedtuple("DeleteParam", "target all")


def fixup_delete(value, param_no):
    """``$avp(name)[/g]`` or ``a|i|s[flags][/g]``."""
    text, flags = ap.split_flags(value or "")
    if not text:
        raise FixupError("bad parameter; expected $avp(name), *, s or i")
    letters = ap.parse_flag_letters(flags, ("g",), "avp_delete")
    if text[0] == "$":
        return DeleteParam(ap.parse_avp_ref(text), "g" in letters)
    return DeleteParam(ap.parse_avp_filter(text), True)


CopyDest = namedtuple("CopyDest", "ref flags")


def fixup_copy(value, param_no):
    """Source ``$avp``; destination ``$avp[/flags]`` (g d n s)."""
    if param_no == 1:
        return ap.parse_avp_ref(value or "", "source AVP")
    text, flags = ap.split_flags(value or "")
    letters = ap.parse_flag_letters(flags, ("g", "d", "n", "s"), "avp_copy")
    if "n" in letters and "s" in letters:
        raise FixupError("flags n and s of avp_copy exclude each other")
    return CopyDest(ap.parse_avp_ref(text, "destination AVP"),
                    frozenset(letters))


PushDest = namedtuple("PushDest", "kind spec")
PushSrc = namedtuple("PushSrc", "spec avp all")
_RU_PARTS = {None: "$ru", "username": "$rU", "domain": "$rd"}


def fixup_pushto(value, param_no):
    """Destination ``$ru[/username|/domain]``, ``$du``, ``$br``; source PV."""
    text, flags = ap.split_flags(value or "")
    if param_no == 1:
        spec = ap.parse_pv(text, "destination")
        if spec.name in ("ru", "ruri"):
            part = flags.lower() if flags is not None else None
            if part not in _RU_PARTS:
                raise FixupError("unknown ruri flag %r (use username or "
                                 "domain)" % flags)
            return PushDest("ru", ap.parse_pv(_RU_PARTS[part], "dest"))
        if spec.name in ("du", "duri", "br"):
            if flags is not None:
                raise FixupError("unknown %s flag %r" % (text, flags))
            return PushDest(spec.name[:2], spec)
        if spec.name == "hdr":
            raise FixupError("push to header is obsoleted - use append_hf() "
                             "or append_to_reply() from textops module")
        raise FixupError("unsupported destination %r; expected $ru, $du, "
                         "$br" % text)
    spec = ap.parse_pv(text, "source")
    letters = ap.parse_flag_letters(flags, ("g",), "avp_pushto")
    ref = ap.AvpRef(spec) if spec.name == "avp" and not spec.trans else None
    return PushSrc(spec, ref, "g" in letters)


CheckSrc = namedtuple("CheckSrc", "spec avp")


def fixup_check(value, param_no):
    """Any PV, then ``op/value[/flags]``."""
    if param_no == 1:
        spec = ap.parse_pv(value or "", "checked value")
        ref = ap.AvpRef(spec) if spec.name == "avp" and not spec.trans \
            else None
        return CheckSrc(spec, ref)
    return ap.parse_check_value(value or "")


def fixup_op(value, param_no):
    """``$avp(src)[/$avp(dst)]``, then ``op/value[/flags]``."""
    if param_no == 1:
        src_text, dst_text = ap.split_flags(value or "")
        src = ap.parse_avp_ref(src_text, "source AVP")
        dst = ap.parse_avp_ref(dst_text, "destination AVP") \
            if dst_text else None
        return src, dst
    return ap.parse_arith_value(value or "")


SubstAvps = namedtuple("SubstAvps", "src dst flags")


def fixup_subst(value, param_no):
    """``src[/dst][/flags]``, then ``/re/repl/flags``."""
    if param_no == 2:
        try:
            return subst_parser(value)
        except SubstError as exc:
            raise FixupError("bad subst re: %s" % exc) from None
    text = value or ""
    src_text, rest = ap.split_flags(text)
    src = ap.parse_avp_ref(src_text, "source AVP")
    dst = None
    flags = rest
    if rest and rest[0] == "$":
        dst_text, flags = ap.split_flags(rest)
        dst = ap.parse_avp_ref(dst_text, "destination AVP")
    letters = ap.parse_flag_letters(flags, ("g", "d"), "avp_subst")
    return SubstAvps(src, dst, frozenset(letters))


IsSetParam = namedtuple("IsSetParam", "ref flags")


def fixup_is_avp_set(value, param_no):
    """``$avp(name)[/flags]`` with flags e (empty), s (string), n (number)."""
    text, flags = ap.split_flags(value or "")
    ref = ap.parse_avp_ref(text)
    letters = ap.parse_flag_letters(flags, ("e", "s", "n"), "is_avp_set")
    if "s" in letters and "n" in letters:
        raise FixupError("invalid flag combination <n> and <s>")
    return IsSetParam(ref, frozenset(letters))


def db_fixup(name):
    """A fixup rejecting *name*: the DB layer is not built yet."""
    def fixup(value, param_no):
        raise FixupError("%s needs the database layer, not built yet" % name)
    return fixup
