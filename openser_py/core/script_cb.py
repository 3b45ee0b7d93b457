"""Pre- and post-script callbacks (OpenSER ``script_cb.c``).

Modules register plain functions, before fork (``mod_init``), that the
core calls around the routing script for every received message:

* ``PRE_SCRIPT_CB | REQ_TYPE_CB``: before ``route[0]``; a callback that
  returns ``False`` or ``0`` drops the request (the script does not run,
  the core counts ``drop_requests``).  The first one that says "drop" stops
  the chain, as OpenSER's ``exec_pre_cb``.  sl's ACK filter is one.
* ``POST_SCRIPT_CB | REQ_TYPE_CB``: after the script; results ignored.
* the same with ``RPL_TYPE_CB`` for replies (around the default
  ``onreply_route`` and the modules' ``response_f``).

A callback is ``func(msg) -> bool | int | None``; ``None`` means "go on"
(use :func:`functools.partial` to bind extra parameters).  A callback that
raises is logged and counts as "go on": a module bug never drops traffic.
Callbacks run in registration order; registering the same function twice
for the same flags is ignored (a config loaded twice in one process, as
the tests do, must not run the filter twice).

The lists are per process, filled before fork and then read-only, so the
hot path is a loop over a tuple (nothing at all when it is empty).
"""
from openser_py.core.dprint import LM_CRIT, LM_DBG, LM_ERR

__all__ = ["PRE_SCRIPT_CB", "POST_SCRIPT_CB", "REQ_TYPE_CB", "RPL_TYPE_CB",
           "register_script_cb", "exec_pre_req_cb", "exec_post_req_cb",
           "exec_pre_rpl_cb", "exec_post_rpl_cb", "reset_script_cbs",
           "has_callbacks"]

# flags (script_cb.h)
PRE_SCRIPT_CB = 1 << 0
POST_SCRIPT_CB = 1 << 1
REQ_TYPE_CB = 1 << 2
RPL_TYPE_CB = 1 << 3

# the four lists, as tuples (replaced, never mutated, on registration)
_pre_req = ()
_post_req = ()
_pre_rpl = ()
_post_rpl = ()


def register_script_cb(func, flags):
    """Register *func* for the lists selected by *flags*; 0 or -1.

    *flags* must hold at least one of ``PRE_SCRIPT_CB``/``POST_SCRIPT_CB``
    and one of ``REQ_TYPE_CB``/``RPL_TYPE_CB``; every combination given is
    registered (``PRE_SCRIPT_CB | REQ_TYPE_CB | RPL_TYPE_CB`` puts *func*
    in two lists).
    """
    global _pre_req, _post_req, _pre_rpl, _post_rpl
    if not callable(func):
        LM_CRIT("script callback %r is not callable", func)
        return -1
    when = flags & (PRE_SCRIPT_CB | POST_SCRIPT_CB)
    kind = flags & (REQ_TYPE_CB | RPL_TYPE_CB)
    if not when or not kind or flags & ~(when | kind):
        LM_CRIT("bad script callback flags %#x for %r", flags, func)
        return -1
    if when & PRE_SCRIPT_CB and kind & REQ_TYPE_CB:
        _pre_req = _added(_pre_req, func)
    if when & POST_SCRIPT_CB and kind & REQ_TYPE_CB:
        _post_req = _added(_post_req, func)
    if when & PRE_SCRIPT_CB and kind & RPL_TYPE_CB:
        _pre_rpl = _added(_pre_rpl, func)
    if when & POST_SCRIPT_CB and kind & RPL_TYPE_CB:
        _post_rpl = _added(_post_rpl, func)
    return 0


def _added(cbs, func):
    if func in cbs:
        LM_DBG("script callback %r already registered", func)
        return cbs
    return cbs + (func,)


def _pre_failed(func, exc):
    LM_ERR("pre-script callback %r failed: %s: %s", func,
           type(exc).__name__, exc)


def _post_failed(func, exc):
    LM_ERR("post-script callback %r failed: %s: %s", func,
           type(exc).__name__, exc)


# The four exec_* functions run for every message: each holds its loop
# itself (no helper frame) and costs one call when its list is empty.

def exec_pre_req_cb(msg):
    """Run the pre-script request callbacks; False = drop the request."""
    for func in _pre_req:
        try:
            ret = func(msg)
        except Exception as exc:  # noqa: BLE001 - a module bug never drops
            _pre_failed(func, exc)
            continue
        if ret is not None and not ret:
            return False
    return True


def exec_post_req_cb(msg):
    """Run the post-script request callbacks."""
    for func in _post_req:
        try:
            func(msg)
        except Exception as exc:  # noqa: BLE001
            _post_failed(func, exc)


def exec_pre_rpl_cb(msg):
    """Run the pre-script reply callbacks; False = drop the reply."""
    for func in _pre_rpl:
        try:
            ret = func(msg)
        except Exception as exc:  # noqa: BLE001 - a module bug never drops
            _pre_failed(func, exc)
            continue
        if ret is not None and not ret:
            return False
    return True


def exec_post_rpl_cb(msg):
    """Run the post-script reply callbacks."""
    for func in _post_rpl:
        try:
            func(msg)
        except Exception as exc:  # noqa: BLE001
            _post_failed(func, exc)


def has_callbacks(flags):
    """True when a list selected by *flags* is not empty (tests, MI)."""
    lists = []
    if flags & PRE_SCRIPT_CB:
        if flags & REQ_TYPE_CB:
            lists.append(_pre_req)
        if flags & RPL_TYPE_CB:
            lists.append(_pre_rpl)
    if flags & POST_SCRIPT_CB:
        if flags & REQ_TYPE_CB:
            lists.append(_post_req)
        if flags & RPL_TYPE_CB:
            lists.append(_post_rpl)
    return any(lists)


def reset_script_cbs():
    """Forget every callback (tests; ``destroy`` at shutdown)."""
    global _pre_req, _post_req, _pre_rpl, _post_rpl
    _pre_req = _post_req = _pre_rpl = _post_rpl = ()
