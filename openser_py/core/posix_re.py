"""POSIX extended regular expressions (``regcomp(REG_EXTENDED)``) on ``re``.

OpenSER compiles script regexes with glibc's ``regcomp``.  Python's ``re``
reads most ERE text the same way, but not all of it; :func:`translate`
rewrites an ERE into an equivalent ``re`` pattern so that a 1.3 config
keeps its meaning:

* bracket expressions follow POSIX: ``]`` first is a literal, a backslash
  is a literal, ``[:alpha:]`` & co. are classes, ``[=c=]`` / ``[.c.]`` are
  the character ``c``; every other character is passed on escaped;
* outside brackets glibc knows the GNU escapes ``\\w \\W \\s \\S \\b \\B
  \\< \\> \\` \\'`` and back-references ``\\1``..``\\9``; any other escaped
  character is that character (``\\d`` is a plain ``d``, as in 1.3);
* a quantifier after a quantifier applies to the whole repeated atom
  (``a+?`` is ``(a+)?``, never Python's lazy or possessive forms);
* ``(?``, ``(*``... are errors (nothing to repeat), an unmatched ``)`` is
  a literal (``RE_UNMATCHED_RIGHT_PAREN_ORD``);
* with ``newline=True`` (``REG_NEWLINE``) ``.`` and negated brackets do not
  match a newline and ``^``/``$`` match at line boundaries; without it
  ``.`` matches everything and ``^``/``$`` only at the ends of the text.

Matching is ASCII-only for case folding and ``\\w`` (the C locale).  Not
emulated: POSIX leftmost-*longest* alternation (``a|ab`` on ``ab`` matches
``a`` here, ``ab`` in glibc) and anchors/word boundaries at a search start
other than the text start see the real preceding character.
"""
import re

__all__ = ["translate", "compile_ere", "PosixReError"]


class PosixReError(ValueError):
    """The text is not a valid (or supported) POSIX extended regex."""


_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_CLASSES = {
    "alpha": "A-Za-z", "digit": "0-9", "alnum": "0-9A-Za-z",
    "upper": "A-Z", "lower": "a-z", "xdigit": "0-9A-Fa-f",
    "space": r"\x20\x09\x0a\x0b\x0c\x0d", "blank": r"\x20\x09",
    "punct": "".join("\\x%02x" % ord(c) for c in _PUNCT),
    "print": r"\x20-\x7e", "graph": r"\x21-\x7e",
    "cntrl": r"\x00-\x1f\x7f",
}
_GNU_ESCAPES = {
    "w": r"\w", "W": r"\W", "s": r"\s", "S": r"\S", "b": r"\b", "B": r"\B",
    "<": r"\b(?=\w)", ">": r"\b(?<=\w)", "`": r"\A", "'": r"\Z",
}
_QUANT_START = "*+?{"
_INTERVAL = re.compile(r"\{([0-9]*)(,([0-9]*))?\}")


def _lit(c):
    """``c`` as a literal inside or outside a bracket."""
    return c if c.isalnum() and c.isascii() else "\\x%02x" % ord(c) \
        if ord(c) < 256 else re.escape(c)


def _bracket(text, pos, newline):
    """Translate the bracket expression at ``text[pos] == "["``.

    Returns ``(python class text, index after the closing bracket)``.
    """
    n = len(text)
    i = pos + 1
    neg = i < n and text[i] == "^"
    if neg:
        i += 1
    items = []
    first = True
    while True:
        if i >= n:
            raise PosixReError("unterminated bracket expression")
        c = text[i]
        if c == "]" and not first:
            i += 1
            break
        first = False
        if c == "[" and i + 1 < n and text[i + 1] in ":=.":
            kind = text[i + 1]
            end = text.find(kind + "]", i + 2)
            if end < 0:
                raise PosixReError("unterminated [%s in bracket" % kind)
            name = text[i + 2:end]
            i = end + 2
            if kind == ":":
                cls = _CLASSES.get(name)
                if cls is None:
                    raise PosixReError("unknown character class [:%s:]"
                                       % name)
                items.append(cls)
                continue
            if len(name) != 1:
                raise PosixReError("unsupported collating element %r" % name)
            c = name
        else:
            i += 1
        # c is a single character: maybe the start of a range
        if i + 1 < n and text[i] == "-" and text[i + 1] != "]":
            hi = text[i + 1]
            i += 2
            if hi == "[" and i < n and text[i] in ".=":
                kind = text[i]
                end = text.find(kind + "]", i + 1)
                if end < 0 or end != i + 2:
                    raise PosixReError("bad range end in bracket")
                hi = text[i + 1]
                i = end + 2
            if ord(hi) < ord(c):
                raise PosixReError("invalid range %s-%s" % (c, hi))
            items.append("%s-%s" % (_lit(c), _lit(hi)))
        else:
            items.append(_lit(c))
    if neg:
        if newline:
            items.append(r"\n")
        return "[^" + "".join(items) + "]", i
    return "[" + "".join(items) + "]", i


def translate(text, newline=True):
    """Rewrite the ERE ``text`` as a Python ``re`` pattern (see module doc).

    Raises :class:`PosixReError` for what glibc would reject (and ``re``
    might accept with another meaning).
    """
    out = []            # pieces of the result
    atom = None         # index in out where the last atom starts
    quantified = False  # the last piece is a quantifier
    groups = []         # out indexes of the open "(" pieces
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c in _QUANT_START:
            if c == "{":
                m = _INTERVAL.match(text, i)
                if m is None:
                    raise PosixReError("invalid interval at %d" % i)
                q = m.group(0)
                i = m.end()
            else:
                q = c
                i += 1
            if atom is None:
                raise PosixReError("nothing to repeat at %d" % (i - 1))
            if quantified:
                out.insert(atom, "(?:")
                out.append(")")
            out.append(q)
            quantified = True
            continue
        quantified = False
        if c == "\\":
            if i + 1 >= n:
                raise PosixReError("trailing backslash")
            e = text[i + 1]
            i += 2
            atom = len(out)
            if e in "123456789":
                out.append("(?:\\%s)" % e)
            elif e in _GNU_ESCAPES:
                out.append(_GNU_ESCAPES[e])
                if e not in "wWsS":
                    atom = None        # anchors cannot be repeated
            else:
                out.append(re.escape(e))
            continue
        if c == "[":
            cls, i = _bracket(text, i, newline)
            atom = len(out)
            out.append(cls)
            continue
        i += 1
        if c == "(":
            groups.append(len(out))
            out.append("(")
            atom = None
        elif c == ")":
            if groups:
                atom = groups.pop()
                out.append(")")
            else:
                atom = len(out)
                out.append(r"\)")
        elif c == "|":
            out.append("|")
            atom = None
        elif c == "^":
            out.append("^")
            atom = None
        elif c == "$":
            out.append("$" if newline else r"\Z")
            atom = None
        elif c == ".":
            atom = len(out)
            out.append(".")
        else:
            atom = len(out)
            out.append(re.escape(c))
    if groups:
        raise PosixReError("unmatched (")
    return "".join(out)


def compile_ere(text, icase=True, newline=True):
    """Compile a POSIX ERE; ``icase`` = ``REG_ICASE``, ``newline`` =
    ``REG_NEWLINE``.  Raises :class:`PosixReError`."""
    flags = re.ASCII
    if icase:
        flags |= re.IGNORECASE
    flags |= re.MULTILINE if newline else re.DOTALL
    try:
        return re.compile(translate(text, newline), flags)
    except re.error as exc:
        raise PosixReError(str(exc)) from None
