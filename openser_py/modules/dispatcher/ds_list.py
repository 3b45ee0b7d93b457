"""Destination sets from the list file or the ``dispatcher`` table
(OpenSER ``ds_load_list`` / ``ds_load_db`` / ``add_dest2list``).

List file (1.3): one destination per line, ``<setid> <sip-uri>``; the set
id is a decimal number, the URI ends at the first white space or ``#``
(the rest of the line is ignored); empty lines and lines starting with
``#`` are skipped.  Every URI is parsed and its host resolved at load
time; a bad line fails the whole load with ``file:line`` in the error.

The loaded sets are a tuple of ``(setid, ((uri, ip, port), ...))`` in the
order 1.3 keeps them: sets newest first (each new set id is put in front),
destinations in file/table order.  ``port`` is the URI's port, or the
default one (5060, 5061 for sips) when it has none.
"""
from openser_py.core import forward
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri

_WS = " \t\r\n"


class DsListError(ValueError):
    """The list could not be loaded (message says where and why)."""


def parse_list_text(text, name="<list>"):
    """``[(setid, uri, lineno)]`` of a list file's *text*."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        p = line.lstrip(_WS)
        if not p or p[0] == "#":
            continue
        i = 0
        while i < len(p) and p[i].isdigit() and p[i].isascii():
            i += 1
        if i == 0:
            raise DsListError("%s:%d: bad set id in line %r"
                              % (name, lineno, line.strip()))
        setid = int(p[:i])
        rest = p[i:].lstrip(_WS)
        if not rest or rest[0] == "#":
            raise DsListError("%s:%d: bad line %r (no destination)"
                              % (name, lineno, line.strip()))
        j = 0
        while j < len(rest) and rest[j] not in " \t\r\n#":
            j += 1
        out.append((setid, rest[:j], lineno))
    return out


def read_list_file(path):
    """``[(setid, uri, lineno)]`` of the list file at *path*."""
    try:
        with open(path, "r", encoding="latin-1") as f:
            text = f.read()
    except OSError as exc:
        raise DsListError("can't open list file [%s]: %s"
                          % (path, exc.strerror)) from None
    return parse_list_text(text, path)


def resolve_dest(uri_text):
    """``(uri, ip, port)``; raises DsListError for a bad or unresolvable
    URI."""
    try:
        uri = parse_uri(uri_text)
    except SipParseError as exc:
        raise DsListError("bad uri [%s]: %s" % (uri_text, exc.reason)) \
            from None
    if uri.scheme not in ("sip", "sips") or not uri.host \
            or len(uri.host) > 254:
        raise DsListError("bad uri [%s]" % uri_text)
    ip = forward.resolve(uri.host)
    if ip is None:
        raise DsListError("could not resolve %s" % uri.host)
    port = uri.port_no or (5061 if uri.scheme == "sips" else 5060)
    return uri_text, ip, port


def build_sets(entries, where="<list>"):
    """Group ``(setid, uri, lineno)`` entries into the loaded-sets tuple."""
    order = []
    by_id = {}
    for setid, uri, lineno in entries:
        try:
            dest = resolve_dest(uri)
        except DsListError as exc:
            raise DsListError("%s:%s: %s" % (where, lineno, exc)) from None
        if setid not in by_id:
            by_id[setid] = []
            order.insert(0, setid)
        by_id[setid].append(dest)
    return tuple((s, tuple(by_id[s])) for s in order)


def load_file(path):
    """The sets of the list file at *path*; raises DsListError."""
    return build_sets(read_list_file(path), path)


def load_db(con, table, setid_col, dest_col):
    """The sets of the ``dispatcher`` table through *con*; raises
    DsListError (DbError passes through)."""
    con.use_table(table)
    res = con.query(None, None, None, [setid_col, dest_col])
    entries = []
    for n, row in enumerate(res.rows, 1):
        setid, uri = row[0], row[1]
        if isinstance(uri, bytes):
            uri = uri.decode("latin-1")
        if setid is None or not uri:
            raise DsListError("%s: row %d: bad set id or destination"
                              % (table, n))
        entries.append((int(setid), str(uri), "row %d" % n))
    return build_sets(entries, table)
