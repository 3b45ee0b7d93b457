"""db_postgres: the DB API over psycopg2 (PostgreSQL).

Connections are in autocommit mode.  PostgreSQL has no ``REPLACE``; both
``replace`` and ``insert_update`` are built on the table's unique keys,
looked up once in the catalog (``pg_index``: primary key first, then other
unique indexes/constraints by name) and cached per connection:

* ``insert_update``: ``INSERT ... ON CONFLICT (k) DO UPDATE SET c =
  EXCLUDED.c`` on the first unique key whose columns are all given; a plain
  INSERT when there is none.
* ``replace`` has MySQL's REPLACE result (the colliding row is replaced by
  the new one; columns not given get their defaults, e.g. a new SERIAL id):
  when exactly one unique key is covered by the given columns it is ``ON
  CONFLICT (k) DO UPDATE SET c = EXCLUDED.c, other = DEFAULT`` (atomic);
  when several are, REPLACE is done literally -- DELETE every row that
  collides on any of them, then INSERT, in one transaction; a plain INSERT
  when none is.

``last_inserted_id`` is ``lastval()`` (the last sequence value this session
produced, e.g. a SERIAL id; 0 if none).
"""
import psycopg2

from openser_py.db.backend import Backend
from openser_py.db.sql import Dialect, pick_unique_key, qmark_to_format
from openser_py.db.types import IDENT_RE, to_db_value

CONNECT_TIMEOUT = 5

_UNIQUE_KEYS_SQL = """
SELECT array(SELECT a.attname
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(n, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
             ORDER BY k.ord)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = to_regclass(%s) AND i.indisunique
  AND i.indpred IS NULL AND i.indexprs IS NULL
ORDER BY i.indisprimary DESC, ic.relname
"""


_COLUMNS_SQL = """
SELECT attname FROM pg_attribute
WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped
ORDER BY attnum
"""


class PostgresBackend(Backend):
    """One psycopg2 connection of this process."""
    module = "db_postgres"
    dialect = Dialect("postgres", '"', "%s")

    def _connect(self):
        u = self.url
        kw = dict(host=u.host, dbname=u.database,
                  connect_timeout=CONNECT_TIMEOUT,
                  application_name="openser_py")
        if u.port:
            kw["port"] = u.port
        if u.user:
            kw["user"] = u.user
        if u.password is not None:
            kw["password"] = u.password
        raw = psycopg2.connect(**kw)
        raw.autocommit = True
        raw.set_client_encoding("UTF8")
        return raw

    def _fileno(self, raw):
        return None if raw.closed else raw.fileno()

    def _is_lost(self, exc, raw):
        return (isinstance(exc, (psycopg2.OperationalError,
                                 psycopg2.InterfaceError))
                and raw.closed != 0)

    def _describe(self, exc):
        text = "; ".join(line.strip() for line in str(exc).splitlines()
                         if line.strip())
        return text or type(exc).__name__

    def raw_sql(self, sql):
        return qmark_to_format(sql)

    def _unique_keys_of(self, raw, table):
        cur = raw.cursor()
        try:
            cur.execute(_UNIQUE_KEYS_SQL, (self.dialect.quote(table, "table"),))
            return [tuple(row[0]) for row in cur.fetchall()]
        finally:
            cur.close()

    def table_columns(self, table):
        """The table's column names in order (cached)."""
        key = ("columns", table)
        cols = self.key_cache.get(key)
        if cols is None:
            def fn(raw):
                cur = raw.cursor()
                try:
                    cur.execute(_COLUMNS_SQL,
                                (self.dialect.quote(table, "table"),))
                    return [r[0] for r in cur.fetchall()]
                finally:
                    cur.close()
            cols = self.key_cache[key] = self.run(fn)
        return cols

    def last_inserted_id(self):
        def fn(raw):
            cur = raw.cursor()
            try:
                cur.execute("SELECT lastval()")
                return int(cur.fetchone()[0])
            except psycopg2.errors.ObjectNotInPrerequisiteState:
                return 0
            finally:
                cur.close()
        return self.run(fn)

    def insert_update(self, table, keys, vals):
        target = pick_unique_key(self.unique_keys(table), keys)
        if target is None:
            sql, params = self.dialect.insert(table, keys, vals)
        else:
            sql, params = self.dialect.upsert(table, keys, vals, target)
        return self.execute(sql, params).affected

    def replace(self, table, keys, vals):
        have = set(keys)
        covered = [k for k in self.unique_keys(table) if set(k) <= have]
        if not covered:
            return self.execute(*self.dialect.insert(table, keys, vals)
                                ).affected
        if len(covered) == 1:
            sql, params = self.dialect.upsert(table, keys, vals, covered[0])
            q = self.dialect.quote
            others = [c for c in self.table_columns(table)
                      if c not in have and _plain(c)]
            if others:
                sets = ", ".join("%s = DEFAULT" % q(c) for c in others)
                if sql.endswith("DO NOTHING"):
                    sql = sql[:-len("NOTHING")] + "UPDATE SET " + sets
                else:
                    sql += ", " + sets
            return self.execute(sql, params).affected
        # several unique keys: delete every colliding row, then insert
        value = dict(zip(keys, vals))
        terms, params = [], []
        for cols in covered:
            if any(value[c] is None for c in cols):
                continue          # NULLs never collide in a unique index
            terms.append("(%s)" % " AND ".join(
                "%s = %%s" % self.dialect.quote(c) for c in cols))
            params += [to_db_value(value[c]) for c in cols]
        insert = self.dialect.insert(table, keys, vals)
        if not terms:
            return self.execute(*insert).affected
        delete = ("DELETE FROM %s WHERE %s" % (
            self.dialect.quote(table, "table"), " OR ".join(terms)), params)
        return self.transaction([delete, insert]).affected


def _plain(name):
    return bool(IDENT_RE.match(name))
