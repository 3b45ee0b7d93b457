"""Core actions of openser.cfg (reference §2), as ``CmdExport`` entries.

In OpenSER these are grammar keywords run by ``do_action``; here each is a
small function plus a fixup, registered in :data:`CORE` under every alias,
so the compiler treats them exactly like module functions (one call path,
one set of error messages).  Core actions are allowed in every route type.
``route()``, ``exit``, ``drop`` and ``return`` are statements of the
compiler, not actions.
"""
from openser_py.core import dprint, dset, flags
from openser_py.core import forward as fwd
from openser_py.core.dprint import LM_ERR, LM_WARN
from openser_py.core.errors import E_BAD_URI, E_UNSPEC
from openser_py.core.exports import ALL_ROUTES, CmdExport, FixupError
from openser_py.core.pv_core import rebuild_ruri
from openser_py.core.pvar import PvError, parse_pv_format, parse_pv_spec
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri


class CoreActions:
    """Lookup of core actions by name and number of parameters."""

    def __init__(self):
        self._by_name = {}

    def add(self, names, function, param_no, fixup=None, doc=""):
        """Register *function* under each of *names* with *param_no* params."""
        for name in names.split():
            self._by_name.setdefault(name, []).append(
                CmdExport(name, function, param_no, fixup, None, ALL_ROUTES,
                          doc=doc))

    def find(self, name, nargs):
        """The CmdExport for *name* with *nargs* params, or None."""
        for cmd in self._by_name.get(name, ()):
            if cmd.param_no == nargs:
                return cmd
        return None

    def find_all(self, name):
        """Every arity of *name*."""
        return self._by_name.get(name, [])

    def names(self):
        """All action names (aliases included)."""
        return sorted(self._by_name)


CORE = CoreActions()


# -- fixups -------------------------------------------------------------------

def fixup_int(value, param_no):
    """A decimal integer parameter."""
    try:
        return int(value, 0) if isinstance(value, str) else int(value)
    except ValueError:
        raise FixupError("%r is not a number" % value) from None


def fixup_flag(value, param_no):
    """A flag number 0..31."""
    try:
        return flags.check_flag(value)
    except flags.FlagError as exc:
        raise FixupError(str(exc)) from None


def fixup_format(value, param_no):
    """A string that may contain pseudo-variables."""
    return parse_pv_format(value)


def fixup_dest(value, param_no):
    """``[proto:]host[:port]`` resolved once, at start-up (RFC 3263)."""
    from openser_py.core import resolve
    try:
        proto, host, port = fwd.parse_hostport(value)
    except ValueError as exc:
        raise FixupError(str(exc)) from None
    dest = resolve.hostport_dest(proto, host, port)
    if dest is None:
        raise FixupError("cannot resolve %r" % host)
    return dest


# -- logging / debug ----------------------------------------------------------

def w_log1(msg, text):
    dprint.LOG(dprint.L_DBG, text)
    return 1


def w_log2(msg, level, text):
    dprint.LOG(level, text)
    return 1


def fixup_log2(value, param_no):
    """``log(level, "text")``: level is a number."""
    return fixup_int(value, 1) if param_no == 1 else value


def w_error(msg, a, b):
    LM_WARN("error(%s, %s) is not implemented in 1.3; ignored", a, b)
    return 1


def w_setdebug(msg, level=None):
    if level is None:
        dprint.reset_proc_debug()
    else:
        dprint.set_proc_debug(max(-3, min(4, level)))
    return 1


CORE.add("log", w_log1, 1, doc="log(text): print text at L_DBG, no prefix")
CORE.add("log", w_log2, 2, fixup_log2, doc="log(level, text)")
CORE.add("error", w_error, 2)
CORE.add("setdebug", w_setdebug, 1, fixup_int)
CORE.add("setdebug", w_setdebug, 0)

# -- flags --------------------------------------------------------------------
CORE.add("setflag", flags.setflag, 1, fixup_flag)
CORE.add("resetflag", flags.resetflag, 1, fixup_flag)
CORE.add("isflagset", flags.isflagset, 1, fixup_flag)
CORE.add("setsflag setscriptflag", lambda msg, f: flags.setsflag(f), 1,
         fixup_flag)
CORE.add("resetsflag resetscriptflag", lambda msg, f: flags.resetsflag(f), 1,
         fixup_flag)
CORE.add("issflagset isscriptflagset", lambda msg, f: flags.issflagset(f), 1,
         fixup_flag)


def fixup_bflag2(value, param_no):
    """``setbflag(branch, flag)``."""
    return fixup_int(value, 1) if param_no == 1 else fixup_flag(value, 2)


CORE.add("setbflag setbranchflag", flags.setbflag, 1, fixup_flag)
CORE.add("setbflag setbranchflag", lambda msg, b, f: flags.setbflag(msg, f, b),
         2, fixup_bflag2)
CORE.add("resetbflag resetbranchflag", flags.resetbflag, 1, fixup_flag)
CORE.add("resetbflag resetbranchflag",
         lambda msg, b, f: flags.resetbflag(msg, f, b), 2, fixup_bflag2)
CORE.add("isbflagset isbranchflagset", flags.isbflagset, 1, fixup_flag)
CORE.add("isbflagset isbranchflagset",
         lambda msg, b, f: flags.isbflagset(msg, f, b), 2, fixup_bflag2)


# -- R-URI rewriting ----------------------------------------------------------

def _current_uri(msg):
    return parse_uri(dset.get_request_uri(msg))


def _rewrite(msg, **parts):
    try:
        uri = _current_uri(msg)
    except SipParseError as exc:
        LM_ERR("cannot parse the R-URI: %s", exc.reason)
        return E_BAD_URI
    msg.new_uri = rebuild_ruri(uri, **parts)
    return 1


def _fmt(value, msg):
    return value.format(msg) if hasattr(value, "format") and not isinstance(
        value, str) else value


def w_rewriteuri(msg, value):
    msg.new_uri = _fmt(value, msg)
    return 1


def w_rewritehost(msg, value):
    return _rewrite(msg, host=_fmt(value, msg))


def w_rewritehostport(msg, value):
    host, _, port = _fmt(value, msg).rpartition(":")
    if not host or not port.isdigit():
        host, port = _fmt(value, msg), ""
    return _rewrite(msg, host=host, port=port)


def w_rewriteuser(msg, value):
    return _rewrite(msg, user=_fmt(value, msg))


def w_rewriteuserpass(msg, value):
    return _rewrite(msg, user=_fmt(value, msg), passwd="")


def w_rewriteport(msg, value):
    return _rewrite(msg, port=_fmt(value, msg))


def w_prefix(msg, value):
    try:
        uri = _current_uri(msg)
    except SipParseError:
        return E_BAD_URI
    msg.new_uri = rebuild_ruri(uri, user=_fmt(value, msg) + (uri.user or ""))
    return 1


def w_strip(msg, n):
    try:
        uri = _current_uri(msg)
    except SipParseError:
        return E_BAD_URI
    user = uri.user or ""
    if n >= len(user):
        LM_WARN("strip(%d) removes the whole user part %r", n, user)
    msg.new_uri = rebuild_ruri(uri, user=user[n:])
    return 1


def w_strip_tail(msg, n):
    try:
        uri = _current_uri(msg)
    except SipParseError:
        return E_BAD_URI
    user = uri.user or ""
    msg.new_uri = rebuild_ruri(uri, user=user[:-n] if n < len(user) else "")
    return 1


def w_revert_uri(msg):
    msg.new_uri = None
    return 1


for _names, _fn in (("rewriteuri seturi", w_rewriteuri),
                    ("rewritehost sethost seth", w_rewritehost),
                    ("rewritehostport sethostport sethp", w_rewritehostport),
                    ("rewriteuser setuser setu", w_rewriteuser),
                    ("rewriteuserpass setuserpass setup", w_rewriteuserpass),
                    ("rewriteport setport setp", w_rewriteport),
                    ("prefix", w_prefix)):
    CORE.add(_names, _fn, 1, fixup_format)
CORE.add("strip", w_strip, 1, fixup_int)
CORE.add("strip_tail", w_strip_tail, 1, fixup_int)
CORE.add("revert_uri", w_revert_uri, 0)


# -- destination URI and branches ---------------------------------------------

def w_setdsturi(msg, value):
    msg.dst_uri = _fmt(value, msg)
    return 1


def w_resetdsturi(msg):
    msg.dst_uri = None
    return 1


def w_isdsturiset(msg):
    return 1 if msg.dst_uri else -1


def w_append_branch0(msg):
    ret = dset.append_branch(msg, None, msg.dst_uri, msg.path_vec,
                             dset.get_ruri_q(), flags.getb0flags(msg),
                             msg.force_send_socket)
    msg.dst_uri = None
    msg.path_vec = None
    msg.force_send_socket = None
    flags.setb0flags(msg, 0)
    return ret


def w_append_branch1(msg, uri):
    return dset.append_branch(msg, _fmt(uri, msg), msg.dst_uri, msg.path_vec,
                              dset.Q_UNSPECIFIED, flags.getb0flags(msg),
                              msg.force_send_socket)


def fixup_q(value, param_no):
    if param_no == 1:
        return fixup_format(value, param_no)
    try:
        return dset.str2q(value)
    except dset.QValueError as exc:
        raise FixupError("bad q value %r: %s" % (value, exc)) from None


def w_append_branch2(msg, uri, q):
    return dset.append_branch(msg, _fmt(uri, msg), msg.dst_uri, msg.path_vec,
                              q, flags.getb0flags(msg), msg.force_send_socket)


CORE.add("setdsturi setduri", w_setdsturi, 1, fixup_format)
CORE.add("resetdsturi resetduri", w_resetdsturi, 0)
CORE.add("isdsturiset isduriset", w_isdsturiset, 0)
CORE.add("append_branch", w_append_branch0, 0)
CORE.add("append_branch", w_append_branch1, 1, fixup_format)
CORE.add("append_branch", w_append_branch2, 2, fixup_q)


# -- forwarding ---------------------------------------------------------------

def w_forward0(msg):
    return fwd.forward_request(msg)


def w_forward1(msg, dest):
    return fwd.forward_request(msg, dest)


def w_send(msg, dest):
    return fwd.send_unchanged(msg, dest, msg.force_send_socket)


CORE.add("forward", w_forward0, 0)
CORE.add("forward", w_forward1, 1, fixup_dest)
CORE.add("send", w_send, 1, fixup_dest)


# -- Via / socket / advertised address ----------------------------------------

def _ctx_setter(key, value=True):
    def action(msg, *args):
        msg.ctx[key] = args[0] if args else value
        return 1
    return action


def fixup_socket(value, param_no):
    """``force_send_socket([proto:]host[:port])``: must be one of ours."""
    from openser_py.core.ip_addr import PROTO_BY_NAME, PROTO_UDP
    try:
        proto, host, port = fwd.parse_hostport(value)
    except ValueError as exc:
        raise FixupError(str(exc)) from None
    p = PROTO_BY_NAME.get(proto, PROTO_UDP) if proto else PROTO_UDP
    ip = fwd.resolve(host) or host
    for s in fwd.get_sockets():
        if s.proto == p and s.ip == ip.strip("[]") and \
                (not port or s.port == port):
            return s
    if fwd.get_sockets():
        raise FixupError("%s is not a local listening socket" % value)
    return None   # no sockets known (config check without listen=)


def w_force_send_socket(msg, sock):
    msg.force_send_socket = sock
    return 1


CORE.add("force_rport add_rport", _ctx_setter("force_rport"), 0)
CORE.add("force_local_rport add_local_rport", _ctx_setter("force_local_rport"),
         0)
def w_force_tcp_alias(msg, port=None):
    """Alias the TCP connection the request came on to the Via port."""
    from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS
    rcv = msg.rcv
    conn_id = getattr(rcv, "conn_id", None)
    if rcv is None or rcv.proto not in (PROTO_TCP, PROTO_TLS) or conn_id is None:
        return -1
    if port is None:
        via1 = msg.via1
        port = (via1.port if via1 is not None and via1.port else 0) or 5060
    from openser_py.core.tcp import tcp_add_alias
    return 1 if tcp_add_alias(conn_id, port, rcv.src_ip) else -1


CORE.add("force_tcp_alias add_tcp_alias", w_force_tcp_alias, 0)
CORE.add("force_tcp_alias add_tcp_alias", w_force_tcp_alias, 1, fixup_int)
CORE.add("set_advertised_address", _ctx_setter("adv_address"), 1)
CORE.add("set_advertised_port", _ctx_setter("adv_port"), 1, fixup_int)
CORE.add("force_send_socket", w_force_send_socket, 1, fixup_socket)


# -- pv_printf ----------------------------------------------------------------

def fixup_pv_printf(value, param_no):
    if param_no == 1:
        try:
            spec = parse_pv_spec(value)
        except PvError as exc:
            raise FixupError(str(exc)) from None
        if not spec.writable:
            raise FixupError("%s is not writable" % value)
        return spec
    return parse_pv_format(value)


def w_pv_printf(msg, spec, fmt):
    try:
        spec.set(msg, fmt.format(msg), "=")
    except PvError as exc:
        LM_ERR("pv_printf failed: %s", exc)
        return E_UNSPEC
    return 1


CORE.add("pv_printf avp_printf", w_pv_printf, 2, fixup_pv_printf)


# -- serial forking -------------------------------------------------------------

def w_serialize_branches(msg, clean):
    from openser_py.core.serialize import serialize_branches
    return serialize_branches(msg, clean)


def w_next_branches(msg):
    from openser_py.core.serialize import next_branches
    return next_branches(msg)


CORE.add("serialize_branches", w_serialize_branches, 1, fixup_int)
CORE.add("next_branches", w_next_branches, 0)


# -- destination blacklists ---------------------------------------------------

def fixup_blacklist(value, param_no):
    """``use_blacklist("name")``: the list must be defined by dst_blacklist."""
    from openser_py.core import blacklist
    lst = blacklist.get(value)
    if lst is None:
        raise FixupError("no dst_blacklist named %r" % value)
    return lst


def w_use_blacklist(msg, lst):
    msg.ctx.setdefault("blacklists", []).append(lst)
    return 1


CORE.add("use_blacklist", w_use_blacklist, 1, fixup_blacklist)
