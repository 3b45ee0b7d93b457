"""usrloc's expiry timer (time passed in) and the ul_* MI commands."""
import time

import pytest

from openser_py.core import statistics, timer
from openser_py.mi.tree import MiNode
from openser_py.modules.usrloc import dlist, ul_mi, ul_timer
from openser_py.modules.usrloc.api import API as ul
from openser_py.modules.usrloc.ucontact import UContact
from tests.modules.registrar.reg_util import invite, load, register, run

NOW = int(time.time())


def args(*vals):
    return [MiNode("", v) for v in vals]


def stat(name):
    return statistics.get_stat(name, "usrloc").get()


def test_timer_registered_with_interval():
    load(ul_params={"timer_interval": 7})
    (t,) = [t for t in timer.timers() if t.func is ul_timer.ul_timer]
    assert t.interval == 7


def test_expiry_by_timer_with_now_argument():
    # the REGISTER's expiry is computed from the real clock: take "now"
    # here, not at import time (a long test session would shift it)
    now = int(time.time())
    s = load()
    run(s, register(contacts=("<sip:a@1.1.1.1>;expires=100",
                              "<sip:a@2.2.2.2>;expires=1000")))
    d = dlist.find_domain("location")
    ul_timer.synchronize_all(now + 50)
    assert len(d.get_urecord("alice").contacts) == 2
    ul_timer.synchronize_all(now + 200)
    assert [c.c for c in d.get_urecord("alice").contacts] == ["sip:a@2.2.2.2"]
    assert stat("location-expires") == 1 and stat("location-contacts") == 1
    ul_timer.synchronize_all(now + 2000)
    assert d.get_urecord("alice") is None
    assert stat("location-users") == 0 and stat("location-expires") == 2
    msg, sent, _ = run(s, invite())
    assert sent[0][3].startswith(b"SIP/2.0 404")


def test_mi_add_show_dump_rm():
    load()
    d = dlist.find_domain("location")
    rpl = ul_mi.mi_add(args("location", "Alice@x", "sip:alice@10.0.0.1", "120",
                            "0.5", "0", "0", "0x8", "0x21"), now=NOW)
    assert (rpl.code, rpl.reason) == (200, "OK")
    ul_mi.mi_add(args("location", "alice", "sip:alice@10.0.0.2", "0", "1",
                      "0", "0", "0", "4294967295"), now=NOW)
    rec = d.get_urecord("alice")
    assert [c.c for c in rec.contacts] == ["sip:alice@10.0.0.2", "sip:alice@10.0.0.1"]
    rpl = ul_mi.mi_show_contact(args("location", "alice@whatever"), now=NOW + 20)
    assert [k.value for k in rpl.kids] == [
        "<sip:alice@10.0.0.2>;q=1;expires=0;flags=0x80;cflags=0x0;"
        "socket=<NULL>;methods=0xFFFFFFFF;user_agent=<SIP Router MI Server>",
        "<sip:alice@10.0.0.1>;q=0.5;expires=100;flags=0x0;cflags=0x8;"
        "socket=<NULL>;methods=0x21;user_agent=<SIP Router MI Server>"]
    rpl = ul_mi.mi_dump(args(), now=NOW + 20)
    (dom,) = rpl.kids
    assert (dom.name, dom.value) == ("Domain", "location")
    assert dict(dom.attrs)["records"] == "1" and dict(dom.attrs)["table"] == "512"
    (aor,) = dom.kids
    assert (aor.name, aor.value) == ("AOR", "alice")
    c1 = aor.kids[1]
    assert (c1.name, c1.value, c1.attrs) == ("Contact", "sip:alice@10.0.0.1",
                                            [("Q", "0.5")])
    fields = {k.name: k.value for k in c1.kids}
    assert fields["Expires"] == "100" and fields["State"] == "CS_NEW"
    assert fields["Cflags"] == "8" and fields["Methods"] == "33"
    assert {k.name: k.value for k in aor.kids[0].kids}["Expires"] == "permanent"
    brief = ul_mi.mi_dump(args("brief"))
    assert brief.kids[0].kids[0].kids == []
    # remove one contact, then the AOR
    assert ul_mi.mi_rm_contact(args("location", "alice", "sip:nope")).reason == \
        "Contact not found"
    assert ul_mi.mi_rm_contact(args("location", "alice",
                                    "sip:alice@10.0.0.2")).code == 200
    assert len(d.get_urecord("alice").contacts) == 1
    assert ul_mi.mi_rm(args("location", "alice")).code == 200
    assert d.get_urecord("alice") is None
    assert (ul_mi.mi_show_contact(args("location", "alice")).reason
            == "AOR not found")


@pytest.mark.parametrize("handler,vals,code,reason", [
    (ul_mi.mi_show_contact, ("nosuch", "a"), 404, "Table not found"),
    (ul_mi.mi_show_contact, ("location",), 400, "Too few or too many arguments"),
    (ul_mi.mi_rm, ("location", "a", "b"), 400, "Too few or too many arguments"),
    (ul_mi.mi_rm_contact, ("location", "ghost", "sip:x"), 404, "AOR not found"),
    (ul_mi.mi_add, ("location", "a", "sip:x", "abc", "1", "0", "0", "0", "0"),
     400, "Bad parameter"),
    (ul_mi.mi_add, ("location", "a", "sip:x", "10", "7", "0", "0", "0", "0"),
     400, "Bad parameter"),
])
def test_mi_errors(handler, vals, code, reason):
    load()
    rpl = handler(args(*vals))
    assert (rpl.code, rpl.reason) == (code, reason)


def test_mi_show_contact_expired_only_and_use_domain():
    load(ul_params={"use_domain": 1})
    assert ul_mi.mi_show_contact(args("location", "alice")).reason == \
        "Domain missing in AOR"
    ul.insert_ucontact(dlist.find_domain("location"), "alice@x", "sip:a@1",
                       UContact("", NOW - 5, -1, "c", 1))
    assert ul_mi.mi_show_contact(args("location", "alice@x")).reason == \
        "AOR has no contacts"


def test_mi_exports_declared():
    from openser_py.modules.usrloc import exports
    assert sorted(m.name for m in exports.mi_cmds) == sorted(
        ["ul_rm", "ul_rm_contact", "ul_dump", "ul_flush", "ul_add",
         "ul_show_contact"])
