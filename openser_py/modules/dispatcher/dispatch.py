"""Selecting, failing over and marking destinations (OpenSER ``dispatch.c``).

``ds_select_dst(msg, set, alg, mode)`` picks a destination of a set with
one of 1.3's algorithms (0 Call-ID, 1 From URI, 2 To URI, 3 R-URI hash,
4 round-robin, 5 auth username hash or round-robin, 6 random, anything
else the first entry), skips inactive and probing destinations, and sets
``$du`` (mode 0) or the R-URI host:port (mode 1).  With failover on
(``flags`` bit 2) the other active destinations go to ``dst_avp`` for
``ds_next_dst()``, the set id to ``grp_avp`` and their number to
``cnt_avp``.  The decision and the round-robin update happen under the
store's lock (``ds_shm``); AVPs and the message change after it.
"""
import random

from openser_py.core import dset
from openser_py.core.actions import w_rewritehostport
from openser_py.core.dprint import LM_DBG, LM_ERR, LM_INFO, LM_WARN
from openser_py.core.exports import FAILURE_ROUTE
from openser_py.core.script_state import state as script_state
from openser_py.core.usr_avp import add_avp, destroy_avps, get_avp_list
from openser_py.modules.dispatcher import ds_hash
from openser_py.modules.dispatcher.ds_shm import (DS_INACTIVE_DST,
                                                  DS_PROBING_DST,
                                                  DS_RESET_FAIL_DST)
from openser_py.parser.errors import SipParseError
from openser_py.parser.parse_uri import parse_uri

_SKIP = DS_INACTIVE_DST | DS_PROBING_DST


class DsRuntime:
    """What ``mod_init`` prepared: the store, the AVP names and params."""
    store = None
    dst_avp = None           # (name, flags) or None
    grp_avp = None
    cnt_avp = None
    flags = 0
    force_dst = 0
    use_default = 0
    threshold = 3


rt = DsRuntime()


def _alg_hash(msg, alg):
    """``(hash, rr)`` for *alg*: rr True = take the round-robin index;
    None on error."""
    f = rt.flags
    if alg == 0:
        h = ds_hash.hash_callid(msg, f)
    elif alg == 1:
        h = ds_hash.hash_fromuri(msg, f)
    elif alg == 2:
        h = ds_hash.hash_touri(msg, f)
    elif alg == 3:
        h = ds_hash.hash_ruri(msg, f)
    elif alg == 4:
        return 0, True
    elif alg == 5:
        r = ds_hash.hash_authusername(msg, f)
        if r is None:
            return None
        return (r[0], False) if r[1] else (0, True)
    elif alg == 6:
        return random.getrandbits(31), False
    else:
        LM_WARN("algo %d not implemented - using first entry...", alg)
        return 0, False
    return None if h is None else (h, False)


def pick_index(nr, h, flags_of, use_default):
    """1.3's choice among *nr* destinations starting at hash *h*: skip
    inactive/probing ones (``flags_of(i)``), fall back to the last entry
    with *use_default*; -1 when every destination is down."""
    n = nr - 1 if (use_default and nr > 1) else nr
    start = h % n
    i = start
    while flags_of(i) & _SKIP:
        i = (i + 1) % n
        if i == start:
            return nr - 1 if use_default else -1
    return i


def select(msg, setid, alg):
    """Choose a destination: ``(DsSet, index, flags list)`` or None."""
    if rt.store is None:
        LM_ERR("no destination sets")
        return None
    hr = _alg_hash(msg, alg)
    if hr is None:
        return None
    h, use_rr = hr
    with rt.store.locked() as (sets, by_id, view):
        if not sets or view is None:
            LM_ERR("no destination sets")
            return None
        s = by_id.get(setid)
        if s is None:
            LM_ERR("destination set [%d] not found", setid)
            return None
        nr = len(s.dests)
        if use_rr:
            h = view.last(s.pos)
            view.set_last(s.pos, (h + 1) % nr)
        flags = [view.flags(s.base + i) for i in range(nr)]
        i = pick_index(nr, h, flags.__getitem__, rt.use_default)
        if i < 0:
            return None
        if alg == 4:
            view.set_last(s.pos, (i + 1) % nr)
    return s, i, flags


def update_dst(msg, uri, mode):
    """Use *uri*: ``$du`` (mode 0) or R-URI host:port (mode 1); in a
    failure route as a new branch.  0 / -1."""
    failure = script_state.route_type == FAILURE_ROUTE
    if mode == 1:
        try:
            u = parse_uri(uri)
        except SipParseError as exc:
            LM_ERR("bad destination uri %s: %s", uri, exc.reason)
            return -1
        hp = u.host + (":" + u.port if u.port else "")
        if w_rewritehostport(msg, hp) < 0:
            LM_ERR("error while setting host")
            return -1
        if failure and dset.append_branch(msg) != 1:
            LM_ERR("append_branch action failed")
            return -1
        return 0
    if failure:
        if dset.append_branch(msg, None, uri) != 1:
            LM_ERR("append_branch action failed")
            return -1
    else:
        msg.dst_uri = uri
    return 0


def ds_select_dst(msg, setid, alg, mode):
    """``ds_select_dst`` (mode 0) / ``ds_select_domain`` (mode 1)."""
    if mode == 0 and not rt.force_dst and msg.dst_uri:
        LM_ERR("destination already set [%s]", msg.dst_uri)
        return -1
    got = select(msg, setid, alg)
    if got is None:
        return -1
    s, i, flags = got
    uri = s.dests[i][0]
    if update_dst(msg, uri, mode) != 0:
        LM_ERR("cannot set dst addr")
        return -1
    LM_DBG("selected [%d-%d/%d] <%s>", alg, setid, i, uri)
    if not rt.flags & ds_hash.DS_FAILOVER_ON:
        return 1
    nr = len(s.dests)
    cnt = 0
    if rt.dst_avp is not None:
        name, aflags = rt.dst_avp
        last = nr - 1
        if rt.use_default and i != last:
            add_avp(name, s.dests[last][0], aflags)
            cnt += 1
        order = list(range(i - 1, -1, -1)) + list(range(nr - 1, i, -1))
        for j in order:
            if flags[j] & DS_INACTIVE_DST or (rt.use_default and j == last):
                continue
            add_avp(name, s.dests[j][0], aflags)
            cnt += 1
        add_avp(name, uri, aflags)
        cnt += 1
    if rt.grp_avp is not None:
        add_avp(rt.grp_avp[0], setid, rt.grp_avp[1])
    if rt.cnt_avp is not None:
        add_avp(rt.cnt_avp[0], cnt, rt.cnt_avp[1])
    return 1


def ds_next_dst(msg, mode):
    """``ds_next_dst`` (mode 0) / ``ds_next_domain`` (mode 1)."""
    if not rt.flags & ds_hash.DS_FAILOVER_ON or rt.dst_avp is None:
        LM_WARN("failover support disabled")
        return -1
    name, aflags = rt.dst_avp
    avps = get_avp_list()
    if avps.search(name, aflags) is None:
        return -1
    destroy_avps(name, False, aflags)
    uri = avps.search(name, aflags)
    if uri is None or not isinstance(uri, str):
        return -1
    if update_dst(msg, uri, mode) != 0:
        LM_ERR("cannot set dst addr")
        return -1
    LM_DBG("using [%s]", uri)
    return 1


def ds_set_state(group, address, st, type_):
    """1.3's ``ds_set_state``: set (*type_* true) or clear the *st* bits of
    *address* in *group*; probing needs ``ds_probing_threshhold`` calls.
    0 / -1 (set or destination not found)."""
    if rt.store is None:
        return -1
    addr = address.lower()
    with rt.store.locked() as (_sets, by_id, view):
        s = by_id.get(group)
        if s is None or view is None:
            LM_ERR("destination set [%d] not found", group)
            return -1
        for i, d in enumerate(s.dests):
            if d[0].lower() != addr:
                continue
            k = s.base + i
            flags, fails = view.dest(k)
            if st == DS_PROBING_DST and type_:
                if flags & DS_INACTIVE_DST:
                    LM_INFO("Ignoring the request to set this destination"
                            " to probing: It is already inactive!")
                    return 0
                fails += 1
                if fails < rt.threshold:
                    view.set_dest(k, flags, fails)
                    return 0
                fails = min(fails, rt.threshold)
            if st & DS_RESET_FAIL_DST:
                fails = 0
                st &= ~DS_RESET_FAIL_DST
            flags = flags | st if type_ else flags & ~st
            view.set_dest(k, flags, fails)
            return 0
    return -1


def ds_mark_dst(msg, mode):
    """``ds_mark_dst``: mode 0 inactive, 1 active, 2 probing."""
    if not rt.flags & ds_hash.DS_FAILOVER_ON:
        LM_WARN("failover support disabled")
        return -1
    if rt.grp_avp is None or rt.dst_avp is None:
        return -1
    avps = get_avp_list()
    group = avps.search(rt.grp_avp[0], rt.grp_avp[1])
    if group is None or isinstance(group, str):
        return -1
    uri = avps.search(rt.dst_avp[0], rt.dst_avp[1])
    if uri is None or not isinstance(uri, str):
        return -1
    group = int(group)
    if mode == 1:
        ret = ds_set_state(group, uri, DS_INACTIVE_DST | DS_PROBING_DST, 0)
    elif mode == 2:
        ret = ds_set_state(group, uri, DS_PROBING_DST, 1)
        if ret == 0:
            ret = ds_set_state(group, uri, DS_INACTIVE_DST, 0)
    else:
        ret = ds_set_state(group, uri, DS_INACTIVE_DST, 1)
        if ret == 0:
            ret = ds_set_state(group, uri, DS_PROBING_DST, 0)
    LM_DBG("mode [%d] grp [%d] dst [%s]", mode, group, uri)
    return 1 if ret == 0 else -1


def ds_is_from_list(msg, group):
    """True when the source ip:port of *msg* is a destination (of
    *group*, or of any set for -1)."""
    if rt.store is None:
        return -1
    rcv = msg.rcv
    if rcv is None:
        return -1
    src_ip, src_port = rcv.src_ip, rcv.src_port
    for s in rt.store.sets():
        if group != -1 and s.id != group:
            continue
        for _uri, ip, port in s.dests:
            if port == src_port and ip == src_ip:
                return 1
    return -1
