"""uri_db: check_to / check_from / does_uri_exist on SQLite, MariaDB and
PostgreSQL."""
import pytest

from tests.modules.auth.authutil import authenticate, request, run
from tests.modules.auth_db import dbenv
from tests.modules.auth_db.data import SUBSCRIBER_KEYS, SUBSCRIBERS

URI_ROWS = [("alice", "example.com", "alice.smith"),
            ("alice", "example.com", "+4930111"),
            ("carol", "other.org", "caroline")]


@pytest.fixture(scope="module", params=dbenv.BACKENDS)
def db_url(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    with dbenv.make_db(request.param, tmp, ["subscriber", "uri"]) as url:
        dbenv.insert_rows(url, "subscriber", SUBSCRIBER_KEYS, SUBSCRIBERS)
        dbenv.insert_rows(url, "uri", ("username", "domain", "uri_user"),
                          URI_ROWS)
        yield url


@pytest.fixture
def env():
    with dbenv.module_env() as scripts:
        yield scripts


CHECK_ROUTE = '''
if (!www_authorize("", "subscriber")) { www_challenge("", "1"); exit; }
%s(); $avp(s:rc) = $rc;
'''


def load(env, url, func, params=()):
    mp = [("auth", "secret", '"s"'), ("auth_db", "db_url", '"%s"' % url),
          ("uri_db", "db_url", '"%s"' % url)]
    mp += [("uri_db", k, v) for k, v in params]
    return dbenv.load_db_script(["auth", "auth_db", "uri_db"], mp,
                                CHECK_ROUTE % func, env)


def checked(script, from_user, to_user=None, digest_user="alice",
            password="pw", domain="example.com"):
    return authenticate(script, digest_user, password, user=from_user,
                        to_user=to_user or from_user, domain=domain)[2]


def test_check_from_and_to_against_digest_username(env, db_url):
    s = load(env, db_url, "check_from")
    assert checked(s, "alice") == 1
    assert checked(s, "Alice") == 1                 # case-insensitive
    assert checked(s, "bob", to_user="alice") == -1
    t = load(env, db_url, "check_to")
    assert checked(t, "bob", to_user="alice") == 1
    assert checked(t, "alice", to_user="bob") == -1


def test_check_from_with_uri_table(env, db_url):
    s = load(env, db_url, "check_from", (("use_uri_table", "1"),))
    assert checked(s, "alice.smith") == 1
    assert checked(s, "+4930111") == 1
    assert checked(s, "alice") == -1                # not mapped
    assert checked(s, "caroline") == -1             # carol's, not alice's
    assert checked(s, "caroline", digest_user="carol", password="pw2",
                   domain="other.org") == 1
    # the 1.3 spellings of the parameters are accepted
    s = load(env, db_url, "check_to", (
        ("use_uri_table", "1"), ("db_table", '"uri"'),
        ("user_column", '"username"'), ("uriuser_column", '"uri_user"')))
    assert checked(s, "x", to_user="alice.smith") == 1


def test_check_without_authorization_is_false(env, db_url):
    s = dbenv.load_db_script(
        ["auth", "uri_db"], [("uri_db", "db_url", '"%s"' % db_url)],
        "check_from(); $avp(s:rc) = $rc;", env)
    assert run(s, request())[2] == -1


EXIST_ROUTE = "does_uri_exist(); $avp(s:rc) = $rc;"


def exists(script, ruri):
    return run(script, request("INVITE", ruri))[2]


def test_does_uri_exist_subscriber_table(env, db_url):
    mp = [("uri_db", "db_url", '"%s"' % db_url)]
    s = dbenv.load_db_script(["uri_db"], mp, EXIST_ROUTE, env)
    assert exists(s, "sip:alice@example.com") == 1
    assert exists(s, "sip:alice@elsewhere.net") == 1     # no use_domain
    assert exists(s, "sip:nobody@example.com") == -1
    assert exists(s, "sip:x'OR'1'='1@example.com") == -1
    assert exists(s, "sip:%27%20OR%20%27%27=%27@example.com") == -1
    s = dbenv.load_db_script(["uri_db"], mp + [("uri_db", "use_domain", 1)],
                             EXIST_ROUTE, env)
    assert exists(s, "sip:alice@example.com") == 1
    assert exists(s, "sip:alice@elsewhere.net") == -1
    assert exists(s, "sip:carol@other.org") == 1


def test_does_uri_exist_uri_table(env, db_url):
    mp = [("uri_db", "db_url", '"%s"' % db_url),
          ("uri_db", "use_uri_table", 1)]
    s = dbenv.load_db_script(["uri_db"], mp, EXIST_ROUTE, env)
    assert exists(s, "sip:alice.smith@example.com") == 1
    assert exists(s, "sip:alice@example.com") == -1
    s = dbenv.load_db_script(["uri_db"], mp + [("uri_db", "use_domain", 1)],
                             EXIST_ROUTE, env)
    assert exists(s, "sip:caroline@other.org") == 1
    assert exists(s, "sip:caroline@example.com") == -1


def test_table_version_checked(env, db_url):
    mp = [("uri_db", "db_url", '"%s"' % db_url),
          ("uri_db", "use_uri_table", 1),
          ("uri_db", "uri_table", '"subscriber"')]
    with pytest.raises(ValueError, match="mod_init of module uri_db"):
        dbenv.load_db_script(["uri_db"], mp, EXIST_ROUTE, env)
