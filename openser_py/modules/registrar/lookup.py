"""``lookup("table")`` and ``registered("table")`` (OpenSER ``lookup.c``).

lookup: the AOR of the current Request-URI is looked up; the first valid
contact (that supports the request's method, with ``method_filtering``)
becomes the new R-URI, with its q, branch flags, forced socket and
destination (first Path URI with the path vector, else its ``received``);
with ``append_branches`` every further valid contact is appended as a
branch carrying the same values.  Returns 1 found, -1 not found / none
valid, -2 only contacts not supporting the method, -3 error.
"""
import time

from openser_py.core import dset
from openser_py.core import flags as msgflags
from openser_py.core.dprint import LM_ERR
from openser_py.core.forward import get_sockets
from openser_py.modules.registrar import sip_msg
from openser_py.modules.registrar.reg_mod import cfg, state
from openser_py.modules.registrar.rerrno import RegError
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_nameaddr import parse_nameaddr_list

__all__ = ["lookup", "registered", "path_dst_uri"]


def _ruri_aor(msg):
    return sip_msg.extract_aor(dset.get_request_uri(msg), state.ul.use_domain,
                               cfg.case_sensitive, cfg.realm_prefix)


def _find_socket(text):
    if not text:
        return None
    for s in get_sockets():
        if str(s) == text:
            return s
    return None


def path_dst_uri(path):
    """The URI of the first entry of a path vector (``get_path_dst_uri``)."""
    try:
        entries = parse_nameaddr_list(path)
    except SipParseError:
        return None
    return entries[0].uri if entries else None


def lookup(msg, d, now=None):
    """The script function; see the module doc."""
    now = int(time.time()) if now is None else now
    ul = state.ul
    try:
        aor = _ruri_aor(msg)
    except RegError as exc:
        LM_ERR("registrar: lookup: bad R-URI AOR: %s", exc)
        return -3
    try:
        rec = ul.get_urecord(d, aor)
    except ul.UlError as exc:
        LM_ERR("registrar: lookup of %s failed: %s", aor, exc)
        return -3
    if rec is None:
        return -1
    method = int(msg.method_id) if msg.method_id else 0
    found, skipped = [], False
    for c in rec.valid_contacts(now):
        if cfg.method_filtering and method and not c.methods & method:
            skipped = True
            continue
        found.append(c)
    if not found:
        return -2 if skipped else -1
    first = found[0]
    dset.rewrite_uri(msg, first.c)
    if first.path:
        dst = path_dst_uri(first.path)
        if dst is None:
            LM_ERR("registrar: bad stored path %r", first.path)
            return -3
        msg.path_vec = first.path
        msg.dst_uri = dst
    elif first.received:
        msg.dst_uri = first.received
    dset.set_ruri_q(first.q)
    msgflags.setb0flags(msg, first.cflags)
    sock = _find_socket(first.sock)
    if sock is not None:
        msg.force_send_socket = sock
    if cfg.append_branches:
        for c in found[1:]:
            dst = path_dst_uri(c.path) if c.path else (c.received or None)
            rc = dset.append_branch(msg, c.c, dst, c.path or None, c.q,
                                    c.cflags, _find_socket(c.sock))
            if rc < 0:
                LM_ERR("registrar: cannot append branch %s (%d)", c.c, rc)
                break
    return 1


def registered(msg, d, now=None):
    """1 if the R-URI's AOR has a valid contact, else -1."""
    now = int(time.time()) if now is None else now
    ul = state.ul
    try:
        rec = ul.get_urecord(d, _ruri_aor(msg))
    except (RegError, ul.UlError) as exc:
        LM_ERR("registrar: registered() failed: %s", exc)
        return -1
    if rec is not None and rec.valid_contacts(now):
        return 1
    return -1


def add_sock_hdr(msg, name):
    """Add ``name: proto:ip:port`` with the receiving socket; 1 / -1."""
    from openser_py.parser.data_lump import add_header
    text = sip_msg.socket_str(msg)
    if not text:
        return -1
    add_header(msg, "%s: %s\r\n" % (name, text))
    return 1
