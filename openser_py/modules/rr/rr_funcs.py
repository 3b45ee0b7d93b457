"""Record-Route insertion (OpenSER ``modules/rr/record.c``, ``rr_mod.c``).

RFC 3261 §16.6 step 4: a proxy that wants to stay on the path of the
dialog puts a Record-Route header field value *above* any existing one.
The value we write (reference §4.3, §17.4), on one line::

    Record-Route: <sip:[user@]ADDR[:PORT][;transport=PROTO][;r2=on];lr
                  [;ftag=TAG]PARAMS>

* ``ADDR``/``PORT``: the socket the request arrived on (its
  ``advertised_address``/``advertised_port`` if set); ``:PORT`` is left
  out when the port is 5060 and no advertised port is set -- whatever the
  protocol, exactly as 1.3's ``SUBST_RCV_ALL`` lump does;
  ``;transport=tcp|tls|sctp`` for a non-UDP socket.
* ``user@`` with ``add_username`` (user of the original R-URI, else of the
  rewritten one); ``;lr=on`` instead of ``;lr`` with ``enable_full_lr``;
  ``;ftag=<From tag>`` with ``append_fromtag``; ``PARAMS`` = the
  ``record_route("...")`` argument, then every ``add_rr_param`` text (those
  called before ``record_route`` first, in call order).

Double Record-Route (``enable_double_rr``).  The socket a request leaves
on is only known when tm/``forward`` picks it.  ``record_route`` therefore
writes the inbound value now and leaves an empty anchor above it;
:func:`rr_add_outbound` (the *outbound hook*) is called by the sender for
every copy it serializes, once its send socket is known: when that socket
differs from the receiving one (address, port or protocol -- 1.3's
``COND_IF_DIFF_REALMS``) both values get ``;r2=on`` and a second value
naming the outgoing socket is written above the inbound one; otherwise the
single value is restored.  The hook re-renders the texts in place, so it
can be called again for another branch.  Senders that do not want to import
this module find the hook in ``msg.ctx[OUTBOUND_HOOK]`` (set only when
``enable_double_rr`` is on)::

    hook = msg.ctx.get(OUTBOUND_HOOK)
    if hook is not None:
        hook(msg, send_sock)
    data = build_req_buf(msg, via=...)

Our two anchors are found again in ``msg.lumps`` by their ``seq``, so a
copy of the message (tm's clone, a branch copy) that keeps the lumps'
``seq`` and shares/copies ``msg.ctx`` works with the same hook.

Per-message state lives in ``msg.ctx`` (1.3 keeps it in statics keyed by
the message id): a second ``record_route``/``record_route_preset`` for the
same message is refused, as in 1.3.  ``record_route_preset("text")``
writes ``Record-Route: <sip:[user@]text[;ftag=T];lr>`` -- no socket, no
double RR, and (as in 1.3) ``add_rr_param`` does not reach it.
"""
from openser_py.core import cfgload, forward
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.core.ip_addr import PROTO_NAMES, PROTO_UDP, SocketInfo
from openser_py.parser import data_lump
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri

RR_PREFIX = "Record-Route: <sip:"
RR_LR = ";lr"
RR_LR_FULL = ";lr=on"
RR_FROMTAG = ";ftag="
RR_R2 = ";r2=on"
RR_TERM = ">\r\n"
TRANSPORT_PARAM = ";transport="
SIP_PORT = 5060
RR_PARAM_BUF_SIZE = 512       # 1.3's limit for params buffered before RR

_CTX_RR = "rr.rr"             # _RrState once the message is record-routed
_CTX_PARAMS = "rr.params"     # add_rr_param texts buffered before that
#: ``msg.ctx`` key of the outbound hook ``f(msg, send_sock) -> int``
OUTBOUND_HOOK = "rr.outbound"


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``rr`` module (attribute = default)."""
    enable_full_lr = 0
    append_fromtag = 1
    enable_double_rr = 1
    add_username = 0


class _RrState:
    """The Record-Route this module inserted into one message."""

    __slots__ = ("user", "tag", "params", "extra", "rcv_sock", "in_seq",
                 "out_seq", "preset", "send_sock")

    def __init__(self):
        self.user = ""          # user part (add_username)
        self.tag = ""           # From tag (append_fromtag)
        self.params = ""        # record_route("...") argument
        self.extra = []         # add_rr_param texts, in order
        self.rcv_sock = None    # SocketInfo the request arrived on
        self.in_seq = None      # seq of the anchor holding the inbound RR
        self.out_seq = None     # seq of the anchor for the outbound RR
        self.preset = False     # record_route_preset: text is fixed
        self.send_sock = None   # outgoing socket while two RRs are written


# -- sockets ---------------------------------------------------------------

def socket_list():
    """Our listening sockets (the loaded script's, else the core's)."""
    script = cfgload.current_script
    if script is not None and script.sockets:
        return script.sockets
    return forward.get_sockets()


def receive_socket(msg):
    """The listening socket *msg* arrived on (``msg->rcv.bind_address``).

    ``msg.rcv.sock`` when the transport set it, else the listening socket
    matching the receive address/port/protocol, else one made from that
    address (no advertised address); None without receive information.
    """
    rcv = msg.rcv
    if rcv is None:
        return None
    if rcv.sock is not None:
        return rcv.sock
    dst = (rcv.dst_ip or "").strip("[]")
    for s in socket_list():
        if s.proto == rcv.proto and s.ip == dst and s.port == rcv.dst_port:
            return s
    if dst and rcv.dst_port:
        return SocketInfo(rcv.proto, dst, rcv.dst_port)
    return None


def same_realm(a, b):
    """1.3's ``COND_IF_DIFF_REALMS`` negated: same address, port, proto."""
    return a is b or (a is not None and b is not None and a.proto == b.proto
                      and a.port == b.port and a.ip == b.ip)


def socket_uri_part(sock, adv_address=None, adv_port=None):
    """``ADDR[:PORT][;transport=P]`` for *sock* (``SUBST_*_ALL``).

    The advertised address/port of the socket win over *adv_address*/
    *adv_port* (the message's ``set_advertised_*``); the port is printed
    when it is not 5060 or when it is an advertised one.
    """
    host = sock.adv_address or adv_address or sock.address_str
    port = sock.adv_port or adv_port
    out = [host]
    if port:
        out.append(":%s" % port)
    elif sock.port != SIP_PORT:
        out.append(":%d" % sock.port)
    if sock.proto != PROTO_UDP:
        out.append(TRANSPORT_PARAM + PROTO_NAMES.get(sock.proto, "udp"))
    return "".join(out)


# -- building --------------------------------------------------------------

def get_username(msg):
    """User of the original R-URI, else of the rewritten one (or "")."""
    try:
        user = msg.parsed_ruri.user
        if not user and msg.new_uri:
            user = parse_uri(msg.new_uri).user
    except SipParseError as exc:
        raise ValueError("cannot parse the R-URI: %s" % exc.reason) from None
    return user or ""


def _from_tag(msg):
    try:
        frm = msg.from_
    except SipParseError as exc:
        raise ValueError("From parsing failed: %s" % exc.reason) from None
    if frm is None:
        raise ValueError("no From header")
    return frm.tag or ""


def _lr():
    return RR_LR_FULL if cfg.enable_full_lr else RR_LR


def _rr_text(st, uri_part, r2):
    """One ``Record-Route:`` line for state *st*."""
    user = st.user + "@" if st.user else ""
    ftag = RR_FROMTAG + st.tag if st.tag else ""
    return "".join((RR_PREFIX, user, uri_part, RR_R2 if r2 else "", _lr(),
                    ftag, st.params, "".join(st.extra), RR_TERM))


def _lump(msg, seq):
    """Our anchor in ``msg.lumps``, found by its ``seq`` (a copy of the
    message that copies its lumps with their seq works as well)."""
    for lump in msg.lumps or ():
        if lump.seq == seq:
            return lump
    return None


def _render(msg, st, send_sock=None):
    """(Re)write the texts of our lumps for *send_sock* (None: one RR)."""
    double = bool(cfg.enable_double_rr and send_sock is not None
                  and not same_realm(st.rcv_sock, send_sock))
    st.send_sock = send_sock if double else None
    in_lump = _lump(msg, st.in_seq)
    if in_lump is None:
        LM_ERR("Record-Route lump not found in the message")
        return -1
    in_lump.before[:] = [_rr_text(st, socket_uri_part(st.rcv_sock),
                                  double)]
    out_lump = _lump(msg, st.out_seq) if st.out_seq is not None else None
    if out_lump is not None:
        if double:
            ctx = msg.ctx
            part = socket_uri_part(send_sock, ctx.get("adv_address"),
                                   ctx.get("adv_port"))
            out_lump.before[:] = [_rr_text(st, part, True)]
        else:
            out_lump.before[:] = []
    return 1 if double else 0


def _top_offset(msg):
    """Where Record-Route goes: before the first header field."""
    start = msg.headers_start
    return start if start is not None else data_lump.headers_end(msg)


def _new_state(msg):
    st = _RrState()
    if cfg.add_username:
        st.user = get_username(msg)
    if cfg.append_fromtag:
        st.tag = _from_tag(msg)
    return st


def record_route(msg, params=""):
    """Insert our Record-Route (see the module docstring); 0 or -1."""
    ctx = msg.ctx
    try:
        st = _new_state(msg)
    except ValueError as exc:
        LM_ERR("%s", exc)
        return -1
    st.rcv_sock = receive_socket(msg)
    if st.rcv_sock is None:
        LM_ERR("no receiving socket for the message: cannot record-route")
        return -1
    st.params = params or ""
    st.extra = ctx.pop(_CTX_PARAMS, None) or []
    offset = _top_offset(msg)
    if cfg.enable_double_rr:
        st.out_seq = data_lump.anchor(msg, offset).seq    # above the inbound
        ctx[OUTBOUND_HOOK] = rr_add_outbound
    st.in_seq = data_lump.anchor(msg, offset).seq
    ctx[_CTX_RR] = st
    return 0 if _render(msg, st) >= 0 else -1


def record_route_preset(msg, data):
    """Insert ``Record-Route: <sip:[user@]data[;ftag=T];lr>``; 0 or -1."""
    try:
        st = _new_state(msg)
    except ValueError as exc:
        LM_ERR("%s", exc)
        return -1
    st.preset = True
    user = st.user + "@" if st.user else ""
    ftag = RR_FROMTAG + st.tag if st.tag else ""
    text = "".join((RR_PREFIX, user, data, ftag, _lr(), RR_TERM))
    st.in_seq = data_lump.insert_after(msg, _top_offset(msg), text).seq
    msg.ctx[_CTX_RR] = st
    return 0


def add_rr_param(msg, param):
    """Append *param* (``;name=value``) to our Record-Route; 0 or -1.

    Before ``record_route`` the text is kept and used by it; after, it is
    added to the inserted value(s) (both of a double Record-Route).
    """
    st = msg.ctx.get(_CTX_RR)
    if st is not None and not st.preset:
        st.extra.append(param)
        return 0 if _render(msg, st, st.send_sock) >= 0 else -1
    buf = msg.ctx.setdefault(_CTX_PARAMS, [])
    if sum(map(len, buf)) + len(param) > RR_PARAM_BUF_SIZE:
        LM_ERR("maximum size of rr_param_buf exceeded")
        return -1
    buf.append(param)
    LM_DBG("rr_param_buf=<%s>", "".join(buf))
    return 0


def rr_add_outbound(msg, send_sock):
    """The double Record-Route hook: call it with the socket a copy of
    *msg* is about to leave on, right before serializing that copy.

    Returns 1 when two Record-Route values are written (the send socket
    differs from the receiving one and ``enable_double_rr`` is on), 0 when
    one is, -1 when *msg* carries no ``record_route()`` value (none, or a
    preset one: nothing to do).  Idempotent; call it again for every
    branch.
    """
    st = msg.ctx.get(_CTX_RR)
    if st is None or st.preset:
        return -1
    return _render(msg, st, send_sock)


def is_record_routed(msg):
    """True once record_route/record_route_preset ran for *msg*."""
    return _CTX_RR in msg.ctx


# -- script interface ------------------------------------------------------

def _refuse_double(msg):
    if is_record_routed(msg):
        LM_ERR("double attempt to record-route")
        return True
    return False


def w_record_route(msg, params=None):
    """``record_route()`` / ``record_route("params")``."""
    if _refuse_double(msg):
        return -1
    text = params.format(msg) if params is not None else ""
    return 1 if record_route(msg, text) == 0 else -1


def w_record_route_preset(msg, data):
    """``record_route_preset("string")``."""
    if _refuse_double(msg):
        return -1
    return 1 if record_route_preset(msg, data.format(msg)) == 0 else -1


def w_add_rr_param(msg, param):
    """``add_rr_param(";name=value")``."""
    return 1 if add_rr_param(msg, param.format(msg)) == 0 else -1
