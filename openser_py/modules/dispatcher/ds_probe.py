"""Probing destinations with OPTIONS (OpenSER ``ds_check_timer`` and
``ds_options_callback``); see ``doc/dev/dispatcher.md``.

The timer process runs :func:`ds_check_timer` every ``ds_ping_interval``
seconds.  It sends ``ds_ping_method`` (OPTIONS) from ``ds_ping_from`` to
every destination in the *probing* state -- or to every destination with
``ds_probing_mode=1`` -- through tm's local UAC (``t_uac``), one local
transaction per destination, with :func:`ds_options_callback` registered
for ``TMCB_LOCAL_COMPLETED`` and ``(set id, uri)`` as its parameter.  tm
matches the reply (in whichever worker receives it) or fakes a 408 when
its FR timer fires, and runs the callback there; the callback changes the
destination's state in shm, so every process sees it at once.
"""
from openser_py.core.dprint import LM_DBG, LM_ERR
from openser_py.modules.dispatcher import dispatch
from openser_py.modules.dispatcher.ds_shm import (DS_INACTIVE_DST,
                                                  DS_PROBING_DST,
                                                  DS_RESET_FAIL_DST)

#: replies that prove a destination alive (1.3: Cisco answers 501, Aastra
#: 403)
ALIVE_CODES = (200, 501, 403)


class ProbeCfg:
    """Set by ``mod_init``."""
    tm = None
    method = "OPTIONS"
    from_uri = "sip:dispatcher@localhost"
    mode = 0


probe = ProbeCfg()


def ds_options_callback(tcell, type_, params):
    """``TMCB_LOCAL_COMPLETED`` of a probe: alive -> active (failure count
    reset); otherwise, with ``ds_probing_mode=1``, one more failure towards
    the probing state."""
    param = params.param
    if not param:
        LM_DBG("No parameter provided, OPTIONS-Request was finished with "
               "code %d", params.code)
        return
    group, uri = param
    code = params.code
    LM_DBG("OPTIONS-Request was finished with code %d (to %s, group %d)",
           code, uri, group)
    if code in ALIVE_CODES:
        if dispatch.ds_set_state(group, uri, DS_INACTIVE_DST | DS_PROBING_DST
                                 | DS_RESET_FAIL_DST, 0) != 0:
            LM_ERR("Setting the state failed (%s, group %d)", uri, group)
    elif probe.mode == 1 and code >= 300:
        dispatch.ds_set_state(group, uri, DS_PROBING_DST, 1)


def targets():
    """``[(set id, uri)]`` to probe now (a snapshot taken under the lock)."""
    out = []
    store = dispatch.rt.store
    if store is None:
        return out
    with store.locked() as (sets, _by_id, view):
        if view is None:
            return out
        for s in sets:
            for i, d in enumerate(s.dests):
                if probe.mode == 1 or view.flags(s.base + i) & DS_PROBING_DST:
                    out.append((s.id, d[0]))
    return out


def ds_check_timer(ticks, param):
    """The probing timer: one OPTIONS per destination to probe."""
    tm = probe.tm
    if tm is None:
        return
    for group, uri in targets():
        LM_DBG("probing set #%d, URI %s", group, uri)
        rc, _t = tm.t_uac(probe.method, uri, "<%s>" % probe.from_uri,
                          "<%s>" % uri, callback=ds_options_callback,
                          cb_types=tm.TMCB_LOCAL_COMPLETED,
                          cb_param=(group, uri))
        if rc < 0:
            LM_ERR("unable to execute dialog (%d)", rc)
