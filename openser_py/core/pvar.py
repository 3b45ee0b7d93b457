"""The pseudo-variable engine (OpenSER 1.3 ``pvar.c``).

Parsing happens once, when the configuration is loaded:

* :func:`parse_pv_spec` turns ``$ru``, ``$(avp(s:x)[1])``,
  ``$(hdr(Via)[-1])``, ``$var(i)``, ``$(ru{uri.user})`` ... into a
  :class:`PvSpec`;
* :func:`parse_pv_format` turns a string mixing text and PVs (xlog formats,
  module string parameters) into a :class:`PvFormat`.

At run time nothing is parsed: ``spec.get(msg)`` is a direct closure.

Values are ``None`` (null), ``int`` (an integer-typed value: ``$rs``,
``$rc``, an int AVP...), ``str``, or :class:`IntStr` -- a ``str`` that also
carries an integer form in ``.ri`` (``$rp`` "5060"/5060, ``$rm``, ``$sp``,
``$mf``...), which is what OpenSER flags ``PV_VAL_STR|PV_VAL_INT``.
:func:`pv_int` gives the integer form of a value (None if it has none).

Unknown names, bad syntax and assignments to read-only PVs raise
:class:`PvError`.  Modules add PVs through the ``items`` of their
``ModuleExports`` (:class:`~openser_py.core.exports.PvExport`) or
:func:`register_pv`; the core table is in :mod:`openser_py.core.pv_core`.
"""
__all__ = [
    "PvError", "IntStr", "NULL_TEXT", "pv_int", "pv_str", "PvIndex",
    "PvSpec", "PvFormat", "parse_pv_spec", "parse_pv_spec_at",
    "parse_pv_format", "register_pv", "register_pv_exports",
    "unregister_pv", "pv_names", "is_pv_valid_name", "EQ", "COLONEQ",
]

NULL_TEXT = "<null>"
EQ = "="
COLONEQ = ":="


class PvError(ValueError):
    """Unknown pseudo-variable, bad PV syntax, or a failed assignment."""


class IntStr(str):
    """A string value that also has an integer form ``ri``.

    It behaves as the ``str`` in every way (printing, comparing, storing
    in an AVP); the routing engine uses ``ri`` for numeric comparisons.
    """

    def __new__(cls, text, ri):
        obj = str.__new__(cls, text)
        obj.ri = ri
        return obj

    def __repr__(self):
        return "IntStr(%s, %d)" % (str.__repr__(self), self.ri)

    def __reduce__(self):
        return (IntStr, (str(self), self.ri))


def pv_int(value):
    """Integer form of a PV value: the int, ``IntStr.ri``, else None."""
    if value.__class__ is int:
        return value
    return getattr(value, "ri", None) if value is not None else None


def pv_str(value):
    """String form of a PV value (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _text(value):
    """Text printed for a value in a format string."""
    if value is None:
        return NULL_TEXT
    return value if isinstance(value, str) else str(value)


class PvIndex:
    """A parsed ``[index]``: ``kind`` is ``"int"``, ``"all"`` or ``"pv"``."""

    __slots__ = ("kind", "value")

    def __init__(self, kind, value=None):
        self.kind = kind
        self.value = value

    def resolve(self, msg):
        """The index as an int (``None`` for ``[*]``); PvError if invalid."""
        if self.kind == "int":
            return self.value
        if self.kind == "all":
            return None
        num = pv_int(self.value.get(msg))
        if num is None:
            raise PvError("index %s has no integer value" % self.value.text)
        return num

    def __repr__(self):
        return "PvIndex(%s, %r)" % (self.kind, self.value)


# -- the registry -----------------------------------------------------------

class _PvDef:
    """A registered PV name: ``build(inner, index) -> (getter, setter)``."""

    __slots__ = ("name", "build", "has_name", "has_index", "writable", "doc",
                 "owner")

    def __init__(self, name, build, has_name, has_index, writable, doc,
                 owner):
        self.name = name
        self.build = build
        self.has_name = has_name
        self.has_index = has_index
        self.writable = writable
        self.doc = doc
        self.owner = owner


_table = {}


def is_pv_valid_name(name):
    """Letters, digits, ``_`` and ``.`` only (and not empty)."""
    return bool(name) and all(c.isascii() and (c.isalnum() or c in "_.")
                              for c in name)


def _add(pvdef, replace=False):
    if not is_pv_valid_name(pvdef.name):
        raise PvError("invalid pseudo-variable name %r" % pvdef.name)
    old = _table.get(pvdef.name)
    # a module loaded again (next config in the same process) replaces its own
    if old is not None and not replace and not (
            old.owner == pvdef.owner and old.owner != "core"):
        raise PvError("pseudo-variable $%s already exists (defined by %s)"
                      % (pvdef.name, old.owner))
    _table[pvdef.name] = pvdef


def _register_simple(name, getter, setter=None, doc="", owner="core"):
    """Core PV without inner name or index: the getter is used as is."""
    def build(inner, index):
        return getter, setter
    _add(_PvDef(name, build, False, False, setter is not None, doc, owner))


def _register_builder(name, build, has_name, has_index, writable, doc="",
                      owner="core"):
    """Core PV built per spec (``$avp``, ``$hdr``, ``$var``)."""
    _add(_PvDef(name, build, has_name, has_index, writable, doc, owner))


def register_pv(name, getter, setter=None, parse_name=None, doc="",
                owner="module"):
    """Add a PV for a module (``pv_export_t``).

    ``getter(msg, param) -> value`` and ``setter(msg, param, value, op)``
    (raise :class:`PvError` on failure); ``param`` is
    ``parse_name(inner_text)`` computed once at parse time when the PV takes
    an inner name (``$C(rb)``), else None.  ``parse_name`` may raise
    PvError/ValueError to reject a name.  A name already taken is an error.
    """
    def build(inner, index):
        if parse_name is not None:
            try:
                param = parse_name(inner)
            except PvError:
                raise
            except ValueError as exc:
                raise PvError("$%s: invalid name %r: %s"
                              % (name, inner, exc)) from None
        else:
            param = None

        def get(msg):
            return getter(msg, param)
        if setter is None:
            return get, None

        def put(msg, value, op=EQ):
            setter(msg, param, value, op)
        return get, put
    _add(_PvDef(name, build, parse_name is not None, False,
                setter is not None, doc, owner))


def register_pv_exports(items, owner="module"):
    """Register the ``items`` (PvExport records) of a ModuleExports."""
    for item in items or ():
        register_pv(item.name, item.getter, item.setter, item.parse_name,
                    item.doc, owner)


def unregister_pv(name):
    """Remove a module PV (tests); core PVs cannot be removed."""
    pvdef = _table.get(name)
    if pvdef is not None and pvdef.owner != "core":
        del _table[name]


def pv_names():
    """Sorted list of every known PV name (without ``$``)."""
    return sorted(_table)


# -- specs ------------------------------------------------------------------

def _read_only(spec):
    def put(msg, value, op=EQ):
        raise PvError("pseudo-variable %s is read-only" % spec.text)
    return put


class PvSpec:
    """A parsed pseudo-variable.

    Attributes (all set at parse time):

    * ``get(msg)`` -> value (None = null), a direct closure;
    * ``set(msg, value, op="=")`` -- assign (``op`` ``":="`` matters for
      AVPs); raises :class:`PvError` for a read-only PV or a bad value;
    * ``print(msg)`` -> the text a format string shows (``<null>`` for
      null, nothing when a transformation failed);
    * ``text`` (as written), ``name``, ``inner``, ``index``
      (:class:`PvIndex` or None), ``trans`` (list of callables),
      ``writable``.
    """

    __slots__ = ("text", "name", "inner", "index", "trans", "writable",
                 "get", "set", "print", "raw_get")

    def get_int(self, msg):
        """Integer form of the value (None if null or no int form)."""
        return pv_int(self.get(msg))

    def get_str(self, msg):
        """String form of the value (None if null)."""
        return pv_str(self.get(msg))

    def __repr__(self):
        return "PvSpec(%r)" % self.text


def _finish(spec, getter, setter, trans):
    """Install the run-time closures on *spec*."""
    from openser_py.core.transformations import TrError
    if trans:
        setter = None       # no transformations on the left side (1.3)
    spec.raw_get = getter
    spec.writable = setter is not None
    spec.set = setter if setter is not None else _read_only(spec)
    if not trans:
        spec.get = getter

        def printer(msg):
            return _text(getter(msg))
    else:
        def get(msg):
            val = getter(msg)
            try:
                for tr in trans:
                    val = tr(msg, val)
            except TrError:
                return None
            return val

        def printer(msg):
            val = getter(msg)
            try:
                for tr in trans:
                    val = tr(msg, val)
            except TrError:
                return ""
            return _text(val)
        spec.get = get
    spec.print = printer


def _marker_get(msg):
    return "$"


def _scan_group(text, pos, open_c, close_c, what):
    """``text[pos] == open_c``; -> (content, index after the close char)."""
    depth = 0
    i = pos + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == close_c:
            if depth == 0:
                break
            depth -= 1
        elif c == open_c:
            depth += 1
        i += 1
    if i >= n:
        raise PvError("unterminated %s in %r" % (what, text))
    if i == pos + 1:
        raise PvError("empty %s in %r" % (what, text))
    return text[pos + 1:i], i + 1


def _parse_index(content, text):
    if content[0] == "$":
        return PvIndex("pv", parse_pv_spec(content))
    if content == "*":
        return PvIndex("all")
    digits = content[1:] if content[0] == "-" else content
    if not digits.isdigit() or not digits.isascii():
        raise PvError("invalid index [%s] in %r" % (content, text))
    return PvIndex("int", int(content))


def parse_pv_spec_at(text, pos=0, _shorthand_index=False):
    """Parse the PV starting at ``text[pos] == "$"``.

    Returns ``(PvSpec, end)``, *end* being the index just past the PV.
    Raises :class:`PvError`.
    """
    from openser_py.core.transformations import parse_transformations
    n = len(text)
    if pos >= n or text[pos] != "$":
        raise PvError("pseudo-variable must start with '$': %r" % text)
    p = pos + 1
    bracket = p < n and text[p] == "("
    if bracket:
        p += 1
    spec = PvSpec()
    spec.inner = spec.index = None
    spec.trans = []
    if p < n and text[p] == "$":        # $$ is a literal '$'
        p += 1
        if bracket:
            if text[p:p + 1] != ")":
                raise PvError("bad '$$' in %r" % text)
            p += 1
        spec.text = text[pos:p]
        spec.name = "$"
        _finish(spec, _marker_get, None, None)
        return spec, p
    start = p
    while p < n and (text[p].isalnum() or text[p] in "_.") \
            and text[p].isascii():
        p += 1
    name = text[start:p]
    if not name:
        raise PvError("missing pseudo-variable name at %d in %r"
                      % (pos, text))
    inner = index = None
    trans = []
    if bracket:
        if p >= n:
            raise PvError("unterminated $( in %r" % text)
        if text[p] == "(":
            inner, p = _scan_group(text, p, "(", ")", "name")
        if p < n and text[p] == "[":
            content, p = _scan_group(text, p, "[", "]", "index")
            index = _parse_index(content, text)
        if p < n and text[p] == "{":
            trans, p = parse_transformations(text, p)
        if p >= n or text[p] != ")":
            raise PvError("invalid character %r at %d in %r"
                          % (text[p:p + 1], p, text))
        p += 1
    else:
        if p < n and text[p] == "(":
            inner, p = _scan_group(text, p, "(", ")", "name")
        if _shorthand_index and p < n and text[p] == "[":
            content, p = _scan_group(text, p, "[", "]", "index")
            index = _parse_index(content, text)
        if _shorthand_index and p < n and text[p] == "{":
            trans, p = parse_transformations(text, p)
    pvdef = _table.get(name)
    if pvdef is None:
        raise PvError("unknown pseudo-variable $%s" % name)
    if pvdef.has_name and inner is None:
        raise PvError("pseudo-variable $%s expects an inner name" % name)
    if inner is not None and not pvdef.has_name:
        raise PvError("pseudo-variable $%s does not take a name" % name)
    if index is not None and not pvdef.has_index:
        raise PvError("pseudo-variable $%s does not take an index" % name)
    getter, setter = pvdef.build(inner, index)
    spec.text = text[pos:p]
    spec.name = name
    spec.inner = inner
    spec.index = index
    spec.trans = trans
    _finish(spec, getter, setter, trans)
    return spec, p


def parse_pv_spec(text):
    """Parse a whole string as one PV; raises :class:`PvError`.

    Besides the 1.3 forms, ``$avp(s:x)[1]`` / ``$hdr(Via)[-1]`` and
    ``$var(x){s.int}`` are accepted here as shorthands of ``$(avp(s:x)[1])``
    and ``$(var(x){s.int})`` (not inside format strings, where 1.3 prints
    ``[1]`` and ``{...}`` as text).
    """
    if not isinstance(text, str):
        raise PvError("pseudo-variable must be a string, not %r" % (text,))
    spec, end = parse_pv_spec_at(text, 0, _shorthand_index=True)
    if end != len(text):
        raise PvError("unexpected %r after %s" % (text[end:], spec.text))
    return spec


# -- formats ----------------------------------------------------------------

class PvFormat:
    """A parsed format string (``pv_elem_t`` list).

    ``format(msg)`` -> str; ``is_static`` is True when there is no PV
    (then ``text`` is the whole result); ``specs`` lists the PVs.
    """

    __slots__ = ("source", "pieces", "specs", "is_static", "text")

    def __init__(self, source, pieces):
        self.source = source
        self.pieces = tuple(pieces)
        self.specs = tuple(p for p in self.pieces if isinstance(p, PvSpec))
        self.is_static = not self.specs
        self.text = "".join(self.pieces) if self.is_static else None

    def format(self, msg):
        """Expand every PV of the format for *msg*."""
        if self.is_static:
            return self.text
        out = []
        for piece in self.pieces:
            if piece.__class__ is str:
                out.append(piece)
            else:
                out.append(piece.print(msg))
        return "".join(out)

    def __repr__(self):
        return "PvFormat(%r)" % self.source


def parse_pv_format(text):
    """Parse text with embedded PVs; ``$$`` is a literal ``$``.

    A ``$`` that does not start a valid PV is an error, as in 1.3.
    """
    if not isinstance(text, str):
        raise PvError("format must be a string, not %r" % (text,))
    pieces = []
    pos = 0
    n = len(text)
    while pos < n:
        dollar = text.find("$", pos)
        if dollar < 0:
            pieces.append(text[pos:])
            break
        if dollar > pos:
            pieces.append(text[pos:dollar])
        spec, pos = parse_pv_spec_at(text, dollar)
        if spec.name == "$":
            pieces.append("$")
        else:
            pieces.append(spec)
    merged = []
    for piece in pieces:
        if merged and piece.__class__ is str and merged[-1].__class__ is str:
            merged[-1] += piece
        else:
            merged.append(piece)
    return PvFormat(text, merged)


# the core table registers itself into _table
from openser_py.core import pv_core  # noqa: E402,F401  pylint: disable=C0413
