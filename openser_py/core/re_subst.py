"""sed-like substitution expressions (OpenSER ``re.c``: ``subst_parser``,
``subst_run``, ``subst_str``).

Syntax: ``<d>regex<d>replacement<d>flags`` where ``<d>`` is any character
but a backslash.  In the regex a ``<d>`` preceded by a backslash does not
end it.  In the replacement:

* ``\\0``..``\\9`` -- the whole match / a sub-match (an unmatched group
  gives nothing); ``\\\\`` a backslash; ``\\n`` ``\\r`` ``\\t`` newline,
  CR, tab; ``\\$`` a dollar; ``\\<d>`` the delimiter; ``\\u`` the current
  Request-URI (avpops); any other escape is an error;
* ``$...`` -- a pseudo-variable, printed at run time (``<null>`` for null,
  as 1.3's ``pv_printf``).

Flags: ``i`` (case-insensitive), ``g`` (replace every match), ``s`` (the
regex may match across newlines; by default it is compiled with
``REG_NEWLINE``); blanks are ignored, any other flag is an error.  Unlike
the script's other regexes a subst expression is case-*sensitive* unless
``i`` is given (1.3 ``subst_parser``).  A back-reference to a group the
regex does not have is an error.
"""
from openser_py.core.pvar import PvError, parse_pv_spec_at
from openser_py.core.dprint import LM_ERR
from openser_py.core.posix_re import PosixReError, compile_ere

__all__ = ["SubstExpr", "SubstError", "parse_subst", "RURI"]

_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t", "$": "$"}


class SubstError(ValueError):
    """A bad subst expression (parse time) or a failed run."""


class _Ruri:
    """Marker piece for ``\\u`` (the current Request-URI) in a replacement."""
    __slots__ = ()

    def __repr__(self):
        return "\\u"


RURI = _Ruri()


class SubstExpr:
    """A compiled ``/re/repl/flags`` expression.

    ``regex`` (compiled), ``pieces`` (tuple of ``str``, ``int`` group
    numbers and ``PvSpec``), ``replace_all`` (flag ``g``), ``source``.
    ``static`` is the replacement text when it has no group and no PV.
    """

    __slots__ = ("source", "regex", "pieces", "replace_all", "static")

    def __init__(self, source, regex, pieces, replace_all):
        self.source = source
        self.regex = regex
        self.pieces = tuple(pieces)
        self.replace_all = replace_all
        if all(p.__class__ is str for p in self.pieces):
            self.static = "".join(self.pieces)
        else:
            self.static = None

    def expand(self, m, msg):
        """The replacement text for match ``m`` (``replace_build``)."""
        if self.static is not None:
            return self.static
        out = []
        for piece in self.pieces:
            if piece.__class__ is str:
                out.append(piece)
            elif piece.__class__ is int:
                out.append(m.group(piece) or "")
            elif piece is RURI:
                if msg is not None and msg.is_request:
                    out.append(msg.new_uri if msg.new_uri is not None
                               else msg.ruri)
            else:
                out.append(piece.print(msg))
        return "".join(out)

    def run(self, text, msg):
        """Every replacement to make in ``text`` (``subst_run``).

        Returns a list of ``(start, end, replacement)`` -- empty when
        nothing matched.  An empty match raises :class:`SubstError` (it
        would loop for ever in 1.3, which refuses it).
        """
        found = []
        search = self.regex.search
        m = search(text)
        while m is not None:
            start, end = m.span()
            if start == end:
                raise SubstError("%s: matched string is empty" % self.source)
            found.append((start, end, self.expand(m, msg)))
            if not self.replace_all:
                break
            m = search(text, end)
        return found

    def subst_str(self, text, msg):
        """``text`` with the replacements made, or None if no match."""
        found = self.run(text, msg)
        if not found:
            return None
        out = []
        pos = 0
        for start, end, repl in found:
            out.append(text[pos:start])
            out.append(repl)
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def apply(self, text, msg):
        """:meth:`subst_str` that logs a failed run and returns None."""
        try:
            return self.subst_str(text, msg)
        except SubstError as exc:
            LM_ERR("%s", exc)
            return None

    def __repr__(self):
        return "SubstExpr(%r)" % self.source


def _parse_repl(text, pos, delim):
    """Parse the replacement from ``pos``; -> (pieces, max group, end)."""
    pieces = []
    lit = []
    max_ref = 0
    n = len(text)
    i = pos
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n:
                raise SubstError("unterminated escape in replacement")
            e = text[i + 1]
            i += 2
            if e == "u":                      # \u: the whole R-URI
                if lit:
                    pieces.append("".join(lit))
                    lit = []
                pieces.append(RURI)
            elif e.isdigit() and e.isascii():
                if lit:
                    pieces.append("".join(lit))
                    lit = []
                pieces.append(int(e))
                max_ref = max(max_ref, int(e))
            elif e in _ESCAPES:
                lit.append(_ESCAPES[e])
            elif e == delim:
                lit.append(delim)
            else:
                raise SubstError("unknown escape \\%s in replacement" % e)
        elif c == "$":
            try:
                spec, i = parse_pv_spec_at(text, i)
            except PvError as exc:
                raise SubstError("bad pseudo-variable in replacement: %s"
                                 % exc) from None
            if spec.name == "$":
                lit.append("$")
                continue
            if lit:
                pieces.append("".join(lit))
                lit = []
            pieces.append(spec)
        elif c == delim:
            if lit:
                pieces.append("".join(lit))
            return pieces, max_ref, i
        else:
            lit.append(c)
            i += 1
    raise SubstError("missing separator after the replacement")


def parse_subst(text):
    """Parse and compile a subst expression; raises :class:`SubstError`."""
    if len(text) < 3:
        raise SubstError("expression is too short: %r" % text)
    delim = text[0]
    if delim == "\\":
        raise SubstError("invalid separator char '\\'")
    # end of the regex: the first delimiter not preceded by a backslash
    i = 1
    n = len(text)
    while i < n and not (text[i] == delim and text[i - 1] != "\\"):
        i += 1
    if i >= n:
        raise SubstError("no separator found in %r" % text)
    regex_text = text[1:i]
    pieces, max_ref, end = _parse_repl(text, i + 1, delim)
    icase = False
    replace_all = False
    newline = True
    for flag in text[end + 1:]:
        if flag == "i":
            icase = True
        elif flag == "g":
            replace_all = True
        elif flag == "s":
            newline = False
        elif flag not in " \t\r\n":
            raise SubstError("unknown flag %r in %r" % (flag, text))
    try:
        regex = compile_ere(regex_text, icase=icase, newline=newline)
    except PosixReError as exc:
        raise SubstError("bad regular expression %r: %s"
                         % (regex_text, exc)) from None
    if max_ref > regex.groups:
        raise SubstError("replacement refers to \\%d but the regex has only "
                         "%d group(s)" % (max_ref, regex.groups))
    return SubstExpr(text, regex, pieces, replace_all)
