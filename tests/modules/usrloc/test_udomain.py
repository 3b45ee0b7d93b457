"""usrloc domains in shm: transactions, statistics, sharing across processes."""
import os
import time

import pytest

from openser_py.core import statistics
from openser_py.core.scriptrun import load_script
from openser_py.modules.usrloc import dlist, ul_mod
from openser_py.modules.usrloc.api import API as ul
from openser_py.modules.usrloc.ucontact import UContact
from tests.forking import reap, run_forked, spawn
from tests.modules.registrar.reg_util import (cfg_text, invite, load,
                                              register, reply_of, run)

NOW = int(time.time())


def ci(cseq=1, expires=None, q=-1, callid="cid"):
    return UContact("", NOW + 3600 if expires is None else expires, q,
                    callid, cseq, last_modified=NOW)


@pytest.fixture
def dom():
    load_script(cfg_text("exit;") + "")   # usrloc mod_init: fresh domains
    return ul.register_udomain("location")


def stat(name):
    return statistics.get_stat(name, "usrloc").get()


def test_api_insert_update_delete_and_stats(dom):
    ul.insert_ucontact(dom, "alice", "sip:a@1", ci())
    ul.insert_ucontact(dom, "alice", "sip:a@2", ci(q=800))
    ul.insert_ucontact(dom, "bob", "sip:b@1", ci())
    assert [c.c for c in ul.get_urecord(dom, "alice").contacts] == \
        ["sip:a@2", "sip:a@1"]
    assert (stat("location-users"), stat("location-contacts")) == (2, 3)
    assert stat("registered_users") == 2
    assert ul.update_ucontact(dom, "alice", "sip:a@1", None, ci(cseq=9, q=900))
    assert ul.get_urecord(dom, "alice").contacts[0].cseq == 9
    assert not ul.update_ucontact(dom, "alice", "sip:zz", None, ci())
    assert ul.delete_ucontact(dom, "alice", "sip:a@1")
    assert not ul.delete_ucontact(dom, "alice", "sip:a@1")
    assert ul.delete_urecord(dom, "bob") == 1
    assert ul.get_urecord(dom, "bob") is None
    assert (stat("location-users"), stat("location-contacts")) == (1, 1)
    assert dom.count_records() == 1


def test_transaction_retries_when_the_record_changes_meanwhile(dom):
    ul.insert_ucontact(dom, "alice", "sip:a@1", ci())
    calls = []

    def change(r):
        calls.append(len(r.contacts))
        if len(calls) == 1:     # a writer bypassing the writer lock
            other, ver = dom._snapshot("alice")
            other.insert_ucontact("sip:a@2", ci())
            assert dom._commit("alice", other, ver)
        r.insert_ucontact("sip:a@3", ci())
    ul.update_urecord(dom, "alice", change)
    assert calls == [1, 2]
    assert sorted(c.c for c in ul.get_urecord(dom, "alice").contacts) == \
        ["sip:a@1", "sip:a@2", "sip:a@3"]
    assert stat("location-contacts") == 2      # the bypass is not counted


def test_large_record_grows_out_of_place(dom):
    for i in range(60):
        ul.insert_ucontact(dom, "alice", "sip:a@10.0.0.%d;transport=tcp" % i,
                           ci(q=i))
    rec = ul.get_urecord(dom, "alice")
    assert len(rec.contacts) == 60 and rec.contacts[0].q == 59


def test_saved_in_one_process_found_by_lookup_in_another():
    script = load()
    r_fd, w_fd = os.pipe()

    def registrar_child(i):
        os.close(r_fd)
        _, sent, _ = run(script, register(user="carol", contacts=(
            "<sip:carol@203.0.113.7:5062>",)))
        assert reply_of(sent)[0] == 200
        os.write(w_fd, b"x")

    pids = spawn(1, registrar_child)
    os.close(w_fd)
    assert os.read(r_fd, 1) == b"x"
    os.close(r_fd)
    assert reap(pids, 20) == [0]

    def lookup_child(i):
        msg, _, _ = run(script, invite("sip:carol@example.com"))
        assert msg.new_uri == "sip:carol@203.0.113.7:5062", msg.new_uri
    assert run_forked(1, lookup_child, 20) == [0]
    # and the parent (another process again) sees it as well
    assert dlist.find_domain("location").get_urecord("carol") is not None


def test_10000_registrations_over_4_workers_all_found():
    script = load()
    n_workers, per = 4, 2500
    t0 = time.monotonic()

    def worker(i):
        d = dlist.find_domain("location")
        for k in range(per):
            user = "u%d_%d" % (i, k)
            ul.update_urecord(d, user, lambda r, u=user: r.insert_ucontact(
                "sip:%s@10.%d.%d.%d" % (u, i, k // 256, k % 256), ci()))
    assert run_forked(n_workers, worker, 120) == [0] * n_workers
    d = dlist.find_domain("location")
    missing = [u for u in ("u%d_%d" % (i, k) for i in range(n_workers)
                           for k in range(per)) if d.get_urecord(u) is None]
    assert missing == []
    assert d.count_records() == n_workers * per
    # one REGISTER through the script on top, found by lookup
    run(script, register(user="u0_0", contacts=("<sip:other@1.2.3.4>",)))
    msg, _, _ = run(script, invite("sip:u0_0@example.com"))
    assert msg.new_uri is not None
    assert time.monotonic() - t0 < 120


def test_concurrent_saves_of_one_aor_lose_nothing():
    script = load()

    def worker(i):
        d = dlist.find_domain("location")
        for k in range(100):
            ul.update_urecord(d, "shared", lambda r, k=k: r.insert_ucontact(
                "sip:w%d_%d@h" % (i, k), ci()))
    assert run_forked(3, worker, 60) == [0, 0, 0]
    rec = dlist.find_domain("location").get_urecord("shared")
    assert len(rec.contacts) == 300


def test_registered_users_counts_all_domains():
    load('''if (method == "REGISTER") { save("location"); save("aliases", "2"); exit; }
lookup("location");''')
    script = load('''if (method == "REGISTER") { if ($tU == "alice") save("location");
else save("aliases"); exit; } lookup("location");''')
    run(script, register(user="alice"))
    run(script, register(user="zed"))
    assert stat("registered_users") == 2
    assert stat("aliases-users") == 1 and stat("location-users") == 1
    assert ul_mod.cfg.db_mode == 0


def test_get_all_ucontacts_filters_by_cflags(dom):
    a = ci()
    a.cflags, a.received = 0x10, "sip:198.51.100.1:5070"
    ul.insert_ucontact(dom, "alice", "sip:a@1", a)
    ul.insert_ucontact(dom, "bob", "sip:b@1", ci())
    ul.insert_ucontact(dom, "old", "sip:o@1", ci(expires=NOW - 10))
    everything = sorted(c[0] for c in ul.get_all_ucontacts(now=NOW))
    assert everything == ["sip:a@1", "sip:b@1"]
    assert ul.get_all_ucontacts(0x10, now=NOW) == [
        ("sip:a@1", "sip:198.51.100.1:5070", "", "", 0x10)]
