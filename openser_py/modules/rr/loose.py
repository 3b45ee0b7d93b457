"""Route processing (OpenSER ``modules/rr/loose.c``, ``rr_cb.c``).

:func:`loose_route` implements RFC 3261 §16.4 (route information
preprocessing) and §16.12 (processing of Route header fields, including
the strict-router compatibility of §16.12.1.2 and §16.6 step 6), the way
OpenSER 1.3 does it.  It returns 1 when the next hop comes from the route
set, -1 when it does not (no Route, or the request must be routed by the
script), -1 on error as well.

* Preloaded request (To without tag, §16.4/§12): "after loose" with the
  1.3 exception -- when the only Route value(s) are ours they are removed
  and -1 is returned, so the script routes the request itself.
* In-dialog request whose R-URI is us (the previous hop was a strict
  router, §16.4): "after strict".
* Otherwise "after loose".

After loose: when the topmost Route URI is ours (its host/port is one of
our sockets or aliases: ``myself``) that value is removed; with
``enable_double_rr`` and ``;r2`` in it the next value (our second
Record-Route) is removed too and the request will leave from the socket it
names (``msg.force_send_socket``).  The next value then decides: a loose
router (``;lr``) becomes the destination (``msg.dst_uri``, its ``maddr``
honoured) and stays in the message; a strict router is moved to the
R-URI, removed from Route, and the current R-URI is appended as the last
Route value (``Route: <R-URI>``, §16.6 step 6).

After strict: the R-URI is our own (former Record-Route) URI; its
parameters are the "route parameters".  A first Route value that is our
second Record-Route (``;r2``) is dropped as above.  If the next value is a
strict router, it becomes the R-URI (removed from Route).  If it is a loose
router it becomes ``msg.dst_uri`` and the *last* Route value -- the
remote target a strict router had saved there -- becomes the R-URI and is
removed (§16.4).

Every change is a lump (a whole header field, or a part of a
comma-separated field) or ``msg.new_uri``/``msg.dst_uri``; ``msg.buf`` is
never touched.  The parameters of our Route URI are kept in ``msg.ctx``
for ``check_route_param``, ``get_route_param``, ``is_direction`` (see
:mod:`openser_py.modules.rr.api`) and passed to the callbacks registered
with ``register_rrcb``.
"""
from openser_py.core import cfgload
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_WARN
from openser_py.core.exports import FixupError
from openser_py.core.ip_addr import (PROTO_BY_NAME, PROTO_SCTP, PROTO_TCP,
                                     PROTO_TLS, PROTO_UDP)
from openser_py.core.posix_re import PosixReError, compile_ere
from openser_py.modules.rr import api, rr_funcs
from openser_py.parser import data_lump
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HdrType
from openser_py.parser.parse_nameaddr import parse_nameaddr_list
from openser_py.parser.parse_uri import parse_uri

RR_DRIVEN = 1
NOT_RR_DRIVEN = -1
RR_ERROR = -1

ROUTE_PREFIX = "Route: <"
ROUTE_SUFFIX = ">\r\n"

_HDR_ROUTE = HdrType.ROUTE
_WS = " \t\r\n"


# -- the route set ---------------------------------------------------------

class _Entry:
    """One Route value: its field, position and offsets in ``msg.buf``.

    ``key`` tells the Route fields apart (their order), ``fstart``/``fend``
    are the offsets of the whole field, ``hf`` its HdrField -- None for the
    only value of a lone field, which needs none (it can only be removed
    with its whole field).
    """

    __slots__ = ("key", "hf", "fstart", "fend", "index", "count", "na",
                 "start", "end", "_uri")

    def __init__(self, key, hf, fstart, fend, index, count, na, start, end):
        self.key, self.hf, self.fstart, self.fend = key, hf, fstart, fend
        self.index, self.count = index, count
        self.na, self.start, self.end = na, start, end
        self._uri = None

    @property
    def uri(self):
        """The parsed URI (SipParseError if malformed)."""
        if self._uri is None:
            self._uri = parse_uri(self.na.uri)
        return self._uri


def _element_spans(body):
    """``(start, end)`` of each comma-separated element, whitespace trimmed."""
    spans, start, i, n = [], 0, 0, len(body)
    while i <= n:
        c = body[i] if i < n else ","
        if c == '"':
            i += 1
            while i < n and body[i] != '"':
                i += 2 if body[i] == "\\" else 1
        elif c == "<":
            i = body.find(">", i)
            if i < 0:
                raise SipParseError("unbalanced <")
        elif c == ",":
            seg = body[start:i]
            lead = len(seg) - len(seg.lstrip(_WS))
            spans.append((start + lead, start + len(seg.rstrip(_WS))))
            start = i + 1
        i += 1
    return spans


def route_entries(msg):
    """Every Route value of *msg*, in order (raises SipParseError)."""
    routes = msg.routes         # every Route field parsed (and cached)
    if len(routes) == 1:
        # the common case: one field holding one value (a field holds at
        # least one), located without making its HdrField
        start, end, base, body = msg.hdr_offsets(_HDR_ROUTE)
        return [_Entry(0, None, start, end, 0, 1, routes[0], base,
                       base + len(body))]
    out = []
    for key, hf in enumerate(msg.get_hdrs(_HDR_ROUTE)):
        nas = hf.parsed if isinstance(hf.parsed, list) \
            else parse_nameaddr_list(hf.body)
        spans = _element_spans(hf.body)
        if len(spans) != len(nas):
            raise SipParseError("cannot locate the Route values")
        base = hf.body_start
        for k, (na, (s, e)) in enumerate(zip(nas, spans)):
            out.append(_Entry(key, hf, hf.start, hf.end, k, len(nas), na,
                              base + s, base + e))
    return out


def remove_entries(msg, entries):
    """Delete Route values: a whole field when all its values go, else
    the values with their separating comma."""
    by_field = {}
    for e in entries:
        by_field.setdefault(e.key, {})[e.index] = e
    for group in by_field.values():
        first = next(iter(group.values()))
        if len(group) == first.count:
            data_lump.delete(msg, first.fstart, first.fend)
            continue
        hf = first.hf
        gone = sorted(group)        # the indexes of the values to remove
        spans = _abs_spans(hf)
        k = 0
        while k < len(gone):
            a = b = gone[k]
            while k + 1 < len(gone) and gone[k + 1] == b + 1:
                k += 1
                b += 1
            if a == 0:      # a leading run: up to the next kept value
                data_lump.delete(msg, hf.body_start, spans[b + 1][0])
            else:           # ", value..." after the previous kept value
                data_lump.delete(msg, spans[a - 1][1], spans[b][1])
            k += 1


def _abs_spans(hf):
    return [(hf.body_start + s, hf.body_start + e)
            for s, e in _element_spans(hf.body)]


# -- helpers ---------------------------------------------------------------

def is_myself(uri):
    """True if *uri*'s host/port is ours (any protocol; no port = 5060)."""
    script = cfgload.current_script
    if script is None or not uri.host:
        return False
    return script.myself.check(uri.host, uri.port_no or rr_funcs.SIP_PORT)


def is_strict(uri):
    """A URI without ``lr`` names a strict router (RFC 3261 §16.12)."""
    return uri.lr is None


def maddr_uri(text, uri):
    """``sip:maddr[:port]`` when *uri* has a ``maddr``, else *text*."""
    if uri.maddr:
        return "sip:" + uri.maddr + (":" + uri.port if uri.port else "")
    return text


def grep_sock_info(uri):
    """The listening socket named by *uri* (host, port, transport).

    No transport means any protocol (UDP first), no port any port -- 1.3's
    ``grep_sock_info``.  None when no socket matches.
    """
    tr = (uri.transport or "").lower()
    if tr:
        protos = [PROTO_BY_NAME.get(tr)]
    elif uri.scheme == "sips":
        protos = [PROTO_TLS]
    else:
        protos = [PROTO_UDP, PROTO_TCP, PROTO_TLS, PROTO_SCTP]
    host = uri.host.lower()
    sockets = rr_funcs.socket_list()
    for proto in protos:
        for s in sockets:
            if s.proto != proto or (uri.port_no and s.port != uri.port_no):
                continue
            if host in (s.ip.lower(), s.name.lower(), s.address_str.lower()):
                return s
    return None


def _force_socket(msg, uri):
    sock = grep_sock_info(uri)
    if sock is not None:
        msg.force_send_socket = sock
    else:
        LM_WARN("no socket found to match the second Record-Route")


def _current_ruri(msg):
    if msg.new_uri is not None:
        return parse_uri(msg.new_uri)
    return msg.parsed_ruri


def save_ruri(msg):
    """Append ``Route: <R-URI>`` as the last header (next hop is strict)."""
    uri = msg.new_uri if msg.new_uri is not None else msg.ruri
    data_lump.add_header(msg, ROUTE_PREFIX + uri + ROUTE_SUFFIX)


# -- loose_route -----------------------------------------------------------

def _after_loose(msg, entries, preloaded):
    remove, routed, i = [], None, 0
    uri = entries[0].uri
    if is_myself(uri):
        LM_DBG("topmost route URI %s is me", entries[0].na.uri)
        routed = uri.params
        remove.append(entries[0])
        i = 1
        if i < len(entries) and rr_funcs.cfg.enable_double_rr \
                and uri.r2 is not None:
            _force_socket(msg, entries[1].uri)
            remove.append(entries[1])
            i = 2
    if i >= len(entries):
        LM_DBG("no next route URI")
        status = NOT_RR_DRIVEN if preloaded else RR_DRIVEN
    else:
        nxt = entries[i]
        uri = nxt.uri
        if is_strict(uri):
            LM_DBG("next hop %s is a strict router", nxt.na.uri)
            save_ruri(msg)
            msg.new_uri = maddr_uri(nxt.na.uri, uri)
            remove.append(nxt)
        else:
            LM_DBG("next hop %s is a loose router", nxt.na.uri)
            msg.dst_uri = maddr_uri(nxt.na.uri, uri)
        status = RR_DRIVEN
    remove_entries(msg, remove)
    if routed is not None:
        api.set_routed_params(msg, routed)
    return status


def _after_strict(msg, entries, ruri):
    remove, i = [], 0
    uri = entries[0].uri
    if rr_funcs.cfg.enable_double_rr and uri.r2 is not None \
            and is_myself(uri):
        _force_socket(msg, uri)
        remove.append(entries[0])
        i = 1
        if i >= len(entries):
            LM_DBG("after strict: no next URI found")
            remove_entries(msg, remove)
            return NOT_RR_DRIVEN
    nxt = entries[i]
    uri = nxt.uri
    if is_strict(uri):
        # strict router behind a strict router: behave like one
        LM_DBG("next hop %s is a strict router", nxt.na.uri)
        msg.new_uri = maddr_uri(nxt.na.uri, uri)
        remove.append(nxt)
    else:
        LM_DBG("next hop %s is a loose router", nxt.na.uri)
        msg.dst_uri = maddr_uri(nxt.na.uri, uri)
        last = entries[-1]
        msg.new_uri = maddr_uri(last.na.uri, last.uri)
        remove.append(last)
    remove_entries(msg, remove)
    api.set_routed_params(msg, ruri.params)
    return RR_DRIVEN


def loose_route(msg):
    """Process the route set of request *msg* (see the module docstring)."""
    try:
        entries = route_entries(msg)
        if not entries:
            LM_DBG("there is no Route header")
            return NOT_RR_DRIVEN
        ruri = _current_ruri(msg)
        to = msg.to
        if to is None:
            LM_ERR("To header field not found")
            return RR_ERROR
        if not to.tag:
            return _after_loose(msg, entries, True)
        if is_myself(ruri):
            return _after_strict(msg, entries, ruri)
        return _after_loose(msg, entries, False)
    except SipParseError as exc:
        LM_ERR("cannot process the route set: %s", exc.reason)
        return RR_ERROR


# -- script interface ------------------------------------------------------

def fixup_check_route_param(value, param_no):
    """The regex of ``check_route_param``: a POSIX ERE (REG_ICASE)."""
    try:
        return compile_ere(value)
    except PosixReError as exc:
        raise FixupError("bad regular expression %r: %s" % (value, exc)) \
            from None


def fixup_direction(value, param_no):
    """``"upstream"``/``"downstream"`` -> ``RR_FLOW_*``; needs ftag."""
    if not rr_funcs.cfg.append_fromtag:
        raise FixupError('usage of "is_direction" function requires '
                         'parameter "append_fromtag" enabled')
    flow = api.DIRECTIONS.get(str(value).strip().lower())
    if flow is None:
        raise FixupError("unknown direction %r" % (value,))
    return flow


def w_loose_route(msg):
    """``loose_route()``."""
    return loose_route(msg)


def w_check_route_param(msg, regex):
    """``check_route_param("re")``."""
    return api.check_route_param(msg, regex)


def w_is_direction(msg, direction):
    """``is_direction("upstream"|"downstream")``."""
    return api.is_direction(msg, direction)
