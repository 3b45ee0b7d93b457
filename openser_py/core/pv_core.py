"""The core pseudo-variables of OpenSER 1.3.1 (``_pv_names_table``).

Every getter takes the message and returns None (null), an int, a str or an
:class:`~openser_py.core.pvar.IntStr`.  A header that cannot be parsed
reads as null, as in OpenSER.  Setters take ``(msg, value, op)`` and raise
:class:`~openser_py.core.pvar.PvError`.

This module has the R-URI, destination URI, destination set, forced socket
and the ``$avp``/``$hdr``/``$var`` families -- every writable PV: ``$ru $rU
$rd $du $br $fs $avp $var``, as in 1.3.1 (``$rp`` is read-only there).  The
read-only PVs taken from the headers, the buffer, the receive information
and the process state are in :mod:`openser_py.core.pv_msg`.
"""
from openser_py.core import dset, usr_avp
from openser_py.core.dprint import LM_WARN
from openser_py.core.pvar import (
    COLONEQ, IntStr, PvError, _register_builder, _register_simple,
    parse_pv_spec)
from openser_py.core.script_state import state as _st
from openser_py.parser.errors import SipParseError
from openser_py.parser.hf import HdrType, hdr_type
from openser_py.parser.parse_uri import parse_uri

__all__ = ["set_socket_lookup", "current_ruri", "original_ruri",
           "rebuild_ruri", "PROTO_IDS"]

_S5060 = IntStr("5060", 5060)
_SUDP = IntStr("UDP", 1)
#: transport names -> OpenSER proto ids (``$rP``/``$dP`` int form)
PROTO_IDS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4}
_CACHE_NURI = "_pv_nuri"
_CACHE_DURI = "_pv_duri"


# -- parsed URIs (cached on the message) ------------------------------------

def _cached_parse(msg, key, text):
    ctx = msg.ctx
    hit = ctx.get(key)
    if hit is not None and hit[0] == text:
        return hit[1]
    uri = parse_uri(text)
    ctx[key] = (text, uri)
    return uri


def current_ruri(msg):
    """SipUri of the current R-URI (``new_uri`` if rewritten).

    Raises SipParseError.
    """
    if msg.new_uri is None:
        return original_ruri(msg)
    return _cached_parse(msg, _CACHE_NURI, msg.new_uri)


def original_ruri(msg):
    """SipUri of the received R-URI; raises SipParseError."""
    return msg.parsed_ruri


def rebuild_ruri(uri, user=None, host=None, port=None, passwd=None):
    """Rebuild a R-URI as OpenSER's set* actions and R-URI PVs do.

    ``user``/``host``/``port``/``passwd`` replace the parts of *uri* when not
    None (``""`` removes them).  OpenSER 1.3.1 always writes ``sip:``; we
    keep ``sips:`` (rewriting the host of a sips URI must not silently drop
    TLS) and use ``sip:`` for every other scheme (a ``tel:`` R-URI becomes a
    SIP URI, as in 1.3).
    """
    user = uri.user if user is None else user
    passwd = uri.passwd if passwd is None else passwd
    host = uri.host if host is None else host
    port = uri.port if port is None else port
    out = ["sips:" if uri.scheme == "sips" else "sip:"]
    if user:
        out.append(user)
    if passwd:
        out.append(":" + passwd)
    if user or passwd:
        out.append("@")
    out.append(host)
    if port:
        out.append(":" + str(port))
    if uri.params:
        out.append(";" + uri.params)
    if uri.headers:
        out.append("?" + uri.headers)
    return "".join(out)


def _port(uri):
    if uri.port:
        return IntStr(uri.port, uri.port_no)
    return _S5060


def _proto(uri):
    val = uri.transport
    if val is None:
        return _SUDP
    return IntStr(val, PROTO_IDS.get(val.lower(), 0))


def _null_empty(val):
    return val if val else None


# -- R-URI ------------------------------------------------------------------

def _ruri_part(fn):
    def get(msg):
        if not msg.is_request:
            return None
        try:
            uri = current_ruri(msg)
        except SipParseError:
            return None
        return fn(uri)
    return get


def _ouri_part(fn):
    def get(msg):
        if not msg.is_request:
            return None
        try:
            uri = original_ruri(msg)
        except SipParseError:
            return None
        return fn(uri)
    return get


def _get_ru(msg):
    if not msg.is_request:
        return None
    try:
        current_ruri(msg)
    except SipParseError:
        return None
    return msg.new_uri if msg.new_uri is not None else msg.ruri


def _get_ou(msg):
    if not msg.is_request:
        return None
    try:
        original_ruri(msg)
    except SipParseError:
        return None
    return msg.ruri


def _need_str(value, what):
    if not isinstance(value, str):
        raise PvError("string value required to set %s" % what)
    return str(value)


def _set_ru(msg, value, op="="):
    msg.new_uri = _need_str(value, "the R-URI")


def _rewrite_part(msg, **parts):
    try:
        uri = current_ruri(msg)
    except SipParseError as exc:
        raise PvError("cannot parse the R-URI: %s" % exc.reason) from None
    msg.new_uri = rebuild_ruri(uri, **parts)


def _set_ru_user(msg, value, op="="):
    if value is None:
        _rewrite_part(msg, user="")
    else:
        _rewrite_part(msg, user=_need_str(value, "the R-URI user"))


def _set_ru_host(msg, value, op="="):
    _rewrite_part(msg, host=_need_str(value, "the R-URI host"))


# -- destination URI --------------------------------------------------------

def _get_du(msg):
    return msg.dst_uri or None


def _set_du(msg, value, op="="):
    msg.dst_uri = None if value is None else \
        _need_str(value, "the destination URI")


def _duri_part(fn):
    def get(msg):
        if not msg.dst_uri:
            return None
        try:
            uri = _cached_parse(msg, _CACHE_DURI, msg.dst_uri)
        except SipParseError:
            return None
        return fn(uri)
    return get


# -- branches ---------------------------------------------------------------

def _get_br(msg):
    if not msg.is_request:
        return None
    br = dset.get_branch(0)
    return None if br is None else br.uri


def _set_br(msg, value, op="="):
    uri = _need_str(value, "the branch")
    if not uri:
        raise PvError("empty value for $br")
    ret = dset.append_branch(msg, uri, None, None, dset.Q_UNSPECIFIED, 0,
                             msg.force_send_socket)
    if ret != 1:
        raise PvError("append_branch failed (%d)" % ret)


def _get_bR(msg):
    if not msg.is_request:
        return None
    out = []
    for br in dset.get_branches():
        if br.q == dset.Q_UNSPECIFIED:
            out.append(br.uri)
        else:
            out.append("<%s>;q=%s" % (br.uri, dset.q2str(br.q)))
    return ", ".join(out) if out else None


def _get_ds(msg):
    text = dset.print_dset(msg)
    return None if text is None else text[:-2]


# -- forced socket ----------------------------------------------------------

_socket_lookup = [None]


def set_socket_lookup(func):
    """Install ``func(host, port, proto) -> SocketInfo|None`` for ``$fs``.

    *port* is 0 and *proto* 0 when not given (any).  The socket layer calls
    this at start-up.
    """
    _socket_lookup[0] = func


def _get_fs(msg):
    sock = msg.force_send_socket
    return None if sock is None else str(sock)


def _parse_phostport(text):
    proto = 0
    parts = text.split(":")
    if len(parts) > 1 and parts[0].lower() in PROTO_IDS:
        proto = PROTO_IDS[parts.pop(0).lower()]
    host = ":".join(parts)
    port = 0
    if host.startswith("["):
        close = host.find("]")
        if close < 0:
            raise PvError("invalid socket specification %r" % text)
        rest = host[close + 1:]
        host = host[1:close]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise PvError("invalid socket specification %r" % text)
            port = int(rest[1:])
    elif host.count(":") == 1:
        host, _c, pstr = host.partition(":")
        if not pstr.isdigit():
            raise PvError("invalid socket specification %r" % text)
        port = int(pstr)
    if not host:
        raise PvError("invalid socket specification %r" % text)
    return host, port, proto


def _set_fs(msg, value, op="="):
    if value is None:
        msg.force_send_socket = None
        return
    text = _need_str(value, "the forced socket")
    if not text:
        raise PvError("empty value for $fs")
    host, port, proto = _parse_phostport(text)
    lookup = _socket_lookup[0]
    sock = lookup(host, port, proto) if lookup is not None else None
    if sock is None:
        LM_WARN("no socket found to match [%s]", text)
    else:
        msg.force_send_socket = sock


# -- $avp, $hdr, $var -------------------------------------------------------

def _dyn_name_spec(inner):
    try:
        return parse_pv_spec(inner)
    except PvError as exc:
        raise PvError("invalid dynamic name %r: %s" % (inner, exc)) from None


def _build_avp(inner, index):
    if inner.startswith("$"):
        nspec = _dyn_name_spec(inner)
        static = None
    else:
        try:
            static = usr_avp.parse_avp_spec(inner)
        except usr_avp.AvpError as exc:
            raise PvError("bad AVP name in $avp(%s): %s" % (inner, exc)) \
                from None
        nspec = None

    def name_of(msg):
        if static is not None:
            return static
        val = nspec.get(msg)
        if val is None or val == "":
            raise PvError("null or empty AVP name from %s" % nspec.text)
        if val.__class__ is int:
            return val, 0
        return str(val), 0

    def get(msg):
        try:
            name, flags = name_of(msg)
        except PvError:
            return None
        lst = usr_avp.get_avp_list()
        if index is None:
            return lst.search(name, flags)
        try:
            idx = index.resolve(msg)
        except PvError:
            return None
        if idx is None:
            vals = lst.search_all(name, flags)
            return ", ".join(map(str, vals)) if vals else None
        return lst.search_index(name, idx, flags)

    def put(msg, value, op="="):
        name, flags = name_of(msg)
        lst = usr_avp.get_avp_list()
        if value is None:
            lst.delete(name, op == COLONEQ, flags)
            return
        if not isinstance(value, (int, str)):
            raise PvError("AVP value must be int or str, not %r" % (value,))
        if op == COLONEQ:
            lst.delete(name, True, flags)
        lst.add(name, value, flags)
    return get, put


def _build_hdr(inner, index):
    if inner.startswith("$"):
        nspec = _dyn_name_spec(inner)
        fixed = None
    else:
        nspec = None
        fixed = _hdr_fetcher(inner)

    def get(msg):
        if fixed is None:
            name = nspec.get(msg)
            if not isinstance(name, str) or not name:
                return None
            fetch = _hdr_fetcher(name)
        else:
            fetch = fixed
        try:
            fields = fetch(msg)
        except SipParseError:
            return None
        if not fields:
            return None
        if index is None:
            return fields[0].body
        try:
            idx = index.resolve(msg)
        except PvError:
            return None
        if idx is None:
            return ", ".join([hf.body for hf in fields])
        if -len(fields) <= idx < len(fields):
            return fields[idx].body
        return None
    return get, None


def _hdr_fetcher(name):
    """``fetch(msg) -> [HdrField]`` for a header name (type if known)."""
    htype = hdr_type(name)
    if htype != HdrType.OTHER:
        return lambda msg: msg.get_hdrs(htype)
    lname = name.lower()
    return lambda msg: [hf for hf in msg.get_hdrs(HdrType.OTHER)
                        if hf.name.lower() == lname]


def _build_var(inner, index):
    name = inner

    def get(msg):
        return _st.vars.get(name, 0)

    def put(msg, value, op="="):
        if value is None:
            _st.vars[name] = 0
        elif value.__class__ is int or value.__class__ is str:
            _st.vars[name] = value
        elif isinstance(value, int):
            _st.vars[name] = int(value)
        elif isinstance(value, str):
            _st.vars[name] = str(value)
        else:
            raise PvError("$var value must be int or str, not %r" % (value,))
    return get, put


# -- the table --------------------------------------------------------------

def _uri_user(uri):
    return _null_empty(uri.user)


def _uri_host(uri):
    return _null_empty(uri.host)


_SIMPLE = [
    (("ru", "ruri"), _get_ru, _set_ru, "request URI"),
    (("rU", "ruri.user"), _ruri_part(_uri_user), _set_ru_user,
     "R-URI user"),
    (("rd", "ruri.domain"), _ruri_part(_uri_host), _set_ru_host,
     "R-URI host"),
    (("rp",), _ruri_part(_port), None, "R-URI port (5060 if none)"),
    (("rP",), _ruri_part(_proto), None, "R-URI transport (UDP if none)"),
    (("ou", "ouri"), _get_ou, None, "original R-URI"),
    (("oU",), _ouri_part(_uri_user), None, "original R-URI user"),
    (("od",), _ouri_part(_uri_host), None, "original R-URI host"),
    (("op",), _ouri_part(_port), None, "original R-URI port"),
    (("oP",), _ouri_part(_proto), None, "original R-URI transport"),
    (("du", "duri"), _get_du, _set_du, "destination URI"),
    (("dd",), _duri_part(_uri_host), None, "destination URI host"),
    (("dp",), _duri_part(_port), None, "destination URI port"),
    (("dP",), _duri_part(_proto), None, "destination URI transport"),
    (("br",), _get_br, _set_br, "first branch"),
    (("bR",), _get_bR, None, "all branches"),
    (("ds",), _get_ds, None, "destination set (Contact header)"),
    (("fs",), _get_fs, _set_fs, "forced send socket"),
]

for _names, _get, _set, _doc in _SIMPLE:
    for _name in _names:
        _register_simple(_name, _get, _set, _doc)
del _names, _get, _set, _doc, _name

_register_builder("avp", _build_avp, True, True, True, "AVP value")
_register_builder("hdr", _build_hdr, True, True, False, "header body")
_register_builder("var", _build_var, True, False, True, "script variable")

# message-based PVs (From, To, Call-ID, auth ...)
from openser_py.core import pv_msg  # noqa: E402,F401  pylint: disable=C0413
