"""Parsers for the avpops parameter syntax (OpenSER 1.3 ``avpops_parse.c``).

All of this runs at start-up, from the fixups; every error raises
:class:`~openser_py.core.exports.FixupError` with a message naming the
offending part.  The results are small immutable-ish objects the run-time
code in :mod:`avpops_funcs` uses without parsing anything again:

* :class:`AvpRef` -- an ``$avp(...)`` operand, its name resolved once
  (``$avp(i:12)``, ``$avp(s3:x)``, an alias) or per call (``$avp($var(n))``);
* :class:`AvpFilter` -- the name-less ``a|i|s[flags]`` form of avp_delete;
* :class:`OpValue` -- ``op/value[/flags]`` of avp_check and avp_op;
* :func:`parse_db_scheme` -- a ``db_scheme`` modparam.

The ``/subst/repl/flags`` expressions of avp_subst are in
:mod:`openser_py.core.re_subst`.
"""
import re

from openser_py.core.posix_re import PosixReError, compile_ere

from openser_py.core import usr_avp
from openser_py.core.exports import FixupError
from openser_py.core.pvar import (PvError, parse_pv_spec,
                                  parse_pv_spec_at)

CHECK_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "re", "fm", "and", "or",
             "xor")
ARITH_OPS = ("add", "sub", "mul", "div", "mod", "and", "or", "xor", "not")


def split_flags(text):
    """``"$avp(i:1)/gd"`` -> ``("$avp(i:1)", "gd")`` at the first ``/``.

    The flags part is None when there is no ``/``.
    """
    head, sep, tail = text.partition("/")
    return head, (tail if sep else None)


def parse_flag_letters(flags, allowed, what):
    """The set of (lower-case) flag letters; FixupError on an unknown one."""
    out = set()
    for c in flags or "":
        if c.lower() not in allowed:
            raise FixupError("bad flag <%s> in %s (allowed: %s)"
                             % (c, what, ", ".join(allowed)))
        out.add(c.lower())
    return out


def parse_pv(text, what):
    """Any pseudo-variable (FixupError if *text* is not exactly one)."""
    if not text or text[0] != "$":
        raise FixupError("bad %s %r; expected a $pseudo-variable"
                         % (what, text))
    try:
        return parse_pv_spec(text)
    except PvError as exc:
        raise FixupError("bad %s %r: %s" % (what, text, exc)) from None


class AvpRef:
    """An ``$avp(...)`` operand.

    ``resolve(msg)`` -> ``(name, flags)`` (name int or str, flags the
    script-flag bits) or None when a dynamic name has no usable value.
    ``index`` is the spec's :class:`~openser_py.core.pvar.PvIndex` or None.
    """

    __slots__ = ("text", "spec", "index", "static", "dyn")

    def __init__(self, spec):
        self.text = spec.text
        self.spec = spec
        self.index = spec.index
        self.static = None
        self.dyn = None
        inner = spec.inner
        if inner.startswith("$"):
            try:
                self.dyn = parse_pv_spec(inner)
            except PvError as exc:
                raise FixupError("bad AVP name %r: %s" % (inner, exc)) \
                    from None
        else:
            try:
                self.static = usr_avp.parse_avp_spec(inner)
            except usr_avp.AvpError as exc:
                raise FixupError("bad AVP name %r: %s" % (inner, exc)) \
                    from None

    def resolve(self, msg):
        """``(name, flags)`` for this call, or None."""
        if self.static is not None:
            return self.static
        val = self.dyn.get(msg)
        if val is None or val == "":
            return None
        if val.__class__ is int:
            return (val, 0) if val else None
        return str(val), 0

    def __repr__(self):
        return "AvpRef(%r)" % self.text


def parse_avp_ref(text, what="parameter"):
    """``$avp(...)`` -> :class:`AvpRef`; any other PV is rejected."""
    spec = parse_pv(text, what)
    if spec.name != "avp":
        raise FixupError("bad %s %r; expected $avp(name)" % (what, text))
    if spec.trans:
        raise FixupError("bad %s %r; no transformations allowed here"
                         % (what, text))
    return AvpRef(spec)


class AvpFilter:
    """avp_delete's name-less form: ``a`` (any), ``i``, ``s`` + script flags.

    ``name_type`` is None (any name), ``int`` or ``str``; ``flags`` the
    script-flag bits an AVP must have one of (0 = no condition).
    """

    __slots__ = ("name_type", "flags")

    def __init__(self, name_type, flags):
        self.name_type = name_type
        self.flags = flags

    def matches(self, avp):
        """True if *avp* passes the type and script-flag filter."""
        if self.name_type is int and avp.is_str_name:
            return False
        if self.name_type is str and not avp.is_str_name:
            return False
        return not self.flags or bool(avp.flags & self.flags)

    def __repr__(self):
        return "AvpFilter(%r, 0x%x)" % (self.name_type, self.flags)


def parse_avp_filter(text):
    """``a``, ``*``, ``i``, ``s``, optionally followed by script flags."""
    kind = text[0].lower()
    if kind in "*a":
        name_type = None
    elif kind == "i":
        name_type = int
    elif kind == "s":
        name_type = str
    else:
        raise FixupError("bad parameter %r; expected $avp(name), *, a, s "
                         "or i" % text)
    digits = text[1:]
    if digits and not (digits.isdigit() and digits.isascii()):
        raise FixupError("bad avp flags %r in %r" % (digits, text))
    flags = usr_avp.avp_script_flags(int(digits)) if digits else 0
    return AvpFilter(name_type, flags)


# -- op/value[/flags] ---------------------------------------------------------

class OpValue:
    """A parsed ``op/value[/flags]``.

    ``op`` is the operator name; the operand is either ``pv`` (a PvSpec,
    and ``avp`` an :class:`AvpRef` when it is an ``$avp``) or the constant
    ``const`` (int or str); ``regex`` is the compiled ``re`` pattern;
    ``flags`` a set of flag letters.
    """

    __slots__ = ("op", "pv", "avp", "const", "regex", "flags")

    def __init__(self, op):
        self.op = op
        self.pv = self.avp = self.const = self.regex = None
        self.flags = frozenset()

    def __repr__(self):
        operand = self.pv.text if self.pv is not None else repr(self.const)
        return "OpValue(%s/%s/%s)" % (self.op, operand,
                                      "".join(sorted(self.flags)))


def parse_int_const(text, what):
    """``123``, ``-5`` or ``0x1f`` -> int (FixupError otherwise)."""
    try:
        if len(text) > 2 and text[:2] in ("0x", "0X"):
            return int(text[2:], 16)
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return int(text, 10)
    except ValueError:
        pass
    raise FixupError("%s %r is not an integer" % (what, text))


def parse_intstr_value(text):
    """``i:12`` -> 12, ``s:abc`` / ``abc`` -> ``"abc"`` (1.3 rules)."""
    if not text:
        raise FixupError("empty value")
    if len(text) > 1 and text[1] == ":":
        kind = text[0].lower()
        rest = text[2:]
        if kind not in "is":
            raise FixupError("unknown value type <%s> in %r" % (text[0], text))
        if not rest:
            raise FixupError("missing value after %r" % text[:2])
        if kind == "i":
            return parse_int_const(rest, "value")
        return rest
    return text


def _parse_op_value(text, ops, flag_letters, what):
    op, sep, rest = text.partition("/")
    if not sep:
        raise FixupError("parse error in %r: expected operator/value" % text)
    if op.lower() not in ops:
        raise FixupError("unknown operation <%s> in %r (allowed: %s)"
                         % (op, text, " ".join(ops)))
    ov = OpValue(op.lower())
    if not rest:
        raise FixupError("parse error in %r: missing value" % text)
    if rest[0] == "$":
        try:
            spec, end = parse_pv_spec_at(rest, 0)
        except PvError as exc:
            raise FixupError("bad value in %r: %s" % (text, exc)) from None
        ov.pv = spec
        if spec.name == "avp" and not spec.trans:
            ov.avp = AvpRef(spec)
        tail = rest[end:]
        if tail and tail[0] != "/":
            raise FixupError("parse error in %r: unexpected %r after %s"
                             % (text, tail, spec.text))
        flags = tail[1:] if tail else None
    else:
        value, _, flags = rest.partition("/")
        flags = flags if "/" in rest else None
        ov.const = parse_intstr_value(value)
    if flags is not None and not flags:
        raise FixupError("parse error in %r: empty flags" % text)
    ov.flags = frozenset(parse_flag_letters(flags, flag_letters, what))
    return ov


def parse_check_value(text):
    """avp_check's ``op/value[/flags]`` (flags ``g`` all, ``i`` no case)."""
    ov = _parse_op_value(text, CHECK_OPS, ("g", "i"), "avp_check")
    if ov.op == "re":
        if not isinstance(ov.const, str):
            raise FixupError("regexp operation requires a constant string "
                             "value in %r" % text)
        try:
            ov.regex = compile_ere(ov.const, icase=True)
        except PosixReError as exc:
            raise FixupError("bad regular expression %r: %s"
                             % (ov.const, exc)) from None
    elif ov.op == "fm" and ov.pv is None and not isinstance(ov.const, str):
        raise FixupError("fast_match operation requires a string value or a "
                         "pseudo-variable in %r" % text)
    return ov


def parse_arith_value(text):
    """avp_op's ``op/value[/flags]`` (flags ``g`` all, ``d`` delete)."""
    ov = _parse_op_value(text, ARITH_OPS, ("g", "d"), "avp_op")
    if ov.pv is None and not isinstance(ov.const, int):
        raise FixupError("operation requires an integer value (i:N) or a "
                         "pseudo-variable in %r" % text)
    return ov


# -- db_scheme ----------------------------------------------------------------

SCHEME_KEYS = ("uuid_col", "username_col", "domain_col", "value_col",
               "table", "value_type")


def parse_db_scheme(text):
    """``name:key=val;key=val`` -> ``(name, {key: val})``; ValueError."""
    name, sep, body = (text or "").partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name):
        raise ValueError("missing scheme name in %r" % text)
    if not body.strip():
        raise ValueError("empty scheme %r" % text)
    attrs = {"value_type": "string"}
    for part in body.split(";"):
        part = part.strip()
        if not part:
            continue
        key, eq, val = part.partition("=")
        key, val = key.strip().lower(), val.strip()
        if not eq or not key or not val or any(c.isspace() for c in val):
            raise ValueError("parse error in %r around %r" % (text, part))
        if key not in SCHEME_KEYS:
            raise ValueError("unknown attribute <%s> in %r" % (key, text))
        if key == "value_type":
            val = val.lower()
            if val not in ("integer", "string"):
                raise ValueError("unknown value type <%s> in %r"
                                 % (val, text))
        attrs[key] = val
    return name, attrs
