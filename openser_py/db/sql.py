"""SQL statement builders shared by the drivers (OpenSER db/db_ut.c).

A :class:`Dialect` knows how to quote an identifier and which placeholder
its driver uses.  Builders return ``(sql, params)``: identifiers are checked
against :data:`~openser_py.db.types.IDENT_RE` and quoted, values only ever
travel as parameters.  A ``None`` value compared with ``=`` / ``!=`` becomes
``IS NULL`` / ``IS NOT NULL`` (``= NULL`` would never match).
"""
from openser_py.db.types import (OPERATORS, OP_EQ, DbError, check_ident,
                                 to_db_value)


def _check_lists(keys, vals, what):
    keys = list(keys or ())
    vals = list(vals or ())
    if len(keys) != len(vals):
        raise DbError("%s: %d keys but %d values" % (what, len(keys),
                                                     len(vals)))
    return keys, vals


class Dialect:
    """Identifier quoting and placeholder style of one SQL dialect."""

    def __init__(self, name, quote_char, placeholder):
        self.name = name
        self.quote_char = quote_char
        self.placeholder = placeholder

    def quote(self, ident, what="column"):
        """Validate and quote a table or column name."""
        check_ident(ident, what)
        return "%s%s%s" % (self.quote_char, ident, self.quote_char)

    def cols(self, cols):
        """A quoted, comma separated column list."""
        return ", ".join(self.quote(c) for c in cols)

    def where(self, keys, ops, vals):
        """``(" WHERE ...", params)``, or ``("", [])`` for no keys."""
        keys, vals = _check_lists(keys, vals, "where")
        if not keys:
            return "", []
        ops = list(ops) if ops else [OP_EQ] * len(keys)
        if len(ops) != len(keys):
            raise DbError("where: %d keys but %d operators"
                          % (len(keys), len(ops)))
        terms, params = [], []
        for key, op, val in zip(keys, ops, vals):
            op = op or OP_EQ
            if op not in OPERATORS:
                raise DbError("unsupported operator %r" % (op,))
            col = self.quote(key)
            if val is None and op == OP_EQ:
                terms.append("%s IS NULL" % col)
            elif val is None and op in ("!=", "<>"):
                terms.append("%s IS NOT NULL" % col)
            else:
                terms.append("%s %s %s" % (col, op, self.placeholder))
                params.append(to_db_value(val))
        return " WHERE " + " AND ".join(terms), params

    def order_by(self, order):
        """`` ORDER BY ...`` from a column name, ``"col DESC"`` or a list."""
        if not order:
            return ""
        items = [order] if isinstance(order, str) else list(order)
        out = []
        for item in items:
            parts = item.split()
            if len(parts) == 2 and parts[1].upper() in ("ASC", "DESC"):
                out.append("%s %s" % (self.quote(parts[0]), parts[1].upper()))
            elif len(parts) == 1:
                out.append(self.quote(parts[0]))
            else:
                raise DbError("invalid order by %r" % (item,))
        return " ORDER BY " + ", ".join(out)

    def select(self, table, cols, keys, ops, vals, order=None, limit=None):
        """SELECT cols FROM table WHERE ... ORDER BY ... [LIMIT n]."""
        what = self.cols(cols) if cols else "*"
        where, params = self.where(keys, ops, vals)
        sql = "SELECT %s FROM %s%s%s" % (what, self.quote(table, "table"),
                                         where, self.order_by(order))
        if limit is not None:
            sql += " LIMIT %d" % int(limit)
        return sql, params

    def insert(self, table, keys, vals, verb="INSERT INTO"):
        """INSERT INTO table (keys) VALUES (...) (or REPLACE INTO ...)."""
        keys, vals = _check_lists(keys, vals, "insert")
        if not keys:
            raise DbError("insert: no columns")
        sql = "%s %s (%s) VALUES (%s)" % (
            verb, self.quote(table, "table"), self.cols(keys),
            ", ".join([self.placeholder] * len(keys)))
        return sql, [to_db_value(v) for v in vals]

    def update(self, table, keys, ops, vals, ukeys, uvals):
        """UPDATE table SET ukeys=uvals WHERE keys ops vals."""
        ukeys, uvals = _check_lists(ukeys, uvals, "update")
        if not ukeys:
            raise DbError("update: no columns to set")
        sets = ", ".join("%s = %s" % (self.quote(k), self.placeholder)
                         for k in ukeys)
        where, wparams = self.where(keys, ops, vals)
        sql = "UPDATE %s SET %s%s" % (self.quote(table, "table"), sets, where)
        return sql, [to_db_value(v) for v in uvals] + wparams

    def delete(self, table, keys, ops, vals):
        """DELETE FROM table WHERE ... (no keys: every row)."""
        where, params = self.where(keys, ops, vals)
        return "DELETE FROM %s%s" % (self.quote(table, "table"), where), params

    def upsert(self, table, keys, vals, target, excluded="EXCLUDED"):
        """INSERT ... ON CONFLICT (target) DO UPDATE SET c = EXCLUDED.c for
        every column not in *target* (DO NOTHING when there is none)."""
        sql, params = self.insert(table, keys, vals)
        rest = [k for k in keys if k not in target]
        sql += " ON CONFLICT (%s) DO " % self.cols(target)
        if rest:
            sql += "UPDATE SET " + ", ".join(
                "%s = %s.%s" % (self.quote(k), excluded, self.quote(k))
                for k in rest)
        else:
            sql += "NOTHING"
        return sql, params


def pick_unique_key(unique_keys, keys):
    """The first unique key (column tuple) whose columns are all in *keys*."""
    have = set(keys)
    for cols in unique_keys:
        if cols and set(cols) <= have:
            return cols
    return None


def qmark_to_format(sql, backslash_escapes=False):
    """Turn ``?`` placeholders into ``%s`` (and ``%`` into ``%%``) outside
    quoted strings, identifiers and comments, for PyMySQL and psycopg2.
    *backslash_escapes*: ``\\'`` does not end a string (MySQL)."""
    out = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`":
            j = i + 1
            while j < n:
                if sql[j] == "\\" and c == "'" and backslash_escapes:
                    j += 2
                    continue
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1].replace("%", "%%"))
            i = j + 1
        elif c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j].replace("%", "%%"))
            i = j
        elif c == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(sql[i:j].replace("%", "%%"))
            i = j
        elif c == "?":
            out.append("%s")
            i += 1
        elif c == "%":
            out.append("%%")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)
