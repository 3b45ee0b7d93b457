"""The .allow / .deny files (OpenSER ``permissions/parse_config.c``,
``rule.c``).

Syntax, one rule per line (``#`` outside quotes starts a comment)::

    <left list> : <right list>
    list := ALL | expr [, expr ...]      [EXCEPT expr [, expr ...]]

An ``expr`` is a POSIX extended regular expression, optionally in double
quotes, matched case-insensitively anywhere in the string (``regexec``
with ``REG_EXTENDED|REG_ICASE|REG_NOSUB``).  A rule matches a pair
``(left, right)`` when each side matches one of its expressions (``ALL``
matches anything) and none of its exceptions.  A line that cannot be
parsed is logged with ``file:line`` and skipped; a missing file is an
empty rule set, as in 1.3.
"""
from openser_py.core.dprint import LM_ERR, LM_WARN
from openser_py.core.posix_re import PosixReError, compile_ere

LINE_LENGTH = 500
EXPRESSION_LENGTH = 256


class RuleError(ValueError):
    """A line that is not a rule."""


class Rule:
    """One rule: expression lists (None = ALL) and exception lists."""
    __slots__ = ("left", "left_exceptions", "right", "right_exceptions")

    def __init__(self, left, left_ex, right, right_ex):
        self.left, self.left_exceptions = left, left_ex
        self.right, self.right_exceptions = right, right_ex

    def matches(self, left, right):
        """1.3's rule test for the pair."""
        return ((self.left is None or _any(self.left, left))
                and not _any(self.left_exceptions, left)
                and (self.right is None or _any(self.right, right))
                and not _any(self.right_exceptions, right))


def _any(exprs, value):
    return bool(exprs) and any(r.search(value) for r in exprs)


def _expr_list(text):
    out = []
    start, quoted = 0, False
    for i in range(len(text) + 1):
        c = text[i] if i < len(text) else ","
        if c == '"':
            quoted = not quoted
            continue
        if c != "," or (quoted and i < len(text)):
            continue
        word = text[start:i].strip(" \t")
        if word.startswith('"'):
            word = word[1:]
        if word.endswith('"'):
            word = word[:-1]
        if not word:
            raise RuleError("empty expression")
        if len(word) + 1 > EXPRESSION_LENGTH:
            raise RuleError("expression too long <%s>" % word)
        try:
            out.append(compile_ere(word, icase=True, newline=False))
        except (PosixReError, ValueError) as exc:
            raise RuleError("bad regular expression %r: %s" % (word, exc)) \
                from None
        start = i + 1
    return out


def _expression(text):
    """``(exprs or None for ALL, exceptions or None)``."""
    exc = None
    k = text.find(" EXCEPT ")
    if k >= 0:
        exc = _expr_list(text[k + 8:])
        text = text[:k]
    text = text.strip()
    if text == "ALL":
        return None, exc
    return _expr_list(text), exc


def parse_line(line):
    """The Rule of one line, None for an empty/comment line; raises
    RuleError."""
    colon, quoted, end, meaningful = -1, False, len(line), False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
            meaningful = True
        elif c == ":":
            if not quoted:
                colon = i
            meaningful = True
        elif c == "#" and not quoted or c == "\n":
            end = i
            break
        elif c not in " \t\r":
            meaningful = True
    if not meaningful:
        return None
    if not (0 < colon and colon + 1 < end):
        raise RuleError("failed to parse line")
    left, left_ex = _expression(line[:colon])
    right, right_ex = _expression(line[colon + 1:end].rstrip("\r\n"))
    return Rule(left, left_ex, right, right_ex)


def parse_rules(text, name="<rules>"):
    """The rules of a file's *text* (bad lines logged and skipped)."""
    rules = []
    for lineno, line in enumerate(text.splitlines(), 1):
        try:
            r = parse_line(line[:LINE_LENGTH])
        except RuleError as exc:
            LM_ERR("%s:%d: %s: %s", name, lineno, exc, line.strip())
            continue
        if r is not None:
            rules.append(r)
    return rules


def parse_file(path):
    """The rules of the file at *path*, or None when it cannot be read."""
    try:
        with open(path, "r", encoding="latin-1") as f:
            text = f.read()
    except OSError:
        LM_WARN("file not found: %s", path)
        return None
    return parse_rules(text, path)


def search_rule(rules, left, right):
    """True when one of *rules* matches ``(left, right)``."""
    if not rules:
        return False
    for r in rules:
        if r.matches(left, right):
            return True
    return False
