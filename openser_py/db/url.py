"""``db_url`` parsing (OpenSER db/db_id.c), with the password masked.

Forms::

    mysql://user:password@host:port/database
    postgres://user@host/database          (also postgresql://)
    sqlite:///absolute/path/openser.db
    sqlite://relative/path.db              (relative to the working
                                            directory of the process)

User, password and port are optional; user and password may be
percent-encoded, and the password may itself contain ``@``, ``:`` or ``/``
(the last ``@`` ends it).  An IPv6 host is written in brackets.  ``str()``
and ``repr()`` of a :class:`DbUrl` show ``***`` instead of the password, and
:func:`mask_url` does the same for any URL text, so URLs can be logged.
"""
import re
from urllib.parse import unquote

from openser_py.db.types import DbError

_MASK_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:@/]*:)(.*)(@[^@]*)$",
                      re.S)
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.S)

SQLITE_SCHEMES = ("sqlite",)
SERVER_SCHEMES = ("mysql", "postgres", "postgresql")


def mask_url(url):
    """Return *url* text with the password (if any) replaced by ``***``."""
    if not isinstance(url, str):
        return repr(url)
    m = _MASK_RE.match(url)
    if not m:
        return url
    return "%s***%s" % (m.group(1), m.group(3))


class DbUrl:
    """A parsed database URL.

    Attributes: ``scheme`` (lower case), ``user``, ``password``, ``host``,
    ``port`` (int or None), ``database`` (server schemes) and ``path``
    (sqlite; ``None`` otherwise).
    """
    __slots__ = ("scheme", "user", "password", "host", "port", "database",
                 "path", "text")

    def __init__(self, text):
        self.text = text
        self.user = self.password = self.host = self.port = None
        self.database = self.path = None
        if not isinstance(text, str) or not text.strip():
            raise DbError("invalid db_url %s: empty" % mask_url(text))
        m = _SCHEME_RE.match(text.strip())
        if not m:
            raise DbError("invalid db_url %s: expected scheme://..."
                          % mask_url(text))
        self.scheme = m.group(1).lower()
        rest = m.group(2)
        if self.scheme in SQLITE_SCHEMES:
            self._parse_sqlite(rest)
        else:
            self._parse_server(rest)

    def _bad(self, why):
        return DbError("invalid db_url %s: %s" % (mask_url(self.text), why))

    def _parse_sqlite(self, rest):
        if "?" in rest or "#" in rest:
            raise self._bad("query strings are not supported")
        if not rest or rest == "/":
            raise self._bad("no database file")
        # sqlite:///abs -> "/abs"; sqlite://rel.db -> "rel.db"
        self.path = unquote(rest)

    def _parse_server(self, rest):
        if "@" in rest:
            userinfo, hostpart = rest.rsplit("@", 1)
            user, sep, password = userinfo.partition(":")
            self.user = unquote(user) or None
            self.password = unquote(password) if sep else None
        else:
            hostpart = rest
        hostport, slash, database = hostpart.partition("/")
        if not slash or not database:
            raise self._bad("no database name")
        if "/" in database or "?" in database:
            raise self._bad("bad database name %r" % database)
        self.database = unquote(database)
        if hostport.startswith("["):
            host, sep, after = hostport[1:].partition("]")
            if not sep:
                raise self._bad("unterminated [IPv6] host")
            if after and not after.startswith(":"):
                raise self._bad("junk after [IPv6] host")
            port = after[1:] if after else None
        else:
            host, sep, port = hostport.partition(":")
            port = port if sep else None
        if not host:
            raise self._bad("no host")
        self.host = host
        if port is not None:
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise self._bad("bad port %r" % port)
            self.port = int(port)

    def masked(self):
        """The URL text with the password replaced by ``***``."""
        if self.scheme in SQLITE_SCHEMES:
            return self.text
        out = self.scheme + "://"
        if self.user is not None or self.password is not None:
            out += self.user or ""
            if self.password is not None:
                out += ":***"
            out += "@"
        out += "[%s]" % self.host if ":" in self.host else self.host
        if self.port is not None:
            out += ":%d" % self.port
        return out + "/" + self.database

    def __str__(self):
        return self.masked()

    def __repr__(self):
        return "DbUrl(%r)" % self.masked()

    def __eq__(self, other):
        return isinstance(other, DbUrl) and other.text == self.text

    def __hash__(self):
        return hash(self.text)


def parse_url(url):
    """Return a :class:`DbUrl` for *url* (a DbUrl is returned unchanged)."""
    return url if isinstance(url, DbUrl) else DbUrl(url)
