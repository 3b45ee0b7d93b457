"""auth_db through the script, on SQLite, MariaDB and PostgreSQL:
www_challenge -> computed Authorization -> www_authorize return codes."""
import hashlib
import hmac
import os
import time

import pytest

from openser_py.core.scriptrun import load_script
from openser_py.core.usr_avp import get_avp_list
from tests.forking import run_forked
from tests.modules.auth.authutil import (credentials, parse_challenge,
                                         request, run)
from tests.modules.auth_db import dbenv
from tests.modules.auth_db.data import EVIL

SECRET = "auth-db-test-secret"

ROUTE = '''
www_authorize("%s", "subscriber");
$avp(s:rc) = $rc;
if ($avp(s:rc) < 0) { www_challenge("%s", "1"); }
'''


@pytest.fixture
def load(clean, db_url):
    def _load(params=(), realm="", url=None, route=None, table="subscriber"):
        mp = "".join('modparam("auth_db", "%s", %s)\n' % (k, v)
                     for k, v in params)
        text = ('listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\n'
                'loadmodule "auth.so"\nloadmodule "auth_db.so"\n'
                'modparam("auth", "secret", "%s")\n'
                'modparam("auth_db", "db_url", "%s")\n%s'
                'route {\n%s\n}\n'
                % (SECRET, url or db_url, mp,
                   route or (ROUTE.replace('"subscriber"', '"%s"' % table)
                             % (realm, realm))))
        script = load_script(text)
        clean.append(script)
        script.registry.init_child(1)
        return script
    return _load


def challenge(script, **kw):
    _, sent, rc = run(script, request(**kw))
    assert rc == -4, sent
    return parse_challenge(sent[0])


def answer(script, user, password, domain="example.com", **kw):
    """Challenge, then answer with *user*/*password*; -> (rc, sent).

    The From/To user is *user* when it is URI-safe (the digest username
    may be anything: it is a quoted string)."""
    sip_user = user if user.isalnum() else "attacker"
    _k, realm, nonce, _q, _s = challenge(script, user=sip_user,
                                         domain=domain)
    cred = credentials(kw.pop("digest_user", user), realm, password, nonce,
                       qop="auth", **kw)
    _, sent, rc = run(script, request(user=sip_user, domain=domain,
                                      auth=[cred]))
    return rc, sent


def test_good_password(load):
    s = load()
    rc, sent = answer(s, "alice", "pw")
    assert rc == 1 and sent == []


def test_wrong_password(load):
    rc, sent = answer(load(), "alice", "nope")
    assert rc == -2
    assert parse_challenge(sent[0])[4] is False


def test_unknown_user(load):
    assert answer(load(), "mallory", "pw")[0] == -1


def test_stale_nonce(load):
    s = load()
    head = "%08x%08x" % (int(time.time()) - 1, 1)
    nonce = head + hmac.new(SECRET.encode(), head.encode(),
                            hashlib.md5).hexdigest()
    cred = credentials("alice", "example.com", "pw", nonce)
    _, sent, rc = run(s, request(auth=[cred]))
    assert rc == -3
    assert parse_challenge(sent[0])[4] is True


def test_replayed_nc(load):
    s = load()
    _k, realm, nonce, _q, _s = challenge(s)
    cred = credentials("alice", realm, "pw", nonce, qop="auth")
    assert run(s, request(auth=[cred]))[2] == 1
    _, sent, rc = run(s, request(auth=[cred]))
    assert rc == -3 and parse_challenge(sent[0])[4] is True
    cred2 = credentials("alice", realm, "pw", nonce, qop="auth",
                        nc="00000002")
    assert run(s, request(auth=[cred2]))[2] == 1


def test_ha1b_column_for_user_at_domain(load):
    s = load()
    rc, _ = answer(s, "alice", "pw", digest_user="alice@example.com")
    assert rc == 1
    # with calculate_ha1 the plain password column is used instead
    s = load((("calculate_ha1", "1"), ("password_column", '"password"')))
    assert answer(s, "alice", "pw", digest_user="alice@example.com")[0] == 1
    assert answer(s, "alice", "bad", digest_user="alice@example.com")[0] == -2


def test_ha1b_column_is_really_read(load):
    # point password_column_2 at the ha1 column: the ha1b answer must fail
    s = load((("password_column_2", '"ha1"'),))
    assert answer(s, "alice", "pw", digest_user="alice@example.com")[0] == -2


def test_calculate_ha1(load):
    s = load((("calculate_ha1", "1"), ("password_column", '"password"')))
    assert answer(s, "alice", "pw")[0] == 1
    assert answer(s, "alice", "pw2")[0] == -2
    # calculate_ha1=1 on the ha1 column: the stored HA1 is taken as password
    s = load((("calculate_ha1", "1"),))
    assert answer(s, "alice", "pw")[0] == -2


def test_use_domain(load):
    s = load((("use_domain", "1"),))
    assert answer(s, "dave", "pw3", domain="other.org")[0] == 1
    assert answer(s, "dave", "pw4", domain="other.org")[0] == -2
    assert answer(s, "dave", "pw4", domain="example.com")[0] == 1
    assert answer(s, "carol", "pw2", domain="example.com")[0] == -1
    assert answer(s, "carol", "pw2", domain="other.org")[0] == 1


def test_sql_injection_usernames_match_literally(load):
    s = load()
    # the crafted username exists as such and works with its own password
    assert answer(s, EVIL, "evil")[0] == 1
    assert answer(s, EVIL, "pw")[0] == -2
    # SQL that would match every row if it were pasted into the query
    for user in ("' OR ''='", "alice' --", 'alice" OR "1"="1', "alice';"):
        assert answer(s, user, "pw")[0] == -1, user


def test_load_credentials(load):
    s = load((("load_credentials", '"$avp(i:13)=rpid;email_address"'),))
    assert answer(s, "alice", "pw")[0] == 1
    avps = get_avp_list()
    assert avps.search(13) == "<sip:+4930111@example.com>"
    assert avps.search("email_address") == "alice@example.com"


def test_load_credentials_skips_null_and_not_on_failure(load):
    s = load((("load_credentials", '"rpid;email_address"'),))
    assert answer(s, "carol", "pw2", domain="other.org")[0] == 1
    assert get_avp_list().search("rpid") is None            # NULL column
    assert get_avp_list().search("email_address") == ""
    assert answer(s, "alice", "bad")[0] == -2
    assert get_avp_list().search("rpid") is None


def test_explicit_realm_and_proxy_authorize(load):
    route = ('proxy_authorize("$fd", "subscriber"); $avp(s:rc) = $rc;\n'
             'if ($avp(s:rc) < 0) { proxy_challenge("$fd", "0"); }')
    s = load(route=route)
    _, sent, rc = run(s, request("INVITE", "sip:bob@example.com"))
    assert rc == -4
    kind, realm, nonce, qop, _st = parse_challenge(sent[0])
    assert (kind, realm, qop) == ("Proxy", "example.com", False)
    cred = credentials("alice", realm, "pw", nonce, method="INVITE",
                       uri="sip:bob@example.com", hdr="Proxy-Authorization")
    _, sent, rc = run(s, request("INVITE", "sip:bob@example.com",
                                 auth=[cred]))
    assert rc == 1 and sent == []
    # Authorization (www) credentials are not looked at by proxy_authorize
    www = cred.replace("Proxy-Authorization", "Authorization")
    assert run(s, request("INVITE", "sip:bob@example.com",
                          auth=[www]))[2] == -4


def test_table_version_checked_at_startup(load):
    with pytest.raises(ValueError, match="version"):
        load(table="uri")           # version 1, not 6
    with pytest.raises(ValueError):
        load(table="no_such_table")


def test_db_error_sends_500(load, db_url):
    """The table disappears under a running worker: 500 and the script
    stops (return 0)."""
    dbenv.run_sql(db_url, "CREATE TABLE sub_gone AS SELECT * FROM subscriber")
    dbenv.run_sql(db_url, "INSERT INTO version (table_name, table_version) "
                  "VALUES (?, ?)", ("sub_gone", 6))
    try:
        s = load(table="sub_gone")
        _k, realm, nonce, _q, _s = challenge(s)
        cred = credentials("alice", realm, "pw", nonce)
        assert run(s, request(auth=[cred]))[2] == 1
        dbenv.run_sql(db_url, "DROP TABLE sub_gone")
        _, sent, rc = run(s, request(auth=[cred]))
        assert rc is None                       # 0: script stopped
        assert sent[0].startswith(b"SIP/2.0 500 Server Internal Error\r\n")
    finally:
        dbenv.run_sql(db_url, "DROP TABLE IF EXISTS sub_gone")
        dbenv.run_sql(db_url, "DELETE FROM version WHERE table_name = ?",
                      ("sub_gone",))


def test_nc_replay_across_forked_workers(load, tmp_path):
    """The same nc sent to 4 workers at once: exactly one accepts it."""
    s = load()
    _k, realm, nonce, _q, _s = challenge(s)
    cred = credentials("alice", realm, "pw", nonce, qop="auth")
    data = request(auth=[cred])

    def worker(i):
        s.registry.init_child(i + 1)            # own DB connection
        rc = run(s, data)[2]
        with open(os.path.join(str(tmp_path), "rc%d" % i), "w") as f:
            f.write(str(rc))

    assert run_forked(4, worker, timeout=60) == [0, 0, 0, 0]
    rcs = sorted(int(open(os.path.join(str(tmp_path), "rc%d" % i)).read())
                 for i in range(4))
    assert rcs == [-3, -3, -3, 1]
    # the parent shares the table too
    assert run(s, data)[2] == -3


def test_nonce_from_one_worker_accepted_by_another(load, tmp_path):
    """The secret and the nonce index counter are shared: a nonce issued by
    a worker is accepted by the master, and each worker's index differs."""
    s = load()
    path = str(tmp_path)

    def worker(i):
        s.registry.init_child(i + 1)
        _k, _realm, nonce, _q, _s = challenge(s)
        with open(os.path.join(path, "n%d" % i), "w") as f:
            f.write(nonce)

    assert run_forked(3, worker, timeout=60) == [0, 0, 0]
    nonces = [open(os.path.join(path, "n%d" % i)).read() for i in range(3)]
    assert len({n[8:16] for n in nonces}) == 3          # distinct indexes
    for nonce in nonces:
        cred = credentials("alice", "example.com", "pw", nonce, qop="auth")
        assert run(s, request(auth=[cred]))[2] == 1
        assert run(s, request(auth=[cred]))[2] == -3
