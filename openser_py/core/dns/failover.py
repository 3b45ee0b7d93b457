"""tm DNS failover: a branch's next address (OpenSER 1.3 do_dns_failover).

Theory of operation
-------------------
A branch is sent to the first destination its URI (``$du`` or R-URI)
resolves to (:func:`openser_py.core.resolve.uri_destinations`: NAPTR ->
SRV -> A/AAAA).  When that destination fails, tm tries the next one of
the same name, as a new branch of the same transaction with the same URI,
``$du``, path and branch flags:

* **send error** (:func:`send_failover`, from ``t_fwd._add_branch``): the
  failed branch was deactivated; the next destination gets the next
  branch index at once;
* **no answer / 503** (:func:`reply_failover`, from ``t_failure._handle``
  before the failure route, under tm's ``CLAIM_FAILURE``): the picked
  reply is a 408 faked by tm on a branch that received nothing, or a real
  503 with a ``Retry-After`` header (1.3's ``is_3263_failure``); a new
  branch goes out and the transaction waits for it -- the failure route
  and the relay of the picked reply happen only when no address is left.

The addresses already tried are read back from the transaction itself
(every branch with the same URI and ``$du``: proto, ip, port), so the
choice is the same in whichever process handles the failure -- a worker
or the timer process -- without storing resolver state in shm; the name
is re-resolved from the process's cache.  Failover is off with the core
parameter ``disable_dns_failover`` or the t_relay flag 0x04
(``T_NO_DNS_FAILOVER``), and only for destinations from a URI (a fixed
``t_relay("host:port")`` destination was resolved once at start-up).

Limitation: tm marks a branch ``BR_RECEIVED`` also when it fakes the 408,
so "nothing received" is approximated by "no provisional reply above 100
was relayed upstream" (doc/dev/dns.md).
"""
import re

from openser_py.core import resolve
from openser_py.core.dprint import LM_DBG, LM_INFO
from openser_py.core.errors import E_SEND

__all__ = ["send_failover", "reply_failover", "is_3263_failure"]

_RETRY_AFTER = re.compile(rb"\r\nRetry-After[ \t]*:", re.I)


def is_3263_failure(code, faked, provisional_seen, reply):
    """Should the picked ``code`` move to the next address (1.3 rules)?"""
    if code == 408:
        return faked and not provisional_seen
    if code == 503:
        return not faked and bool(reply) and \
            _RETRY_AFTER.search(reply.split(b"\r\n\r\n", 1)[0]) is not None
    return False


def _tried(v, uri, du):
    from openser_py.modules.tm.t_cellio import br_tuple
    out = []
    for i in range(v.nr_branches()):
        bt = br_tuple(v, i)
        if bt[1] == uri and (bt[5] or "") == (du or ""):
            out.append((v.bget(i, "proto"), bt[2], v.bget(i, "port")))
    return out


def _allowed(v):
    from openser_py.modules.tm import cell as C
    return not v.get("flags") & (C.T_NO_DNS_FAILOVER | C.T_CANCELED
                                 | C.T_NO_NEW_BRANCHES | C.T_NO_UAS)


def send_failover(msg, t, b, dest, send):
    """Branch ``b`` could not be sent: try the next addresses.

    ``send(b, dest)`` sends the branch prepared in ``msg`` as branch
    ``b`` to ``dest`` (tm's ``_send_branch``) and returns the branch index
    or an error.  Returns the index of the branch that went out or
    ``E_SEND``.
    """
    from openser_py.modules.tm import cell as C
    from openser_py.modules.tm.t_state import rt
    if dest is not None:
        return E_SEND
    uri = msg.new_uri or msg.ruri
    du = msg.dst_uri or ""
    ret = E_SEND
    for _ in range(C.MAX_BRANCHES):
        with rt.table.edit(*t) as v:
            if v is None or not _allowed(v):
                return ret
            tried = _tried(v, uri, du)
            b = v.nr_branches()
        if b >= C.MAX_BRANCHES:
            return ret
        nxt = resolve.next_destination(uri, du, tried)
        if nxt is None:
            return ret
        LM_INFO("DNS failover: branch %d to %s:%d after a send error",
                b, nxt[1], nxt[2])
        ret = send(b, nxt)
        if ret != E_SEND:
            return ret
    return ret


def reply_failover(t, picked, code):
    """Before the failure route: a new branch to the next address?

    True when one went out (the caller then waits for it).
    """
    if code not in (408, 503):
        return False
    from openser_py.core import dset
    from openser_py.modules.tm import cell as C
    from openser_py.modules.tm.t_cellio import (BR_REPLY, UAS_DST_IP,
                                                UAS_REQUEST, br_tuple,
                                                uas_tuple)
    from openser_py.modules.tm.t_failure import faked_request
    from openser_py.modules.tm.t_fwd import forward_branches
    from openser_py.modules.tm.t_state import rt
    if not resolve.failover_enabled():
        return False
    with rt.table.edit(*t) as v:
        if v is None or v.get("uas_status") >= 200 or not _allowed(v) \
                or picked >= v.nr_branches():
            return False
        bf = v.bget(picked, "flags")
        bt = br_tuple(v, picked)
        if not is_3263_failure(code, bool(bf & C.BR_FAKED),
                               v.get("uas_status") > 100, bt[BR_REPLY]):
            return False
        uri, du, path = bt[1], bt[5] or "", bt[6] or ""
        tried = _tried(v, uri, du)
        bflags = v.bget(picked, "bflags")
        uas = uas_tuple(v)
        dst = (v.get("uas_proto"), uas[UAS_DST_IP], v.get("uas_port"),
               v.get("uas_sock"))
        msg_flags = v.get("msg_flags")
    try:
        req = faked_request(uas[UAS_REQUEST], dst, msg_flags, t)
    except Exception as exc:  # noqa: BLE001 - a bad stored request
        LM_DBG("DNS failover: cannot re-parse the request: %s", exc)
        return False
    saved = dset.save_dset()
    try:
        for _ in range(C.MAX_BRANCHES):
            nxt = resolve.next_destination(uri, du, tried)
            if nxt is None:
                return False
            LM_INFO("DNS failover: %d on branch %d, next address %s:%d",
                    code, picked, nxt[1], nxt[2])
            dset.clear_branches()
            dset.append_branch(req, uri, du or None, path or None,
                               flags=bflags)
            if forward_branches(req, t, nxt) > 0:
                return True
            tried.append(nxt)
        return False
    finally:
        dset.restore_dset(saved)
