"""The ``rr`` API for other modules (OpenSER ``api.c``, ``rr_cb.c`` and the
route-parameter half of ``loose.c``).

``load_module_api("rr")`` returns :data:`API`, an :class:`RrApi`::

    rrb = load_module_api("rr")
    rrb.register_rrcb(on_route)             # on_route(msg, params, param)
    ...
    if rrb.is_direction(msg, rrb.RR_FLOW_UPSTREAM) == 1:
        ...
    tag = rrb.get_route_param(msg, "did")   # None if absent

Dialog-like modules add their parameters to the Record-Route of the
initial request with :meth:`RrApi.add_rr_param` and find them again in the
sequential requests (RFC 3261 §12.2: the route set carries them back)
through the callbacks, which ``loose_route`` runs with the parameters of
our Route URI, or with :meth:`RrApi.get_route_param`.

Senders (tm, stateless ``forward``) call :meth:`RrApi.rr_add_outbound`
(or the function in ``msg.ctx[OUTBOUND_HOOK]``) with the send socket
right before serializing each copy of a record-routed request: that
writes the second value of a double Record-Route (see ``rr_funcs``).

The "route parameters" are the URI parameters (without the leading
``;``) of the Route value ``loose_route`` recognised as ours -- or of the
R-URI when a strict router put our URI there.  They are kept in
``msg.ctx``, so they belong to that message only (1.3 keys them by
message id).
"""
from openser_py.core.dprint import LM_ERR
from openser_py.core.posix_re import compile_ere
from openser_py.modules.rr import rr_funcs
from openser_py.parser.errors import SipParseError

RR_FLOW_DOWNSTREAM = 1
RR_FLOW_UPSTREAM = 2
DIRECTIONS = {"downstream": RR_FLOW_DOWNSTREAM, "upstream": RR_FLOW_UPSTREAM}

_CTX_ROUTED = "rr.routed"     # params of the local Route URI (str)
_WS = " \t\r\n"

# (func, param) pairs; newest first, as 1.3 links them at the list head
_callbacks = []


# -- callbacks -------------------------------------------------------------

def register_rrcb(func, param=None):
    """Call ``func(msg, params, param)`` whenever loose_route processes a
    local Route value (*params*: its URI parameters, without the leading
    ``;``).  Returns 0, or -1 if *func* is not callable."""
    if not callable(func):
        LM_ERR("rr callback %r is not callable", func)
        return -1
    _callbacks.insert(0, (func, param))
    return 0


def run_rr_callbacks(msg, params):
    """Run every registered callback; an exception is logged, not raised."""
    for func, param in tuple(_callbacks):
        try:
            func(msg, params, param)
        except Exception as exc:  # noqa: BLE001 - a callback never kills us
            LM_ERR("rr callback %r failed: %s", func, exc)


def destroy_rrcb_lists():
    """Forget every callback (module destroy)."""
    _callbacks.clear()


# -- route parameters ------------------------------------------------------

def set_routed_params(msg, params):
    """Record the local Route params of *msg* and run the callbacks."""
    params = params or ""
    msg.ctx[_CTX_ROUTED] = params
    run_rr_callbacks(msg, params)


def routed_params(msg):
    """Params of the local Route URI loose_route processed, or None."""
    return msg.ctx.get(_CTX_ROUTED)


def split_params(text):
    """``[(name, value)]`` of a URI parameter string ("" for no value;
    a quoted value loses its quotes; ``;`` inside quotes is kept)."""
    out, cur, quoted = [], [], False
    for c in text + ";":
        if c == '"':
            quoted = not quoted
        if c == ";" and not quoted:
            name, sep, value = "".join(cur).partition("=")
            if name.strip(_WS):
                value = value.strip(_WS)
                if len(value) > 1 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                out.append((name.strip(_WS), value if sep else ""))
            cur = []
        else:
            cur.append(c)
    return out


def get_route_param(msg, name):
    """Value of parameter *name* of the local Route URI ("" for a
    parameter without value), None if absent or no local Route."""
    params = routed_params(msg)
    if not params:
        return None
    name = name.lower()
    for pname, value in split_params(params):
        if pname.lower() == name:
            return value
    return None


def check_route_param(msg, regex):
    """1 if ``;`` + the local Route params match *regex* (a compiled
    POSIX ERE, searched), else -1."""
    params = routed_params(msg)
    if not params:
        return -1
    return 1 if regex.search(";" + params) else -1


def get_direction(msg):
    """``RR_FLOW_UPSTREAM`` when the Route ``ftag`` differs from the From
    tag, else ``RR_FLOW_DOWNSTREAM`` (also when either is missing)."""
    ftag = get_route_param(msg, "ftag")
    if not ftag:
        return RR_FLOW_DOWNSTREAM
    try:
        frm = msg.from_
    except SipParseError:
        return RR_FLOW_DOWNSTREAM
    if frm is None or not frm.tag:
        return RR_FLOW_DOWNSTREAM
    return RR_FLOW_UPSTREAM if frm.tag != ftag else RR_FLOW_DOWNSTREAM


def is_direction(msg, direction):
    """1 if the request flows in *direction* (``RR_FLOW_*``), else -1."""
    return 1 if get_direction(msg) == direction else -1


# -- the API object --------------------------------------------------------

class RrApi:
    """Bound rr functions (``struct rr_binds``); script-style returns."""

    RR_FLOW_DOWNSTREAM = RR_FLOW_DOWNSTREAM
    RR_FLOW_UPSTREAM = RR_FLOW_UPSTREAM
    OUTBOUND_HOOK = rr_funcs.OUTBOUND_HOOK

    @property
    def append_fromtag(self):
        """The ``append_fromtag`` modparam (is_direction needs it)."""
        return rr_funcs.cfg.append_fromtag

    def add_rr_param(self, msg, param):
        """Add ``;name=value`` to the Record-Route (before or after
        record_route).  1 / -1."""
        return 1 if rr_funcs.add_rr_param(msg, param) == 0 else -1

    def check_route_param(self, msg, regex):
        """1 if the local Route params match *regex* (compiled, or POSIX
        ERE text), else -1.  Only after loose_route."""
        if isinstance(regex, str):
            regex = compile_ere(regex)
        return check_route_param(msg, regex)

    def is_direction(self, msg, direction):
        """1 if *msg* flows in *direction* (``RR_FLOW_*`` or
        "upstream"/"downstream"), else -1.  Only after loose_route."""
        if isinstance(direction, str):
            direction = DIRECTIONS[direction.lower()]
        return is_direction(msg, direction)

    def get_route_param(self, msg, name):
        """Value of the local Route URI parameter *name* ("" without
        value), None if absent.  Only after loose_route."""
        return get_route_param(msg, name)

    def register_rrcb(self, func, param=None):
        """``func(msg, params, param)`` after each local Route processed by
        loose_route.  0 / -1."""
        return register_rrcb(func, param)

    def rr_add_outbound(self, msg, send_sock):
        """The double Record-Route hook (``rr_funcs.rr_add_outbound``)."""
        return rr_funcs.rr_add_outbound(msg, send_sock)


#: the object ``load_module_api("rr")`` returns
API = RrApi()


def load_rr(*_unused):
    """``load_rr``: return the rr API (internal command, not for scripts)."""
    return API
