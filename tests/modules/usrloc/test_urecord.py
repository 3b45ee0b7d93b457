"""usrloc's pure record logic: ordering, matching, CSeq rules, expiry, encoding."""
import pytest

from openser_py.modules.usrloc.ucontact import (CS_DIRTY, CS_NEW, CS_SYNC,
                                                FL_MEM, UL_EXPIRED_TIME,
                                                UContact, is_valid)
from openser_py.modules.usrloc.urecord import (
    CONTACT_CALLID, UL_FOUND, UL_INVALID_CSEQ, UL_NOT_FOUND, UL_RETRANS,
    URecord, decode_record, encode_record)

NOW = 1_000_000


def ci(q=-1, expires=NOW + 100, callid="cid", cseq=1, lm=NOW, **kw):
    return UContact("", expires, q, callid, cseq, last_modified=lm, **kw)


def uris(rec):
    return [c.c for c in rec.contacts]


def test_ordered_by_q_new_after_equal_q():
    r = URecord("alice")
    r.insert_ucontact("sip:a", ci(q=500))
    r.insert_ucontact("sip:b", ci(q=1000))
    r.insert_ucontact("sip:c", ci(q=500))
    r.insert_ucontact("sip:d", ci(q=-1))
    r.insert_ucontact("sip:e", ci(q=0))
    assert uris(r) == ["sip:b", "sip:a", "sip:c", "sip:e", "sip:d"]


def test_desc_time_order_puts_new_contacts_first():
    r = URecord("alice")
    for u, q in (("sip:a", 1000), ("sip:b", 0), ("sip:c", 500)):
        r.insert_ucontact(u, ci(q=q), desc_time_order=1)
    assert uris(r) == ["sip:c", "sip:b", "sip:a"]


def test_update_moves_contact_to_its_new_q_place():
    r = URecord("alice")
    r.insert_ucontact("sip:a", ci(q=900))
    r.insert_ucontact("sip:b", ci(q=500))
    c = r.find("sip:a")
    r.update_ucontact(c, ci(q=100, cseq=2))
    assert uris(r) == ["sip:b", "sip:a"]
    assert r.find("sip:a").cseq == 2


@pytest.mark.parametrize("cseq,age,expected", [
    (5, 0, UL_FOUND),            # higher CSeq: an update
    (3, 0, UL_INVALID_CSEQ),     # lower CSeq, same Call-ID
    (4, 5, UL_RETRANS),          # same CSeq within cseq_delay
    (4, 25, UL_INVALID_CSEQ),    # same CSeq after cseq_delay
])
def test_get_ucontact_cseq_rules(cseq, age, expected):
    r = URecord("alice")
    r.insert_ucontact("sip:a", ci(cseq=4, lm=NOW))
    rc, c = r.get_ucontact("sip:a", "cid", cseq, NOW + age, cseq_delay=20)
    assert rc == expected
    assert c is r.contacts[0]


def test_get_ucontact_other_callid_is_an_update_and_unknown_is_not_found():
    r = URecord("alice")
    r.insert_ucontact("sip:a", ci(cseq=9))
    assert r.get_ucontact("sip:a", "other", 1, NOW)[0] == UL_FOUND
    assert r.get_ucontact("sip:zz", "cid", 1, NOW) == (UL_NOT_FOUND, None)


def test_matching_mode_callid_needs_both():
    r = URecord("alice")
    r.insert_ucontact("sip:a", ci(callid="c1"))
    assert r.get_ucontact("sip:a", "c2", 1, NOW,
                          matching_mode=CONTACT_CALLID)[0] == UL_NOT_FOUND
    assert r.get_ucontact("sip:a", "c1", 2, NOW,
                          matching_mode=CONTACT_CALLID)[0] == UL_FOUND


def test_expire_removes_only_expired_and_keeps_permanent():
    r = URecord("alice")
    r.insert_ucontact("sip:old", ci(expires=NOW - 1))
    r.insert_ucontact("sip:perm", ci(expires=0))
    r.insert_ucontact("sip:edge", ci(expires=NOW))
    r.insert_ucontact("sip:new", ci(expires=NOW + 1))
    gone = r.expire(NOW)
    assert sorted(c.c for c in gone) == ["sip:edge", "sip:old"]
    assert sorted(uris(r)) == ["sip:new", "sip:perm"]
    assert is_valid(r.find("sip:perm"), NOW + 10 ** 9)


def test_delete_keeps_tombstone_only_for_rows_in_db():
    r = URecord("alice")
    r.keep_deleted = True
    r.insert_ucontact("sip:new", ci())                 # CS_NEW: no row
    r.insert_ucontact("sip:synced", ci())
    r.insert_ucontact("sip:mem", ci(flags=FL_MEM))
    r.find("sip:synced").state = CS_SYNC
    r.find("sip:mem").state = CS_SYNC
    for u in ("sip:new", "sip:synced", "sip:mem"):
        r.delete_ucontact(r.find(u))
    assert uris(r) == ["sip:synced"]
    assert r.contacts[0].expires == UL_EXPIRED_TIME
    assert r.valid_contacts(NOW) == []
    # a new registration of the same URI takes the tombstone's row over
    c = r.insert_ucontact("sip:synced", ci(cseq=7))
    assert uris(r) == ["sip:synced"] and c.state == CS_DIRTY


def test_update_of_synced_contact_makes_it_dirty_new_stays_new():
    r = URecord("alice")
    a = r.insert_ucontact("sip:a", ci())
    b = r.insert_ucontact("sip:b", ci())
    b.state = CS_SYNC
    r.update_ucontact(a, ci(cseq=2))
    r.update_ucontact(b, ci(cseq=2))
    assert (a.state, b.state) == (CS_NEW, CS_DIRTY)


def test_encode_decode_roundtrip():
    r = URecord("alice@example.com", "location")
    r.insert_ucontact("sip:a@1.2.3.4;transport=tcp", ci(
        q=330, cflags=0x80, user_agent="UA ü", received="sip:9.9.9.9:5060",
        path="<sip:p1;lr>,<sip:p2;lr>", sock="udp:127.0.0.1:5060",
        methods=0x1F))
    r.insert_ucontact("sip:b", ci(methods=0xFFFFFFFF, expires=0))
    buf = encode_record(r, 77)
    back, ver = decode_record("alice@example.com", "location", buf)
    assert ver == 77
    assert back.contacts == r.contacts


@pytest.mark.parametrize("ua,received", [
    ("plain ascii", ""),
    ("UA \u00fc", "sip:9.9.9.9"),
    # undecodable bytes kept by surrogateescape; decoded together, the
    # tail of one field and the head of the next would form "\u00e9"
    ("ua\udcc3", "\udca9sip:x"),
])
def test_encode_decode_roundtrip_any_text(ua, received):
    r = URecord("bob", "location")
    r.insert_ucontact("sip:b@h", ci(user_agent=ua, received=received,
                                    sock="udp:1.2.3.4:5060"))
    back, ver = decode_record("bob", "location", encode_record(r, 5))
    assert ver == 5 and back.contacts == r.contacts
    assert back.contacts[0].user_agent == ua
