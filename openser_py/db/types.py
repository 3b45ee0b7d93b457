"""DB API value types, operators, errors and the result set (OpenSER db_val.h,
db_op.h, db_res.h).

Values are plain Python values -- ``int``, ``float``, ``str``, ``bytes``,
``datetime.datetime`` or ``None`` (NULL) -- and the ``DB_*`` constants only
name their OpenSER types (:func:`type_of` maps a value to its type).  Drivers
convert on the way in (:func:`to_db_value`) and out (:func:`from_db_value`):
DATETIME is always a naive local ``datetime``, BLOB is always ``bytes``.

Identifiers (table and column names) never come from SIP traffic, but they
are still validated with :data:`IDENT_RE` before they are quoted into SQL;
values are always passed as statement parameters.
"""
import datetime
import decimal
import re

# value types (db_val.h: DB_INT, DB_DOUBLE, DB_STRING, DB_STR, DB_DATETIME,
# DB_BLOB, DB_BITMAP)
DB_INT = 0
DB_DOUBLE = 1
DB_STRING = 2
DB_STR = 3
DB_DATETIME = 4
DB_BLOB = 5
DB_BITMAP = 6

DB_TYPE_NAMES = {
    DB_INT: "DB_INT", DB_DOUBLE: "DB_DOUBLE", DB_STRING: "DB_STRING",
    DB_STR: "DB_STR", DB_DATETIME: "DB_DATETIME", DB_BLOB: "DB_BLOB",
    DB_BITMAP: "DB_BITMAP",
}

# operators (db_op.h)
OP_EQ = "="
OP_LT = "<"
OP_GT = ">"
OP_LEQ = "<="
OP_GEQ = ">="
OP_NEQ = "!="
OPERATORS = frozenset((OP_EQ, OP_LT, OP_GT, OP_LEQ, OP_GEQ, OP_NEQ, "<>"))

# driver capabilities (db_cap.h); DbFunctions.cap is a set of these
DB_CAP_QUERY = "query"
DB_CAP_RAW_QUERY = "raw_query"
DB_CAP_INSERT = "insert"
DB_CAP_DELETE = "delete"
DB_CAP_UPDATE = "update"
DB_CAP_REPLACE = "replace"
DB_CAP_FETCH = "fetch"
DB_CAP_LAST_INSERTED_ID = "last_inserted_id"
DB_CAP_INSERT_UPDATE = "insert_update"
DB_CAP_ALL = frozenset((
    DB_CAP_QUERY, DB_CAP_RAW_QUERY, DB_CAP_INSERT, DB_CAP_DELETE,
    DB_CAP_UPDATE, DB_CAP_REPLACE, DB_CAP_FETCH, DB_CAP_LAST_INSERTED_ID,
    DB_CAP_INSERT_UPDATE))

IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

DATETIME_FMT = "%Y-%m-%d %H:%M:%S"


class DbError(Exception):
    """Any database error; the message includes the driver's cause."""


class DbConnectionError(DbError):
    """The server is unreachable or the connection was lost (after retry)."""


def check_ident(name, what="identifier"):
    """Return *name* if it is a valid SQL identifier, else raise DbError."""
    if not isinstance(name, str) or not IDENT_RE.match(name):
        raise DbError("invalid %s %r (must match [A-Za-z_][A-Za-z0-9_]*)"
                      % (what, name))
    return name


def type_of(value):
    """Return the ``DB_*`` type of a Python value (None for NULL)."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, int):
        return DB_INT
    if isinstance(value, float):
        return DB_DOUBLE
    if isinstance(value, str):
        return DB_STR
    if isinstance(value, (bytes, bytearray, memoryview)):
        return DB_BLOB
    if isinstance(value, datetime.datetime):
        return DB_DATETIME
    raise DbError("unsupported value type %s" % type(value).__name__)


def naive_local(dt):
    """A ``datetime`` as naive local time (aware ones are converted)."""
    if dt.tzinfo is not None:
        dt = dt.astimezone().replace(tzinfo=None)
    return dt


def format_datetime(dt):
    """``YYYY-MM-DD HH:MM:SS[.ffffff]`` (MySQL's DATETIME text form)."""
    dt = naive_local(dt)
    text = dt.strftime(DATETIME_FMT)
    if dt.microsecond:
        text += ".%06d" % dt.microsecond
    return text


def parse_datetime(text):
    """Parse the DATETIME text form (also ``T``-separated ISO); None if bad."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    try:
        return datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def to_db_value(value):
    """Normalise one parameter for a driver (bool -> int, aware datetimes ->
    naive local, bytearray/memoryview -> bytes); raise DbError on others."""
    if value is None or isinstance(value, (int, float, str, bytes)):
        if isinstance(value, bool):
            return int(value)
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, datetime.datetime):
        return naive_local(value)
    raise DbError("unsupported value type %s" % type(value).__name__)


def from_db_value(value):
    """Normalise one value read from a driver (memoryview -> bytes,
    Decimal -> int or float, aware datetime -> naive local)."""
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, decimal.Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return naive_local(value)
    return value


class DbResult:
    """A query result (OpenSER ``db_res_t``): column names and row tuples.

    ``len(res)`` is the row count and iterating yields the rows.
    ``affected`` is the driver's row count for statements that return no
    rows (``-1`` when unknown).
    """
    __slots__ = ("col_names", "rows", "affected")

    def __init__(self, col_names=None, rows=None, affected=-1):
        self.col_names = list(col_names or ())
        self.rows = list(rows or ())
        self.affected = affected

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def __bool__(self):
        return bool(self.rows)

    def __repr__(self):
        return "<DbResult %d rows, cols=%r>" % (len(self.rows), self.col_names)

    def as_dicts(self):
        """The rows as ``{column: value}`` dicts."""
        return [dict(zip(self.col_names, row)) for row in self.rows]
