"""Serial forking helpers: ``serialize_branches`` / ``next_branches``.

OpenSER 1.3 ``serialize.c`` semantics: the R-URI and the branches are grouped
by q value, highest first; destinations with equal q form one parallel
group.  ``serialize_branches`` keeps the first group in the R-URI and the
destination set and stores the remaining groups; ``next_branches`` (in a
failure route) loads the next group, or returns -1 when none is left.

The pending groups travel in one AVP (``$avp(s:serial_branches)``, JSON), so
they follow the transaction's AVP list into the failure route.
"""
import json

from openser_py.core import dset, flags, usr_avp
from openser_py.core.dprint import LM_DBG, LM_ERR

AVP_NAME = "serial_branches"


def _q_key(q):
    return dset.MAX_Q if q == dset.Q_UNSPECIFIED else q


def serialize_branches(msg, clean):
    """Group R-URI + branches by q; keep the first group; store the rest."""
    avps = usr_avp.get_avp_list()
    if clean:
        avps.delete(AVP_NAME, all=True)
    elif avps.search(AVP_NAME) is not None:
        LM_ERR("branches already serialized (use serialize_branches(1) to "
               "start over)")
        return -1
    if not dset.nr_branches():
        LM_DBG("nothing to serialize: no branches")
        return 1
    dests = [(dset.get_ruri_q(), dset.get_request_uri(msg), msg.dst_uri,
              msg.path_vec, flags.getb0flags(msg))]
    for br in dset.get_branches():
        dests.append((br.q, br.uri, br.dst_uri, br.path, br.flags))
    dests.sort(key=lambda d: -_q_key(d[0]))       # stable: keeps order
    groups = []
    for d in dests:
        if groups and _q_key(groups[-1][0][0]) == _q_key(d[0]):
            groups[-1].append(d)
        else:
            groups.append([d])
    if len(groups) == 1:
        return 1      # all parallel: nothing to do
    _load_group(msg, groups[0])
    avps.add(AVP_NAME, json.dumps(groups[1:]))
    return 1


def _load_group(msg, group):
    dset.clear_branches()
    q, uri, dst, path, bflags = group[0]
    msg.new_uri = uri
    msg.dst_uri = dst
    msg.path_vec = path
    flags.setb0flags(msg, bflags or 0)
    dset.set_ruri_q(q)
    for q, uri, dst, path, bflags in group[1:]:
        dset.append_branch(msg, uri, dst, path, q, bflags or 0)


def next_branches(msg):
    """Load the next stored group into R-URI and branches; -1 if none."""
    avps = usr_avp.get_avp_list()
    avp = avps.search(AVP_NAME)
    if avp is None:
        return -1
    groups = json.loads(avp)
    avps.delete(AVP_NAME, all=True)
    if not groups:
        return -1
    _load_group(msg, groups[0])
    if groups[1:]:
        avps.add(AVP_NAME, json.dumps(groups[1:]))
    return 1
