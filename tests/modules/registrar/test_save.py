"""save("location"): replies, RFC 3261 10.3 rules, error codes, statistics."""
import re
import time

import pytest

from openser_py.core import statistics
from openser_py.modules.usrloc import dlist
from tests.modules.registrar.reg_util import (load, register, reply_of, run)


def contacts_of(hdrs):
    """[(uri, {param: value})] of the 200 OK's Contact header."""
    out = []
    for part in ", ".join(hdrs.get("contact", [])).split(", "):
        if not part:
            continue
        m = re.match(r"<([^>]*)>(.*)", part)
        params = dict(p.split("=", 1) for p in m.group(2).split(";") if p)
        out.append((m.group(1), params))
    return out


def stat(name, group="registrar"):
    return statistics.get_stat(name, group).get()


def test_register_two_contacts_then_query():
    s = load()
    _, sent, _ = run(s, register(contacts=(
        "<sip:alice@192.0.2.10>;q=0.5, <sip:alice@192.0.2.11>;expires=120",),
        expires=300))
    code, hdrs, text = reply_of(sent)
    assert code == 200 and text.startswith("SIP/2.0 200 OK\r\n")
    got = contacts_of(hdrs)
    assert [u for u, _ in got] == ["sip:alice@192.0.2.10", "sip:alice@192.0.2.11"]
    assert got[0][1]["q"] == "0.5" and "q" not in got[1][1]
    assert 299 <= int(got[0][1]["expires"]) <= 300
    assert 119 <= int(got[1][1]["expires"]) <= 120
    assert "p-registrar-error" not in hdrs
    # no Contact: a query listing the bindings
    _, sent, _ = run(s, register(contacts=(), cseq=2))
    code, hdrs, _ = reply_of(sent)
    assert code == 200 and len(contacts_of(hdrs)) == 2
    assert stat("accepted_regs") == 2 and stat("rejected_regs") == 0
    assert statistics.get_stat("location-contacts", "usrloc").get() == 2
    assert statistics.get_stat("location-users", "usrloc").get() == 1
    assert statistics.get_stat("registered_users", "usrloc").get() == 1


def test_expires_param_zero_removes_and_star_removes_all():
    s = load()
    run(s, register(contacts=("<sip:a@1.1.1.1>", "<sip:a@2.2.2.2>"), user="a"))
    _, sent, _ = run(s, register(user="a", contacts=("<sip:a@1.1.1.1>;expires=0",),
                                 cseq=2))
    assert [u for u, _ in contacts_of(reply_of(sent)[1])] == ["sip:a@2.2.2.2"]
    _, sent, _ = run(s, register(user="a", contacts=("*",), expires=0, cseq=3))
    code, hdrs, _ = reply_of(sent)
    assert code == 200 and "contact" not in hdrs
    assert dlist.find_domain("location").get_urecord("a") is None


@pytest.mark.parametrize("contacts,expires,text", [
    (("*",), 10, "* used in contact and expires is not zero"),
    (("*",), None, "* used in contact and expires is not zero"),
    (("*", "<sip:a@1.1.1.1>"), 0, "* used in contact and more than 1 contact"),
])
def test_star_misuse_is_400(contacts, expires, text):
    _, sent, flags = run(load(), register(contacts=contacts, expires=expires))
    code, hdrs, raw = reply_of(sent)
    assert raw.startswith("SIP/2.0 400 Bad Request\r\n")
    assert hdrs["p-registrar-error"] == [text]
    assert stat("rejected_regs") == 1


def test_lower_cseq_same_callid_is_400_and_retransmission_is_200():
    s = load()
    run(s, register(cseq=5))
    _, sent, _ = run(s, register(cseq=4))
    code, hdrs, _ = reply_of(sent)
    assert code == 400 and hdrs["p-registrar-error"] == ["Invalid CSeq number"]
    # same Call-ID and CSeq right away: a retransmission, binding unchanged
    _, sent, _ = run(s, register(cseq=5, expires=30))
    code, hdrs, _ = reply_of(sent)
    assert code == 200
    assert int(contacts_of(hdrs)[0][1]["expires"]) > 3000
    # another Call-ID with any CSeq updates
    _, sent, _ = run(s, register(cseq=1, callid="other@x", expires=100))
    assert 99 <= int(contacts_of(reply_of(sent)[1])[0][1]["expires"]) <= 100


def test_same_cseq_after_cseq_delay_is_invalid(monkeypatch):
    from openser_py.modules.registrar import save as save_mod
    s = load(ul_params={"cseq_delay": 5})
    run(s, register(cseq=5))
    later = int(time.time()) + 10
    monkeypatch.setattr(save_mod.time, "time", lambda: later)
    _, sent, _ = run(s, register(cseq=5))
    assert reply_of(sent)[0] == 400


def test_min_max_default_expires_and_default_q():
    s = load(reg_params={"min_expires": 100, "max_expires": 1000,
                         "default_expires": 500, "default_q": 200})
    _, sent, _ = run(s, register(contacts=(
        "<sip:a@1.1.1.1>;expires=5", "<sip:a@2.2.2.2>;expires=5000",
        "<sip:a@3.3.3.3>", "<sip:a@4.4.4.4>;q=1")))
    got = dict(contacts_of(reply_of(sent)[1]))
    assert 99 <= int(got["sip:a@1.1.1.1"]["expires"]) <= 100
    assert 999 <= int(got["sip:a@2.2.2.2"]["expires"]) <= 1000
    assert 499 <= int(got["sip:a@3.3.3.3"]["expires"]) <= 500
    assert got["sip:a@3.3.3.3"]["q"] == "0.2" and got["sip:a@4.4.4.4"]["q"] == "1"
    assert [u for u, _ in contacts_of(reply_of(sent)[1])][0] == "sip:a@4.4.4.4"
    assert stat("max_expires") == 1000 and stat("default_expire") == 500


def test_max_contacts_503_changes_nothing_and_retry_after():
    s = load(reg_params={"max_contacts": 2, "retry_after": 30})
    run(s, register(contacts=("<sip:a@1.1.1.1>", "<sip:a@2.2.2.2>")))
    _, sent, _ = run(s, register(contacts=("<sip:a@3.3.3.3>",), cseq=2))
    code, hdrs, raw = reply_of(sent)
    assert raw.startswith("SIP/2.0 503 Service Unavailable\r\n")
    assert hdrs["p-registrar-error"] == ["Too many registered contacts"]
    assert hdrs["retry-after"] == ["30"]
    rec = dlist.find_domain("location").get_urecord("alice")
    assert sorted(c.c for c in rec.contacts) == ["sip:a@1.1.1.1", "sip:a@2.2.2.2"]
    # replacing one (remove + add in one request) stays within the limit
    _, sent, _ = run(s, register(contacts=("<sip:a@1.1.1.1>;expires=0",
                                           "<sip:a@3.3.3.3>"), cseq=3))
    assert reply_of(sent)[0] == 200
    assert stat("max_contacts") == 2


def test_no_username_in_to_is_400():
    data = register().replace(b"To: <sip:alice@example.com>",
                              b"To: <sip:example.com>")
    _, sent, _ = run(load(), data)
    code, hdrs, _ = reply_of(sent)
    assert code == 400 and hdrs["p-registrar-error"] == ["No username in To URI"]


def test_bad_contact_expires_param_is_400():
    _, sent, _ = run(load(), register(contacts=("<sip:a@1.1.1.1>;expires=abc",)))
    code, hdrs, _ = reply_of(sent)
    assert code == 400
    assert hdrs["p-registrar-error"] == ["Invalid expires param in contact"]


def test_save_returns_0_on_error_and_stops_script():
    s = load('if (method == "REGISTER") { save("location"); '
             'sl_send_reply("499", "Still Here"); exit; }')
    _, sent, _ = run(s, register(contacts=("*",), expires=5))
    assert reply_of(sent)[0] == 400     # the script stopped after save()


def test_flag_0x02_sends_no_reply_and_returns_1():
    s = load('if (method == "REGISTER") { if (save("location", "0x02")) '
             '{ sl_send_reply("299", "Saved Quietly"); } exit; }')
    _, sent, _ = run(s, register())
    assert reply_of(sent)[0] == 299
    assert dlist.find_domain("location").get_urecord("alice") is not None


def test_flag_0x01_marks_contacts_memory_only():
    s = load('if (method == "REGISTER") { save("location", "1"); exit; }')
    run(s, register())
    c = dlist.find_domain("location").get_urecord("alice").contacts[0]
    assert c.flags & 1


def test_stored_fields_callid_cseq_ua_socket_methods_cflags():
    s = load('if (method == "REGISTER") { setbflag(3); save("location"); exit; }')
    run(s, register(cseq=7, extra="User-Agent: Phone/1.0\r\n"
                    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS",
                    contacts=("<sip:a@1.1.1.1>",
                              '<sip:a@2.2.2.2>;methods="INVITE,MESSAGE"')))
    rec = dlist.find_domain("location").get_urecord("alice")
    a, b = rec.contacts
    assert (a.callid, a.cseq, a.user_agent) == ("reg-1@x", 7, "Phone/1.0")
    assert a.sock == "udp:127.0.0.1:5060"
    assert a.methods == 1 | 2 | 4 | 8 | 32 and b.methods == 1 | 256
    assert a.cflags == 1 << 3


def test_use_domain_keys_by_user_and_domain():
    s = load(ul_params={"use_domain": 1})
    run(s, register(user="Bob", domain="one.example"))
    run(s, register(user="bob", domain="two.example",
                    contacts=("<sip:bob@9.9.9.9>",)))
    d = dlist.find_domain("location")
    assert d.get_urecord("bob@one.example").contacts[0].c == "sip:alice@192.0.2.10:5060"
    assert d.get_urecord("bob@two.example").contacts[0].c == "sip:bob@9.9.9.9"
    assert d.get_urecord("bob") is None


def test_path_strict_requires_support_and_lazy_echoes():
    path = "Path: <sip:edge.example.com;lr>"
    s = load(reg_params={"use_path": 1, "path_mode": 2})
    _, sent, _ = run(s, register(extra=path))
    code, hdrs, raw = reply_of(sent)
    assert raw.startswith("SIP/2.0 420 Bad Extension\r\n")
    assert hdrs["unsupported"] == ["path"]
    assert hdrs["p-registrar-error"] == ["No support for found Path indicated"]
    _, sent, _ = run(s, register(extra=path + "\r\nSupported: path", cseq=2,
                                 user="bob"))
    code, hdrs, _ = reply_of(sent)
    assert code == 200 and hdrs["path"] == ["<sip:edge.example.com;lr>"]
    c = dlist.find_domain("location").get_urecord("bob").contacts[0]
    assert c.path == "<sip:edge.example.com;lr>"


def test_received_avp_is_stored_and_replied():
    s = load('if (method == "REGISTER") { $avp(i:42) = "sip:203.0.113.5:5070"; '
             'save("location"); exit; }',
             reg_params={"received_avp": "$avp(i:42)"})
    _, sent, _ = run(s, register())
    got = contacts_of(reply_of(sent)[1])
    assert got[0][1]["received"] == '"sip:203.0.113.5:5070"'


def test_path_use_received_takes_first_path_received_param():
    s = load(reg_params={"use_path": 1, "path_mode": 0, "path_use_received": 1})
    run(s, register(extra="Path: <sip:edge.example.com;lr;"
                    "received=sip:203.0.113.9:5099>"))
    c = dlist.find_domain("location").get_urecord("alice").contacts[0]
    assert c.received == "sip:203.0.113.9:5099"


def test_sock_flag_takes_socket_from_header():
    from openser_py.core.scriptrun import load_script
    from tests.modules.registrar.reg_util import cfg_text
    text = cfg_text('if (method == "REGISTER") { setflag(7); '
                    'save("location"); exit; }',
                    reg_params={"sock_flag": 7, "sock_hdr_name": "X-Sock"})
    text = text.replace("listen=udp:127.0.0.1:5060",
                        "listen=udp:127.0.0.1:5060\nlisten=udp:127.0.0.1:5062")
    s = load_script(text)
    run(s, register(extra="X-Sock: udp:127.0.0.1:5062"))
    run(s, register(user="bob", extra="X-Sock: udp:10.9.9.9:5062"))
    d = dlist.find_domain("location")
    assert d.get_urecord("alice").contacts[0].sock == "udp:127.0.0.1:5062"
    assert d.get_urecord("bob").contacts[0].sock == "udp:127.0.0.1:5060"


def test_sock_flag_unset_ignores_the_header():
    """Without the flag the receiving socket is stored (isflagset's -1
    for "not set" is not taken for true)."""
    from openser_py.core.scriptrun import load_script
    from tests.modules.registrar.reg_util import cfg_text
    text = cfg_text('if (method == "REGISTER") { save("location"); exit; }',
                    reg_params={"sock_flag": 7, "sock_hdr_name": "X-Sock"})
    text = text.replace("listen=udp:127.0.0.1:5060",
                        "listen=udp:127.0.0.1:5060\nlisten=udp:127.0.0.1:5062")
    s = load_script(text)
    run(s, register(user="carol", extra="X-Sock: udp:127.0.0.1:5062"))
    d = dlist.find_domain("location")
    assert d.get_urecord("carol").contacts[0].sock == "udp:127.0.0.1:5060"


@pytest.mark.parametrize("old,new,text", [
    (b"Expires: 60\r\n", b"Expires: soon\r\n", "Expires parse error"),
    (b"To: <sip:alice@example.com>\r\n", b"", "To header not found"),
    (b"Contact: <sip:alice@192.0.2.10:5060>\r\n",
     b"Contact: <sip:alice@192.0.2.10:5060>;q=2\r\n",
     "Invalid q param in contact"),
])
def test_header_errors_are_400_with_their_text(old, new, text):
    data = register(expires=60)
    assert old in data
    data = data.replace(old, new)
    _, sent, _ = run(load(), data)
    code, hdrs, _ = reply_of(sent)
    assert code == 400 and hdrs["p-registrar-error"] == [text]
