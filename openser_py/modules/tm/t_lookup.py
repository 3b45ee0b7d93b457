"""Transaction matching (reference §5.2, RFC 3261 §17.1.3 / §17.2.3) -- pure.

Nothing here touches shm.  The table (``h_table.TransTable``) turns the
cells of one hash bucket into :data:`Candidate` tuples under the bucket
lock and calls :func:`match_request` / :func:`match_cancel` on them, so the
decision and the reference it leads to are atomic; reply matching needs
only the decoded branch (:func:`reply_ids`) and :func:`reply_matches`.

Request -> transaction (OpenSER ``t_lookup_request``):

* **RFC 3261 path** (Via1 branch starts with ``z9hG4bK`` and is longer):
  skip UAC-only cells and cells whose method differs (an ACK only looks at
  INVITE cells, so a CANCEL never matches its INVITE here).  For an ACK,
  an INVITE cell that sent a 2xx is checked *dialog-wise* only (Call-ID,
  CSeq number, From tag; plus To tag against our own tag when the 2xx was
  local): that is an end-to-end ACK (``E2E_ACK``, not a retransmission);
  the first such cell is remembered and the scan goes on for a real match.
  Otherwise the cell matches when the Via1 branch, host, port and
  transport are all equal (§17.2.3).
* **RFC 2543 path**: non-ACK requests compare Call-ID, CSeq, From and To
  bodies, the R-URI (``ruri_matching``) and the Via1 text
  (``via1_matching``); an ACK compares Call-ID, CSeq number, From body and
  To *URI* against INVITE cells -- status < 300 makes it an e2e ACK (for a
  local 2xx the To tag must be ours), else R-URI and Via1 must match too.

CANCEL -> the INVITE it cancels (``t_lookupOriginalT``): the 3261 Via1
comparison against any non-CANCEL server cell, or Call-ID, CSeq number,
From body, To URI (tags ignored), R-URI and Via1 (both subject to the
flags).

Reply -> transaction (``t_reply_matching``): our Via1 branch names
``(hash_index, label, branch)``; the branch must exist and the CSeq method
must equal the transaction's, except a reply to our own CANCEL of an INVITE
branch.  Comparisons are byte-exact like OpenSER's ``memcmp`` (the texts are
latin-1 ``str``).
"""
from collections import namedtuple

from openser_py.modules.tm.cell import (BR_CANCELED, T_IS_INVITE, T_NO_UAS,
                                        MatchKey)
from openser_py.modules.tm.t_branch import has_cookie, parse_branch
from openser_py.parser.hf import HDR_CSEQ, HDR_FROM, HDR_TO, HDR_VIA
from openser_py.parser import methods as _methods

__all__ = ["NOT_FOUND", "FOUND", "E2E_ACK", "Candidate", "request_key",
           "lookup_key",
           "match_request", "match_cancel", "reply_ids", "reply_matches",
           "LOCAL_REPLY"]

NOT_FOUND, FOUND, E2E_ACK = 0, 1, 2
#: ``relayed_branch`` of a transaction whose reply was generated locally.
LOCAL_REPLY = -2
_MCOOKIE_LEN = 7
METHOD_ACK = int(_methods.METHOD_ACK)
METHOD_CANCEL = int(_methods.METHOD_CANCEL)
METHOD_INVITE = int(_methods.METHOD_INVITE)
METHOD_OTHER = int(_methods.METHOD_OTHER)

#: what the table shows the matcher of one stored transaction.
Candidate = namedtuple("Candidate", (
    "label", "flags", "method_id", "uas_status", "relayed_branch", "key"))


def request_key(msg, local_totag=""):
    """The :data:`MatchKey` of a parsed request (to store or to look up).

    Raises ``SipParseError`` (or ``ValueError``) when Via, From, To,
    Call-ID or CSeq is missing or malformed ("too few headers").
    """
    via = msg.via1
    frm, to, cseq, callid = msg.from_, msg.to, msg.cseq, msg.callid
    if via is None or frm is None or to is None or cseq is None or not callid:
        raise ValueError("too few headers for transaction matching")
    body = msg.hdr_body             # no HdrField objects (hot path)
    return MatchKey(
        int(msg.method_id), msg.method, callid, cseq.num_str,
        body(HDR_CSEQ), body(HDR_FROM), frm.tag or "", body(HDR_TO), to.uri,
        to.tag or "", msg.ruri, body(HDR_VIA)[via.start:via.end],
        via.branch or "", via.host, via.port, via.transport, local_totag)


def lookup_key(msg):
    """The key of a request that is only looked up, never stored (an ACK).

    With an RFC 3261 branch only the fields :func:`match_request`'s 3261
    comparisons read are filled in (the header bodies, To URI and R-URI
    of the RFC 2543 comparisons are left empty); else it is
    :func:`request_key`.  Same errors as :func:`request_key`.
    """
    via = msg.via1
    if via is None or not has_cookie(via.branch):
        return request_key(msg)
    frm, to, cseq, callid = msg.from_, msg.to, msg.cseq, msg.callid
    if frm is None or to is None or cseq is None or not callid:
        raise ValueError("too few headers for transaction matching")
    return MatchKey(
        int(msg.method_id), msg.method, callid, cseq.num_str, "", "",
        frm.tag or "", "", "", to.tag or "", "", "", via.branch, via.host,
        via.port, via.transport, "")


def _via_matching(t, m):
    """RFC 3261 §17.2.3: branch (after the cookie), sent-by, transport."""
    return (t.via1_branch[_MCOOKIE_LEN:] == m.via1_branch[_MCOOKIE_LEN:]
            and t.via1_host == m.via1_host and t.via1_port == m.via1_port
            and t.via1_transport == m.via1_transport)


def _dlg_ack(c, m):
    """An ACK dialog-wise equal to the INVITE of ``c`` (``ack_matching``)."""
    t = c.key
    if (t.callid != m.callid or t.cseq_num != m.cseq_num
            or t.from_tag != m.from_tag):
        return False
    # proxied 2xx: any To tag; our own 2xx: the To tag must be ours
    return c.relayed_branch != LOCAL_REPLY or m.to_tag == t.local_totag


def _matching_3261(m, cands, skip_method):
    is_ack = m.method_id == METHOD_ACK
    e2e = 0
    for c in cands:
        if c.flags & T_NO_UAS or c.method_id & skip_method:
            continue
        if is_ack and not e2e and 200 <= c.uas_status < 300:
            if _dlg_ack(c, m):
                e2e = c.label
            continue
        if _via_matching(c.key, m):
            return FOUND, c.label
    if e2e:
        return E2E_ACK, e2e
    return NOT_FOUND, 0


def _matching_2543(m, cands, ruri_matching, via1_matching):
    if m.method_id != METHOD_ACK:
        for c in cands:
            if c.flags & T_NO_UAS:
                continue
            t = c.key
            if (t.callid == m.callid and t.cseq_body == m.cseq_body
                    and t.from_body == m.from_body and t.to_body == m.to_body
                    and (not ruri_matching or t.ruri == m.ruri)
                    and (not via1_matching or t.via1_body == m.via1_body)):
                return FOUND, c.label
        return NOT_FOUND, 0
    e2e = 0
    for c in cands:
        if c.flags & T_NO_UAS or c.method_id != METHOD_INVITE:
            continue
        t = c.key
        if (t.callid != m.callid or t.cseq_num != m.cseq_num
                or t.from_body != m.from_body or t.to_uri != m.to_uri):
            continue
        if c.uas_status < 300:
            if not e2e:
                if c.relayed_branch != LOCAL_REPLY:
                    e2e = c.label           # proxied: keep looking
                elif m.to_tag == t.local_totag:
                    return E2E_ACK, c.label
            continue
        if ((not ruri_matching or t.ruri == m.ruri)
                and (not via1_matching or t.via1_body == m.via1_body)):
            return FOUND, c.label           # ACK to our negative reply
    if e2e:
        return E2E_ACK, e2e
    return NOT_FOUND, 0


def match_request(m, cands, ruri_matching=1, via1_matching=1):
    """Match request key ``m`` against one bucket's candidates.

    Returns ``(FOUND, label)`` (a retransmission, or an ACK to a negative
    reply), ``(E2E_ACK, label)`` (an ACK for a 2xx: not part of the INVITE
    transaction) or ``(NOT_FOUND, 0)``.
    """
    if has_cookie(m.via1_branch):
        skip = ~METHOD_INVITE if m.method_id == METHOD_ACK else ~m.method_id
        return _matching_3261(m, cands, skip)
    return _matching_2543(m, cands, ruri_matching, via1_matching)


def match_cancel(m, cands, ruri_matching=1, via1_matching=1):
    """Label of the transaction a CANCEL (key ``m``) cancels, 0 if none."""
    if has_cookie(m.via1_branch):
        return _matching_3261(m, cands, METHOD_CANCEL)[1]
    for c in cands:
        if c.flags & T_NO_UAS or c.method_id == METHOD_CANCEL:
            continue
        t = c.key
        if (t.callid == m.callid and t.cseq_num == m.cseq_num
                and t.from_body == m.from_body and t.to_uri == m.to_uri
                and (not ruri_matching or t.ruri == m.ruri)
                and (not via1_matching or t.via1_body == m.via1_body)):
            return c.label
    return 0


def reply_ids(msg):
    """``(hash_index, label, branch)`` from a reply's Via1 branch, or None.

    None means "not ours": the core forwards the reply statelessly.
    """
    via = msg.via1
    return parse_branch(via.branch) if via is not None else None


def reply_matches(flags, method_id, method, nr_branches, branch, br_flags,
                  cseq_method_id, cseq_method):
    """Does a reply with this CSeq method belong to the stored transaction?

    ``br_flags`` are the flags of branch ``branch`` (a reply to our own
    CANCEL of an INVITE branch matches the INVITE transaction).
    """
    if branch >= nr_branches:
        return False
    if (cseq_method_id == METHOD_CANCEL and flags & T_IS_INVITE
            and br_flags & BR_CANCELED):
        return True
    if cseq_method_id != METHOD_OTHER and not flags & T_NO_UAS:
        return cseq_method_id == method_id
    return cseq_method == method
