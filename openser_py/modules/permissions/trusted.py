"""allow_trusted(): the ``trusted`` table (OpenSER ``permissions/trusted.c``,
``hash.c``).

A request is trusted when a row has its source IP, a protocol that is
``any`` or the request's transport (``none`` never matches), and a
``from_pattern`` that is NULL or (POSIX ERE, case-insensitive) matches
the From URI.  The ``tag`` of the matching row goes to ``peer_tag_avp``.
``db_mode=0`` queries the table for every check; ``db_mode=1`` keeps the
rows in shm (:class:`openser_py.mem.shvalue.SharedValue`; MI ``trusted_reload``) and each
process indexes them by source IP.
"""
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.ip_addr import PROTO_BY_NAME
from openser_py.core.posix_re import PosixReError, compile_ere
from openser_py.modules.permissions.hash import PERM_HASH_SIZE, perm_hash

PROTO_ANY = 0
PROTO_NEVER = -1


def proto_value(text):
    """Protocol column text -> int (any 0, udp 1, tcp 2, tls 3, sctp 4,
    none -1); None if unknown."""
    t = (text or "").strip().lower()
    if t == "any":
        return PROTO_ANY
    if t == "none":
        return PROTO_NEVER
    return PROTO_BY_NAME.get(t)


def _s(v):
    if isinstance(v, bytes):
        v = v.decode("latin-1")
    return None if v is None else str(v)


def rows_from_result(rows):
    """``[(src_ip, proto int, pattern|None, tag|None)]`` of DB rows
    (src_ip, proto, from_pattern, tag); unknown protocols are skipped."""
    out = []
    for r in rows:
        src, proto = _s(r[0]), proto_value(_s(r[1]))
        if not src or proto is None:
            LM_ERR("bad trusted row %r (ignored)", tuple(r))
            continue
        out.append((src, proto, _s(r[2]) or None, _s(r[3]) or None))
    return out


def _compile(pattern):
    try:
        return compile_ere(pattern, icase=True, newline=False)
    except (PosixReError, ValueError) as exc:
        LM_ERR("invalid from_pattern %r: %s", pattern, exc)
        return None


def build_index(rows):
    """Process view of the cached rows: src_ip -> [(proto, regex or None,
    pattern, tag)]."""
    idx = {}
    for src, proto, pattern, tag in rows or ():
        rx = _compile(pattern) if pattern else None
        if pattern and rx is None:
            continue
        idx.setdefault(src, []).append((proto, rx, pattern, tag))
    return idx


def match_rows(cands, proto, from_uri):
    """The tag (or "") of the first candidate row that matches; None."""
    for row_proto, rx, pattern, tag in cands:
        if row_proto == PROTO_NEVER or (row_proto != PROTO_ANY
                                        and row_proto != proto):
            continue
        if pattern is not None:
            if rx is None:
                rx = _compile(pattern)
            if rx is None or from_uri is None or not rx.search(from_uri):
                continue
        LM_DBG("trusted row matched (pattern %s)", pattern)
        return tag or ""
    return None


def dump_lines(rows):
    """1.3's ``trusted_dump`` lines: ``%4d <src_ip, proto, pattern, tag>``
    per hash bucket, newest first within a bucket."""
    buckets = [[] for _ in range(PERM_HASH_SIZE)]
    for src, proto, pattern, tag in rows or ():
        buckets[perm_hash(src)].insert(0, (src, proto, pattern, tag))
    out = []
    for i, items in enumerate(buckets):
        for src, proto, pattern, tag in items:
            out.append("%4d <%s, %d, %s, %s>" % (
                i, src, proto, pattern if pattern else "NULL",
                tag if tag else "NULL"))
    return out
