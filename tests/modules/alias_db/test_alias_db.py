"""alias_db: alias_db_lookup on SQLite, MariaDB and PostgreSQL."""
import pytest

from tests.modules.auth.authutil import request, run
from tests.modules.auth_db import dbenv

ALIASES = [  # alias_username, alias_domain, username, domain
    ("sales", "example.com", "alice", "example.com"),
    ("support", "example.com", "carol", ""),
    ("dup", "example.com", "d1", "example.com"),
    ("dup", "other.org", "d2", "other.org"),
    ("o'neil", "example.com", "neil", "example.net"),
]


@pytest.fixture(scope="module", params=dbenv.BACKENDS)
def db_url(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    with dbenv.make_db(request.param, tmp, ["dbaliases", "subscriber"]) as url:
        dbenv.insert_rows(url, "dbaliases", ("alias_username", "alias_domain",
                                             "username", "domain"), ALIASES)
        yield url


@pytest.fixture
def env():
    with dbenv.module_env() as scripts:
        yield scripts


ROUTE = ('if (alias_db_lookup("%s")) { $avp(s:rc) = 1; } '
         'else { $avp(s:rc) = -1; }')


def load(env, url, params=(), table="dbaliases"):
    mp = [("alias_db", "db_url", '"%s"' % url)]
    mp += [("alias_db", k, v) for k, v in params]
    return dbenv.load_db_script(["alias_db"], mp, ROUTE % table, env)


def lookup(script, ruri):
    """-> (rc, the R-URI after the lookup)."""
    msg, _sent, rc = run(script, request("INVITE", ruri))
    return rc, msg.new_uri


def test_alias_rewrites_ruri(env, db_url):
    s = load(env, db_url)
    assert lookup(s, "sip:sales@example.com:5080;transport=udp") == (
        1, "sip:alice@example.com")
    assert lookup(s, "sip:sales@anywhere.net") == (1, "sip:alice@example.com")
    assert lookup(s, "sip:support@example.com") == (1, "sip:carol")
    assert lookup(s, "sip:nobody@example.com") == (-1, None)
    assert lookup(s, "sip:example.com") == (-1, None)       # no user


def test_quotes_are_matched_literally(env, db_url):
    s = load(env, db_url)
    assert lookup(s, "sip:o'neil@example.com") == (1, "sip:neil@example.net")
    for user in ("x'OR'1'='1", "'OR''='", "sales'--"):
        assert lookup(s, "sip:%s@example.com" % user) == (-1, None), user


def test_use_domain_and_domain_prefix(env, db_url):
    s = load(env, db_url, (("use_domain", "1"),))
    assert lookup(s, "sip:dup@example.com") == (1, "sip:d1@example.com")
    assert lookup(s, "sip:dup@other.org") == (1, "sip:d2@other.org")
    assert lookup(s, "sip:sales@anywhere.net") == (-1, None)
    assert lookup(s, "sip:dup@sip.other.org") == (-1, None)
    s = load(env, db_url, (("use_domain", "1"), ("domain_prefix", '"sip."')))
    assert lookup(s, "sip:dup@sip.other.org") == (1, "sip:d2@other.org")
    assert lookup(s, "sip:dup@other.org") == (1, "sip:d2@other.org")


def test_table_version_checked(env, db_url):
    with pytest.raises(ValueError, match="version"):
        load(env, db_url, table="subscriber")
