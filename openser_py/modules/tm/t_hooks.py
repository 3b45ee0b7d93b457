"""tm callbacks: ``register_tmcb`` and the ``TMCB_*`` events (OpenSER t_hooks).

Theory of operation
-------------------
A callback is a Python function ``f(tcell, type, params)``; functions
cannot live in shared memory, so a transaction (which lives in shm and is
seen by every process) cannot hold them.  Instead:

* **The callback table** (:data:`_funcs`) is process-global: callback
  function *index* -> function.  It is filled in ``mod_init`` (before
  fork, so every worker inherits the same table) -- a function gets its
  index the first time it is registered or declared (:func:`declare`) --
  and frozen by tm's ``child_init``: after fork a function that is not in the
  table yet cannot be registered for a transaction (its index would mean
  something else in another process).  Modules therefore register their
  ``TMCB_REQUEST_IN`` callback in ``mod_init`` and declare the functions
  they will register per transaction (acc does both).  A new config load
  (module registry) starts with empty tables (:func:`sync_generation`).
* **Per-transaction callbacks** are recorded in the cell: header field
  ``tmcb_types`` (OR of the registered types: the cheap
  ``has_tran_tmcbs`` test every event does inside its critical section)
  and section ``SEC_TMCB``, a marshalled tuple of ``(types, index,
  param)``.  ``param`` plays the role of OpenSER's shm param: it must be
  a marshal-able value (None, numbers, str, bytes, tuples ...).
* **``TMCB_REQUEST_IN``** is global: the list :data:`_reqin` of
  ``(function, param)`` registered in ``mod_init``.  It runs in the worker
  that created the transaction, right after the cell was inserted (never
  for a retransmission), outside the lock, with the received request;
  per-transaction callbacks registered from it (and those registered with
  a message before its transaction existed, OpenSER's pending list) are
  written to the cell in one critical section afterwards, together with
  the message flags if a callback changed them.

**Callbacks never run while a tm lock is held**: the event code reads the
callback list and a decoded snapshot of the cell (:class:`TCell`) in the
critical section that decides the event and runs the callbacks after the
release.  A callback may therefore use the table (``tcell.or_flags``,
``register_tmcb`` on the same transaction, t_reply ...).

Parameters (:class:`TmcbParams`, OpenSER's ``struct tmcb_params``):
``req`` (the request: the received one for ``REQUEST_IN``/
``REQUEST_FWDED``/``REQUEST_BUILT``, the ACK for ``E2EACK_IN``, else the
transaction's request re-parsed from the cell with the transaction's
flags), ``rpl`` (the reply message, :data:`FAKED_REPLY` for a locally
generated one, None), ``code``, ``param``, ``extra1``/``extra2`` (the
buffer and destination for ``RESPONSE_OUT``/``REQUEST_BUILT``).  While
callbacks run the current AVP list is the transaction's.  Flags a
callback changes on ``tcell.uas_request()`` are written back to the
transaction (acc resets its missed-call flags that way).

Events and where they fire (OpenSER 1.3 points):

=====================  ====================================================
``REQUEST_IN``         new transaction created (t_newtran / t_relay)
``RESPONSE_IN``        a reply matched a (non-local) transaction
``E2EACK_IN``          end-to-end ACK of a 2xx (first one only)
``REQUEST_FWDED``      per branch, after branch_route, before it is built
``REQUEST_BUILT``      per branch, after it was sent (buffer, destination)
``RESPONSE_FWDED``     a 1xx/2xx is about to be relayed upstream
``ON_FAILURE_RO`` and  every branch failed: before the failure route, on
``ON_FAILURE``         the faked request, with the winning reply and code
``RESPONSE_OUT``       a reply was relayed upstream (1xx and finals, as
                       1.3's ``relay_reply``) or a final local one sent
``LOCAL_COMPLETED``    a local (UAC / replicated) transaction got a final
``LOCAL_RESPONSE_OUT`` a local transaction got a provisional
``TRANS_DELETED``      the transaction is about to be deleted
=====================  ====================================================
"""
import marshal

from openser_py.core.dprint import LM_CRIT, LM_DBG, LM_ERR
from openser_py.core.errors import E_BUG, E_CFG
from openser_py.modules.tm import cell as C
from openser_py.modules.tm.t_state import bound, rt

__all__ = ["TMCB_REQUEST_IN", "TMCB_RESPONSE_IN", "TMCB_E2EACK_IN",
           "TMCB_REQUEST_FWDED", "TMCB_RESPONSE_FWDED", "TMCB_ON_FAILURE_RO",
           "TMCB_ON_FAILURE", "TMCB_RESPONSE_OUT", "TMCB_LOCAL_COMPLETED",
           "TMCB_LOCAL_RESPONSE_OUT", "TMCB_REQUEST_BUILT",
           "TMCB_TRANS_DELETED", "TMCB_MAX", "FAKED_REPLY", "TmcbParams",
           "TCell", "register_tmcb", "declare", "collect",
           "run_trans_callbacks", "new_transaction", "init_tmcb_lists",
           "sync_generation", "freeze", "has_reqin"]

TMCB_REQUEST_IN = 1 << 0
TMCB_RESPONSE_IN = 1 << 1
TMCB_E2EACK_IN = 1 << 2
TMCB_REQUEST_FWDED = 1 << 3
TMCB_RESPONSE_FWDED = 1 << 4
TMCB_ON_FAILURE_RO = 1 << 5
TMCB_ON_FAILURE = 1 << 6
TMCB_RESPONSE_OUT = 1 << 7
TMCB_LOCAL_COMPLETED = 1 << 8
TMCB_LOCAL_RESPONSE_OUT = 1 << 9
TMCB_REQUEST_BUILT = 1 << 10
TMCB_TRANS_DELETED = 1 << 11
TMCB_MAX = (1 << 12) - 1


class _FakedReply:
    """The reply of a locally generated final (timeout, cancel, t_reply)."""

    __slots__ = ()

    def __repr__(self):
        return "FAKED_REPLY"

    def __bool__(self):
        return False


#: ``params.rpl`` of a locally generated reply (OpenSER's FAKED_REPLY).
FAKED_REPLY = _FakedReply()


class TmcbParams:
    """What a callback gets besides the cell (``struct tmcb_params``)."""

    __slots__ = ("req", "rpl", "code", "param", "extra1", "extra2")

    def __init__(self, req=None, rpl=None, code=0, param=None, extra1=None,
                 extra2=None):
        self.req, self.rpl, self.code, self.param = req, rpl, code, param
        self.extra1, self.extra2 = extra1, extra2


class TCell:
    """The transaction as a callback sees it: a decoded snapshot + helpers.

    ``cell`` is the :class:`~openser_py.modules.tm.cell.Cell` read in the
    critical section that decided the event; ``t`` is ``(hash_index,
    label)``.  Changes go through :meth:`or_flags` / ``register_tmcb``.
    """

    __slots__ = ("cell", "t", "_req")

    def __init__(self, cell, t=None):
        self.cell = cell
        self.t = t if t is not None else (cell.hash_index, cell.label)
        self._req = None

    @property
    def hash_index(self):
        """The transaction's hash index."""
        return self.t[0]

    @property
    def label(self):
        """The transaction's label."""
        return self.t[1]

    @property
    def uas_status(self):
        """The status sent upstream (or the local final) so far."""
        return self.cell.uas_status

    @property
    def relayed_branch(self):
        """The branch whose reply was relayed, -2 local reply, -1 none."""
        return self.cell.relayed_branch

    @property
    def nr_branches(self):
        """Number of branches (``nr_of_outgoings``)."""
        return len(self.cell.branches)

    def is_invite(self):
        """True for an INVITE transaction."""
        return bool(self.cell.flags & C.T_IS_INVITE)

    def is_local(self):
        """True for a locally generated (UAC or replicated) transaction."""
        return bool(self.cell.flags & C.T_IS_LOCAL)

    def branch_uri(self, b):
        """The Request-URI of branch ``b``."""
        return self.cell.branches[b].uri

    def uas_request(self):
        """The transaction's request (parsed once), flags = its flags.

        None for a local UAC transaction.  Flags changed on it by a
        callback are written back to the transaction afterwards.
        """
        if self._req is None and self.cell.request:
            from openser_py.parser.msg import parse_msg
            try:
                req = parse_msg(self.cell.request)
            except Exception as exc:  # noqa: BLE001 - stored bytes parsed before
                LM_ERR("cannot re-parse the transaction's request: %s", exc)
                return None
            req.flags = self.cell.msg_flags
            if self.cell.new_uri:
                req.new_uri = self.cell.new_uri
            self._req = req
        return self._req

    def or_flags(self, bits):
        """Set tm flags (``T_*``, e.g. ``T_NOISY_CTIMER``) on the transaction."""
        self.cell.flags |= bits
        with rt.table.edit(*self.t) as v:
            if v is not None:
                v.or_flags(bits)

    def _flush_flags(self):
        req = self._req
        if req is not None and (req.flags or 0) != self.cell.msg_flags:
            self.cell.msg_flags = req.flags or 0
            with rt.table.edit(*self.t) as v:
                if v is not None:
                    v.set("msg_flags", self.cell.msg_flags)


# -- the process-global tables (filled before fork) ------------------------

_funcs = []                 # callback index -> function
_func_index = {}            # function -> callback index
_reqin = []                 # (function, param) of TMCB_REQUEST_IN
_state = {"frozen": False, "collect": None, "registry": None}


def init_tmcb_lists():
    """Empty the tables."""
    del _funcs[:]
    _func_index.clear()
    del _reqin[:]
    _state["frozen"] = False
    _state["collect"] = None


def sync_generation():
    """Start empty tables for a new module registry (config load).

    Called by tm's ``mod_init`` and by every registration, so that
    callbacks of a previously loaded config (in-process reloads) never
    fire, whichever of tm and its users is initialised first.
    """
    from openser_py.core.sr_module import current_registry
    reg = current_registry()
    if reg is not _state["registry"]:
        init_tmcb_lists()
        _state["registry"] = reg


def freeze():
    """After fork (tm ``child_init``): no new callback functions."""
    _state["frozen"] = True


def has_reqin():
    """True if a ``TMCB_REQUEST_IN`` callback is registered."""
    return bool(_reqin)


def declare(func):
    """The index of ``func`` in the callback table (added if new).

    Returns -1 when the table is frozen (after fork) and ``func`` is not
    in it: register or declare callback functions in ``mod_init``.
    """
    sync_generation()
    idx = _func_index.get(func)
    if idx is not None:
        return idx
    if _state["frozen"]:
        LM_ERR("tm callback %s registered after fork; declare it in "
               "mod_init", getattr(func, "__qualname__", func))
        return -1
    _funcs.append(func)
    _func_index[func] = len(_funcs) - 1
    return len(_funcs) - 1


def register_tmcb(msg, t, types, func, param=None):
    """Register ``func`` for the ``types`` events (OpenSER ``register_tmcb``).

    ``TMCB_REQUEST_IN`` (alone) is global: register it in ``mod_init``.
    Other types go to transaction ``t`` (a ``(hash_index, label)`` or a
    :class:`TCell`), or to the transaction of ``msg``; if ``msg`` has none
    yet they wait on the message and join the transaction it creates.
    Returns 1, or ``E_BUG``/``E_CFG`` (negative).
    """
    if not isinstance(types, int) or types <= 0 or types > TMCB_MAX:
        LM_CRIT("invalid callback types: mask=%r", types)
        return E_BUG
    if not callable(func):
        LM_CRIT("null callback function")
        return E_BUG
    if types & TMCB_REQUEST_IN:
        if types != TMCB_REQUEST_IN:
            LM_CRIT("callback type TMCB_REQUEST_IN can't be register along "
                    "with types")
            return E_BUG
        sync_generation()
        _reqin.append((func, param))
        return 1
    try:
        marshal.dumps(param)
    except ValueError:
        LM_CRIT("tm callback param must be marshal-able, not %r", param)
        return E_BUG
    idx = declare(func)
    if idx < 0:
        return E_CFG
    entry = (types, idx, param)
    if isinstance(t, TCell):
        t = t.t
    if t is None:
        if msg is None:
            LM_CRIT("no sip_msg, nor transaction given")
            return E_BUG
        t = bound(msg)
        if t is None:
            msg.ctx.setdefault("tm.tmcb_pending", []).append(entry)
            return 1
    collecting = _state["collect"]
    if collecting is not None and collecting[0] == t:
        collecting[1].append(entry)
        return 1
    return _add_to_cell(t, [entry])


def _add_to_cell(t, entries, msg_flags=None):
    types = 0
    for e in entries:
        types |= e[0]
    with rt.table.edit(*t) as v:
        if v is None:
            LM_ERR("transaction %d:%d vanished", t[0], t[1])
            return E_BUG
        if msg_flags is not None:
            v.set("msg_flags", msg_flags)
        if entries:
            cbs = C.decode_tmcbs(v.section(C.SEC_TMCB)) + tuple(entries)
            try:
                ok = v.set_section(C.SEC_TMCB,
                                   C.encode_section(C.SEC_TMCB, cbs))
            except C.CellError as exc:
                LM_ERR("cannot register tm callback: %s", exc)
                return E_BUG
            if not ok:
                LM_ERR("no shm for a tm callback")
                return E_BUG
            v.set("tmcb_types", v.get("tmcb_types") | types)
    return 1


def new_transaction(t, cell, msg):
    """A transaction was just created for ``msg``: run ``TMCB_REQUEST_IN``.

    Outside any lock; then writes the callbacks registered meanwhile (and
    those pending on the message) and changed message flags to the cell.
    """
    entries = list(msg.ctx.pop("tm.tmcb_pending", None) or ())
    flags_before = msg.flags or 0
    if _reqin:
        tc = TCell(cell, t)
        ps = TmcbParams(msg, None, int(msg.method_id))
        saved = _state["collect"]
        _state["collect"] = (t, entries)
        try:
            for func, param in reversed(_reqin):    # newest first (OpenSER)
                ps.param = param
                try:
                    func(tc, TMCB_REQUEST_IN, ps)
                except Exception as exc:  # noqa: BLE001 - a module's bug
                    LM_ERR("TMCB_REQUEST_IN callback %s failed: %s: %s",
                           getattr(func, "__qualname__", func),
                           type(exc).__name__, exc)
        finally:
            _state["collect"] = saved
    flags = msg.flags or 0
    if entries or flags != flags_before:
        _add_to_cell(t, entries, flags if flags != flags_before else None)


def collect(v, types):
    """Inside ``table.edit``: a :class:`TCell` if callbacks of ``types`` exist.

    The cell is decoded only when one of ``types`` is registered.
    """
    if v.get("tmcb_types") & types:
        c = v.cell()
        return TCell(c, (v.bucket, v.label))
    return None


def run_trans_callbacks(type_, tc, req, rpl, code, extra1=None, extra2=None):
    """Run the callbacks of ``tc`` registered for ``type_`` (no lock held).

    ``req`` None means the transaction's request (:meth:`TCell.uas_request`).
    """
    if tc is None:
        return
    cbs = [e for e in tc.cell.tmcbs if e[0] & type_]
    if not cbs:
        return
    from openser_py.core.usr_avp import AvpList, set_avp_list
    if req is None:
        req = tc.uas_request()
    try:
        lst = AvpList.from_bytes(tc.cell.avps) if tc.cell.avps else AvpList()
    except ValueError:
        lst = AvpList()
    old = set_avp_list(lst)
    ps = TmcbParams(req, rpl, code, None, extra1, extra2)
    try:
        for _types, idx, param in reversed(cbs):    # newest first (OpenSER)
            func = _funcs[idx] if 0 <= idx < len(_funcs) else None
            if func is None:
                LM_ERR("unknown tm callback index %d", idx)
                continue
            ps.param = param
            LM_DBG("trans=%d:%d, callback type %d, id %d entered", tc.t[0],
                   tc.t[1], type_, idx)
            try:
                func(tc, type_, ps)
            except Exception as exc:  # noqa: BLE001 - a module's bug
                LM_ERR("tm callback %s (type %d) failed: %s: %s",
                       getattr(func, "__qualname__", func), type_,
                       type(exc).__name__, exc)
    finally:
        set_avp_list(old)
    tc._flush_flags()
