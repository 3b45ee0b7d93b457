"""The portable SQL dump written by ``openserdbctl backup`` and replayed by
``restore``/``copy`` -- no mysqldump/pg_dump needed.

Format (plain SQL, one statement per line)::

    -- openserdbctl backup of MYSQL database openser
    -- tables: version subscriber location
    DELETE FROM subscriber;
    INSERT INTO subscriber (id, username, ...) VALUES (1, 'alice', ...);

Values are SQL literals: ``NULL``, numbers, ``'text'`` (quotes doubled,
no backslash escapes), ``X'hex'`` for binary data, datetimes as
``'YYYY-MM-DD HH:MM:SS'``.  ``restore`` does not hand the file to a SQL
server: :func:`parse` reads it back into (table, columns, values) and the
rows are inserted with parameters, so a dump taken on one engine restores
on another.
"""
import re

from .ddl import literal
from .model import IDENT_RE

_INSERT_RE = re.compile(r"INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)\s*"
                        r"\(([^)]*)\)\s*VALUES\s*\(", re.I)
_DELETE_RE = re.compile(r"DELETE\s+FROM\s+([A-Za-z_][A-Za-z0-9_]*)\s*$", re.I)
_NUM_RE = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class DumpError(ValueError):
    """The dump file is not in the format :func:`write` produces."""


def header(engine_name, dbname, tables, stamp):
    """The comment block at the top of a dump."""
    return ("-- openserdbctl backup of %s database %s\n"
            "-- written %s by openser_py\n"
            "-- tables: %s\n"
            "-- restore with: openserdbctl restore FILE\n"
            % (engine_name, dbname, stamp, " ".join(tables)))


def table_block(table, columns, rows):
    """Yield the lines of one table: ``DELETE`` then one ``INSERT`` per row."""
    yield "\n-- table %s\n" % table
    yield "DELETE FROM %s;\n" % table
    head = "INSERT INTO %s (%s) VALUES (" % (table, ", ".join(columns))
    for row in rows:
        yield head + ", ".join(literal(v) for v in row) + ");\n"


def _literal_at(text, i, lineno):
    """Parse one literal at text[i]; return (value, next index)."""
    ch = text[i]
    if ch == "'":
        buf, j = [], i + 1
        while True:
            k = text.find("'", j)
            if k < 0:
                raise DumpError("line %d: unterminated string" % lineno)
            buf.append(text[j:k])
            if text.startswith("''", k):
                buf.append("'")
                j = k + 2
                continue
            return "".join(buf), k + 1
    if ch in "xX" and text.startswith("'", i + 1):
        k = text.find("'", i + 2)
        if k < 0:
            raise DumpError("line %d: unterminated X'' literal" % lineno)
        try:
            return bytes.fromhex(text[i + 2:k]), k + 1
        except ValueError:
            raise DumpError("line %d: bad hex literal" % lineno) from None
    if text[i:i + 4].upper() == "NULL":
        return None, i + 4
    m = _NUM_RE.match(text, i)
    if not m:
        raise DumpError("line %d: unexpected %r" % (lineno, text[i:i + 20]))
    num = m.group(0)
    value = float(num) if any(c in num for c in ".eE") else int(num)
    return value, m.end()


def _values(text, i, lineno):
    """Parse ``v1, v2, ...)`` starting after the ``(``; return (list, end)."""
    values, n = [], len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            raise DumpError("line %d: unterminated VALUES" % lineno)
        if text[i] == ")" and not values:
            return values, i + 1
        value, i = _literal_at(text, i, lineno)
        values.append(value)
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == ")":
            return values, i + 1
        raise DumpError("line %d: expected , or ) in VALUES" % lineno)


def parse(text):
    """Parse a dump into a list of ``("delete", table, None, None)`` and
    ``("insert", table, columns, values)`` tuples (DumpError if malformed)."""
    out, i, n, lineno = [], 0, len(text), 1
    while i < n:
        if text[i] in " \t\r\n":
            lineno += text[i] == "\n"
            i += 1
            continue
        if text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        start_line = lineno
        m = _INSERT_RE.match(text, i)
        if m:
            cols = [c.strip() for c in m.group(2).split(",")]
            if not all(IDENT_RE.match(c) for c in cols):
                raise DumpError("line %d: bad column list" % start_line)
            values, j = _values(text, m.end(), start_line)
            if len(values) != len(cols):
                raise DumpError("line %d: %d columns but %d values"
                                % (start_line, len(cols), len(values)))
            out.append(("insert", m.group(1), cols, values))
        else:
            j = text.find(";", i)
            stmt = text[i:j if j >= 0 else n].strip()
            d = _DELETE_RE.match(stmt)
            if not d:
                raise DumpError("line %d: unsupported statement: %s"
                                % (start_line, stmt[:60]))
            out.append(("delete", d.group(1), None, None))
            j = i + len(text[i:j if j >= 0 else n])
        lineno += text.count("\n", i, j)
        while j < n and text[j] in " \t":
            j += 1
        if j >= n or text[j] != ";":
            raise DumpError("line %d: missing ';'" % start_line)
        i = j + 1
    return out


def tables_in(statements):
    """Table names of parsed *statements*, in first-seen order."""
    return list(dict.fromkeys(s[1] for s in statements))
