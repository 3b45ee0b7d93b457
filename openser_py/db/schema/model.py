"""Schema model: :class:`Column`, :class:`Key` and :class:`Table`.

The types are abstract (``INT``, ``SMALLINT``, ``TINYINT``, ``FLOAT``,
``STRING``, ``TEXT``, ``BLOB``, ``DATETIME``); :mod:`.ddl` renders them for
MySQL, PostgreSQL and SQLite the way OpenSER 1.3's creation scripts do.
"""
import re

INT = "int"
SMALLINT = "smallint"
TINYINT = "tinyint"
FLOAT = "float"
STRING = "string"
TEXT = "text"
BLOB = "blob"
DATETIME = "datetime"
TYPES = (INT, SMALLINT, TINYINT, FLOAT, STRING, TEXT, BLOB, DATETIME)


class _NoDefault:
    """Marker: the column has no DEFAULT clause."""

    def __repr__(self):
        return "NO_DEFAULT"

    def __bool__(self):
        return False


NO_DEFAULT = _NoDefault()

IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def check_ident(name):
    """Return *name* if it is a plain SQL identifier, else raise ValueError."""
    if not isinstance(name, str) or not IDENT_RE.match(name):
        raise ValueError("invalid SQL identifier %r" % (name,))
    return name


class Column:
    """One column.

    *size* is the VARCHAR length, the MySQL display width of integer types
    (``INT(11)``) or the ``"M,D"`` precision of ``FLOAT``.  *default* is
    :data:`NO_DEFAULT` (no DEFAULT clause), ``None`` (``DEFAULT NULL``) or a
    Python value (``str``, ``int``, ``float``).
    """

    __slots__ = ("name", "type", "size", "null", "default", "unsigned",
                 "autoinc", "primary", "doc")

    def __init__(self, name, type, size=None, null=False, default=NO_DEFAULT,
                 unsigned=False, autoinc=False, primary=False, doc=""):
        if type not in TYPES:
            raise ValueError("unknown column type %r" % (type,))
        self.name = check_ident(name)
        self.type = type
        self.size = size
        self.null = null
        self.default = default
        self.unsigned = unsigned
        self.autoinc = autoinc
        self.primary = primary or autoinc
        self.doc = doc

    @property
    def has_default(self):
        """True when the column has a DEFAULT clause (possibly NULL)."""
        return self.default is not NO_DEFAULT

    def __repr__(self):
        return "Column(%r, %r, %r)" % (self.name, self.type, self.size)


class Key:
    """A UNIQUE key or a plain index over *columns*, named as in 1.3."""

    __slots__ = ("name", "columns", "unique")

    def __init__(self, name, columns, unique=False):
        self.name = check_ident(name)
        self.columns = tuple(check_ident(c) for c in columns)
        self.unique = unique

    def __repr__(self):
        return "Key(%r, %r, unique=%r)" % (self.name, self.columns, self.unique)


class Table:
    """One table: its columns, keys, ``version`` row and owning module."""

    def __init__(self, name, version, module, columns, keys=(), doc="",
                 group="standard"):
        self.name = check_ident(name)
        self.version = version
        self.module = module
        self.columns = list(columns)
        self.keys = list(keys)
        self.doc = doc
        self.group = group
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("%s: duplicate column" % name)
        for key in self.keys:
            for col in key.columns:
                if col not in names:
                    raise ValueError("%s.%s: key on unknown column %s"
                                     % (name, key.name, col))

    def column(self, name):
        """Return the :class:`Column` called *name* (KeyError if absent)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError("%s.%s" % (self.name, name))

    @property
    def column_names(self):
        """Column names in table order."""
        return [c.name for c in self.columns]

    @property
    def primary_key(self):
        """Names of the primary-key columns (empty for ``version``)."""
        return [c.name for c in self.columns if c.primary]

    @property
    def autoinc_column(self):
        """The AUTO_INCREMENT/SERIAL column, or None."""
        for col in self.columns:
            if col.autoinc:
                return col
        return None

    def __repr__(self):
        return "Table(%r, version=%r)" % (self.name, self.version)
