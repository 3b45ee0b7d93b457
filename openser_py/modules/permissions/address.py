"""allow_address() / allow_source_address(): the ``address`` table
(OpenSER ``permissions/address.c``, ``hash.c``).

Rows ``(grp, ip_addr, mask, port)`` are cached in shm (MI
``address_reload``).  As in 1.3 a ``/32`` row goes to the *address* table
(hashed on the 4 address bytes), any other mask to the *subnet* table
(kept sorted by group, 128 entries at most); port 0 matches any port.
IPv4 only.
"""
import socket
import struct

from openser_py.core.dprint import LM_CRIT, LM_ERR
from openser_py.modules.permissions.hash import PERM_HASH_SIZE, perm_hash

PERM_MAX_SUBNETS = 128
_U32 = struct.Struct(">I")


def ip4(text):
    """The IPv4 address *text* as an int, None if it is not one."""
    try:
        return _U32.unpack(socket.inet_aton(text.strip()))[0] \
            if text.count(".") == 3 else None
    except (OSError, AttributeError):
        return None


def _mask_bits(mask):
    return (0xFFFFFFFF << (32 - mask)) & 0xFFFFFFFF if mask else 0


def build_tables(rows):
    """``(addresses, subnets)`` from DB rows (grp, ip_addr, mask, port):
    addresses = [(grp, ip int, port)] in load order, subnets = [(grp, net
    int, mask, port)] sorted by group (stable)."""
    addrs, subnets = [], []
    for r in rows:
        grp, text, mask, port = r[0], r[1], r[2], r[3]
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        ip = ip4(text or "")
        try:
            grp, mask, port = int(grp), int(32 if mask is None else mask), \
                int(port or 0)
        except (TypeError, ValueError):
            ip = None
        if ip is None or not 0 <= mask <= 32:
            LM_ERR("bad address row %r (ignored)", tuple(r))
            continue
        if mask == 32:
            addrs.append((grp, ip, port))
        elif len(subnets) >= PERM_MAX_SUBNETS:
            LM_CRIT("subnet table is full")
        else:
            subnets.append((grp, ip & _mask_bits(mask), mask, port))
    subnets.sort(key=lambda s: s[0])
    return addrs, subnets


def build_view(value):
    """Process view: ({(grp, ip): [ports]}, subnets)."""
    addrs, subnets = value
    idx = {}
    for grp, ip, port in addrs:
        idx.setdefault((grp, ip), []).append(port)
    return idx, tuple(tuple(s) for s in subnets)


def match(view, grp, ip_text, port):
    """1 when (grp, ip, port) matches a cached address or subnet, else
    -1."""
    ip = ip4(ip_text or "")
    if ip is None or view is None:
        return -1
    idx, subnets = view
    ports = idx.get((grp, ip))
    if ports and any(p == 0 or p == port for p in ports):
        return 1
    for sgrp, net, mask, sport in subnets:
        if sgrp < grp:
            continue
        if sgrp > grp:
            break
        if ip & _mask_bits(mask) == net and (sport == 0 or sport == port):
            return 1
    return -1


def _ip_text(ip):
    return socket.inet_ntoa(_U32.pack(ip))


def address_dump_lines(addrs):
    """``%4d <grp, ip, port>`` per hash bucket (newest first)."""
    buckets = [[] for _ in range(PERM_HASH_SIZE)]
    for grp, ip, port in addrs:
        buckets[perm_hash(_U32.pack(ip))].insert(0, (grp, ip, port))
    return ["%4d <%u, %s, %u>" % (i, g, _ip_text(ip), p)
            for i, items in enumerate(buckets) for g, ip, p in items]


def subnet_dump_lines(subnets):
    """``%4d <grp, subnet, mask, port>`` in table order."""
    return ["%4d <%u, %s, %u, %u>" % (i, g, _ip_text(net), m, p)
            for i, (g, net, m, p) in enumerate(subnets)]
