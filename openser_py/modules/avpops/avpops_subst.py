"""sed-like ``/regexp/replacement/flags`` expressions (OpenSER ``re.c``).

Used by ``avp_subst()``.  The first character is the separator (any but
``\\``); ``\\<sep>`` escapes it inside the regexp.  The replacement may hold:

* ``\\0`` .. ``\\9`` -- the whole match / a group (empty if it did not take
  part in the match);
* ``\\n \\r \\t \\\\ \\$`` and ``\\<sep>`` -- that character (any other
  escaped character stands for itself, with a warning, as 1.3 does);
* ``\\u`` -- the current Request-URI (requests only);
* any pseudo-variable (``$rd``, ``$avp(s:x)``...), expanded per call (a null
  value expands to nothing).

Flags: ``g`` replace every match, ``i`` ignore case, ``s`` let ``.`` match
a newline (by default, as with ``REG_NEWLINE``, it does not and ``^``/``$``
match at line boundaries).  The regexp is compiled with Python's ``re``,
like the other regexps of the port.
"""

from openser_py.core.posix_re import PosixReError, compile_ere

from openser_py.core.dprint import LM_ERR, LM_WARN
from openser_py.core.pvar import PvError, parse_pv_spec_at

_CHAR_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t", "$": "$"}


class SubstError(ValueError):
    """A malformed subst expression."""


class SubstExpr:
    """A compiled ``/re/repl/flags``: ``regex``, ``pieces``, ``replace_all``.

    ``pieces`` is a tuple of str (literal text), int (a group number) and
    objects with ``get(msg)`` (PvSpec) -- plus :data:`RURI` for ``\\u``.
    """

    __slots__ = ("source", "regex", "pieces", "replace_all")

    def __init__(self, source, regex, pieces, replace_all):
        self.source = source
        self.regex = regex
        self.pieces = tuple(pieces)
        self.replace_all = replace_all

    def _replacement(self, match, msg):
        out = []
        for piece in self.pieces:
            if piece.__class__ is str:
                out.append(piece)
            elif piece.__class__ is int:
                if piece <= self.regex.groups:
                    out.append(match.group(piece) or "")
            elif piece is RURI:
                if msg.is_request:
                    out.append(msg.new_uri if msg.new_uri is not None
                               else msg.ruri)
                else:
                    LM_ERR("uri substitution on a reply")
            else:
                val = piece.get(msg)
                if val is not None:
                    out.append(val if isinstance(val, str) else str(val))
        return "".join(out)

    def apply(self, text, msg):
        """The substituted text, or None if nothing matched (or an error)."""
        out = []
        pos = 0
        count = 0
        while True:
            match = self.regex.search(text, pos)
            if match is None:
                break
            if match.start() == match.end():
                LM_ERR("matched string is empty... invalid regexp? (%s)",
                       self.source)
                return None
            out.append(text[pos:match.start()])
            out.append(self._replacement(match, msg))
            pos = match.end()
            count += 1
            if not self.replace_all:
                break
        if not count:
            return None
        out.append(text[pos:])
        return "".join(out)

    def __repr__(self):
        return "SubstExpr(%r)" % self.source


class _Ruri:
    __slots__ = ()

    def __repr__(self):
        return "\\u"


RURI = _Ruri()


def _find_re_end(text, sep):
    for i in range(1, len(text)):
        if text[i] == sep and text[i - 1] != "\\":
            return i
    raise SubstError("no separator found in %r" % text)


def _parse_replacement(text, start, sep):
    """Parse from *start* up to the closing *sep*; -> (pieces, end)."""
    pieces = []
    buf = []
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n:
                break
            e = text[i + 1]
            if e.isdigit():
                if buf:
                    pieces.append("".join(buf))
                    buf = []
                pieces.append(int(e))
            elif e == "u":
                if buf:
                    pieces.append("".join(buf))
                    buf = []
                pieces.append(RURI)
            else:
                if e not in _CHAR_ESCAPES and e != sep:
                    LM_WARN("\\%s unknown escape in %s", e, text)
                buf.append(_CHAR_ESCAPES.get(e, e))
            i += 2
        elif c == "$":
            try:
                spec, end = parse_pv_spec_at(text, i)
            except PvError as exc:
                raise SubstError("bad specifier in replace part of %r: %s"
                                 % (text, exc)) from None
            if buf:
                pieces.append("".join(buf))
                buf = []
            pieces.append("$" if spec.name == "$" else spec)
            i = end
        elif c == sep:
            if buf:
                pieces.append("".join(buf))
            return pieces, i
        else:
            buf.append(c)
            i += 1
    raise SubstError("missing separator after the replacement in %r" % text)


def subst_parser(text):
    """Compile a ``/re/repl/flags`` expression; raises :class:`SubstError`."""
    if text is None or len(text) < 3:
        raise SubstError("expression is too short: %r" % text)
    sep = text[0]
    if sep == "\\":
        raise SubstError("invalid separator char <\\> in %r" % text)
    re_end = _find_re_end(text, sep)
    if len(text) < re_end + 2:
        raise SubstError("string too short: %r" % text)
    pieces, repl_end = _parse_replacement(text, re_end + 1, sep)
    icase, newline = False, True
    replace_all = False
    for flag in text[repl_end + 1:]:
        if flag == "i":
            icase = True
        elif flag == "s":
            newline = False
        elif flag == "g":
            replace_all = True
        else:
            raise SubstError("unknown flag %s in %r" % (flag, text))
    pattern = text[1:re_end]
    try:
        regex = compile_ere(pattern, icase=icase, newline=newline)
    except PosixReError as exc:
        raise SubstError("bad regular expression %r in %r: %s"
                         % (pattern, text, exc)) from None
    return SubstExpr(text, regex, pieces, replace_all)
