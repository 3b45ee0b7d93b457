"""Which reply to relay, and when (reference §5.6, RFC 3261 §16.7) -- pure.

OpenSER's ``t_should_relay_response`` decides, for each reply received on
a branch (or faked on it: 408 on timeout, 487 for an unanswered cancelled
branch), what happens to it and to the transaction.  Here it is a function
from a :data:`Snapshot` of the cell to a :data:`Decision`; the caller
evaluates it under the bucket lock and writes the result back in the same
critical section (``TransTable.edit``), so two replies on two branches can
never both believe they completed the transaction.

Rules, in order:

1. A final reply was already sent upstream: only a 2xx to an INVITE goes
   through ("pushed after completion": every 2xx is relayed, §16.7 step 5);
   for a CANCEL transaction a final completes it silently; the rest is
   discarded.
2. The branch already has a final reply: only a (first or further) 2xx to
   an INVITE branch passes; retransmissions are discarded.
3. 300-699: stored in the branch.  A 6xx wins at once: the other branches
   are cancelled and no new branch may be added (§16.7 step 5).  Otherwise,
   once *every* branch is final, :func:`pick_branch` chooses: the lowest
   code, except that 503 loses to anything and, after a CANCEL, 487 wins.
   The result is ``RPS_PICKED``: the caller then tries DNS failover and
   the failure route (outside any lock, under the ``CLAIM_FAILURE`` claim)
   and finishes with :func:`after_failure`.  While branches are pending the
   reply is only stored (``RPS_STORE``).
4. 1xx and 2xx are relayed at once, except 100 (absorbed, §16.7 step 5);
   a 2xx completes the transaction and cancels the pending branches.
"""
from collections import namedtuple

__all__ = ["RPS_ERROR", "RPS_PUSHED_AFTER_COMPLETION", "RPS_DISCARDED",
           "RPS_STORE", "RPS_PROVISIONAL", "RPS_COMPLETED", "RPS_PICKED",
           "BranchState", "Snapshot", "Decision", "pick_branch",
           "which_cancel", "cancel_plan", "should_relay", "after_failure",
           "dns_failover_wanted", "run_failure_handlers"]

RPS_ERROR = 0
RPS_PUSHED_AFTER_COMPLETION = 1
RPS_DISCARDED = 2
RPS_STORE = 3
RPS_PROVISIONAL = 4
RPS_COMPLETED = 5
RPS_PICKED = 6      # all final (or 6xx): run failover/failure, then after_failure

#: one branch as the decision sees it: last received status and whether
#: it carries a request (OpenSER's ``request.buffer.s``), its CANCEL mark.
BranchState = namedtuple("BranchState", "status active canceled")
BranchState.__new__.__defaults__ = (True, False)

#: the transaction as the decision sees it.
Snapshot = namedtuple("Snapshot", (
    "is_invite", "uas_status", "hopbyhop_cancel", "cancelled",
    "first_branch", "branches"))

#: ``rps``: one of the RPS_* codes; ``store``: keep this reply in the
#: branch; ``relay``: branch whose reply goes upstream now (-1: none);
#: ``picked``/``picked_code``: the winner when RPS_PICKED; ``cancel_bm``:
#: bitmap of branches to cancel (already marked by the decision);
#: ``branch_status``: new last status of the branch (None: unchanged);
#: ``no_new_branches``: set T_NO_NEW_BRANCHES (6xx).
Decision = namedtuple("Decision", (
    "rps", "store", "relay", "picked", "picked_code", "cancel_bm",
    "branch_status", "no_new_branches"))

_DISCARD = Decision(RPS_DISCARDED, False, -1, -1, 0, 0, None, False)


def pick_branch(branches, first_branch=0, cancelled=False):
    """The best final reply among ``branches[first_branch:]``.

    Returns ``(branch, code)``; ``(-2, 0)`` while a branch has no final
    reply; ``(-1, 999)`` when there is no active branch.  Lowest code wins,
    503 has the lowest priority, and a 487 wins if the transaction was
    cancelled (OpenSER 1.3 ``t_pick_branch``).
    """
    lowest_b, lowest_s = -1, 999
    for b in range(first_branch, len(branches)):
        st = branches[b]
        if not st.active:
            continue
        s = st.status
        if s < 200:
            return -2, 0
        if (lowest_b == -1 or (cancelled and s == 487)
                or ((lowest_s != 487 or not cancelled)
                    and (lowest_s == 503 or (s != 503 and s < lowest_s)))):
            lowest_b, lowest_s = b, s
    return lowest_b, lowest_s


def which_cancel(branches):
    """Bitmap of the branches to cancel: no final reply, not yet cancelled."""
    bm = 0
    for b, st in enumerate(branches):
        if st.status < 200 and not st.canceled:
            bm |= 1 << b
    return bm


def cancel_plan(branches, cancel_bm):
    """Split ``cancel_bm``: ``(send_cancel_bm, fake_487_bm)``.

    A branch that got a provisional gets a CANCEL (RFC 3261 §9.1); one that
    got nothing is not sent a CANCEL (that would be illegal) but ended with
    a faked 487 and flagged BR_TO_CANCEL, so that a 1xx arriving later is
    cancelled then (reference §5.4).
    """
    send = fake = 0
    for b, st in enumerate(branches):
        if cancel_bm & (1 << b):
            if st.status >= 100:
                send |= 1 << b
            else:
                fake |= 1 << b
    return send, fake


def _with_status(branches, branch, code):
    out = list(branches)
    st = out[branch]
    out[branch] = BranchState(code, st.active, st.canceled)
    return out


def should_relay(snap, branch, code):
    """:data:`Decision` for a reply ``code`` on ``branch`` (rules above)."""
    inv_through = snap.is_invite and 200 <= code < 300
    if snap.uas_status >= 200:
        if inv_through:
            return Decision(RPS_PUSHED_AFTER_COMPLETION, False, branch, -1, 0,
                            0, code, False)
        if snap.hopbyhop_cancel and code >= 200:
            return Decision(RPS_COMPLETED, False, -1, -1, 0, 0, None, False)
        return _DISCARD
    last = snap.branches[branch].status
    if last >= 200 and not (inv_through and last < 300):
        return _DISCARD
    if code >= 300:
        brs = _with_status(snap.branches, branch, code)
        if code >= 600:
            return Decision(RPS_PICKED, False, -1, branch, code,
                            which_cancel(brs), code, True)
        picked, picked_code = pick_branch(brs, snap.first_branch,
                                          snap.cancelled)
        if picked == -2:
            return Decision(RPS_STORE, True, -1, -1, 0, 0, code, False)
        if picked == -1:
            return Decision(RPS_DISCARDED, False, -1, -1, 0, 0, code, False)
        return Decision(RPS_PICKED, False, -1, picked, picked_code, 0, code,
                        False)
    if code >= 100:
        relay = -1 if code == 100 else branch
        if code >= 200:
            brs = _with_status(snap.branches, branch, code)
            return Decision(RPS_COMPLETED, False, relay, -1, 0,
                            which_cancel(brs), code, False)
        return Decision(RPS_PROVISIONAL, False, relay, -1, 0, 0, code, False)
    return _DISCARD


def after_failure(uas_status, branches_before, branches_after, picked,
                  picked_code):
    """Finish an ``RPS_PICKED`` decision after failover / failure route.

    * the failure route replied (``uas_status`` >= 200): completed, nothing
      more to relay;
    * it added branches: store this reply and wait for them;
    * else relay the picked reply (``RPS_COMPLETED``).
    """
    if uas_status >= 200:
        return Decision(RPS_COMPLETED, False, -1, -1, 0, 0, None, False)
    if branches_after > branches_before:
        return Decision(RPS_STORE, True, -1, -1, 0, 0, None, False)
    return Decision(RPS_COMPLETED, False, picked, picked, picked_code, 0,
                    None, False)


def dns_failover_wanted(no_dns_failover, has_more_addresses, picked_status,
                        picked_received, picked_reply_is_real,
                        has_retry_after):
    """RFC 3263 failover check on the picked branch (``is_3263_failure``).

    A 408 on a branch that never received anything, or a real (not faked)
    503 carrying Retry-After, moves on to the next address of the name.
    """
    if no_dns_failover or not has_more_addresses:
        return False
    if picked_status == 408:
        return not picked_received
    if picked_status == 503:
        return bool(picked_reply_is_real and has_retry_after)
    return False


def run_failure_handlers(on_failure, has_failure_cbs, method_is_cancel,
                         no_uas_request, branches_before, branches_after):
    """Should the failure route / callbacks run after the pick?

    Not when failover already added branches, nor for a CANCEL or a
    UAC-only transaction without UAS request (``run_failure_handlers``),
    nor when nothing is armed.  The route is disarmed before it runs.
    """
    return (branches_before == branches_after and not method_is_cancel
            and not no_uas_request and bool(on_failure or has_failure_cbs))
