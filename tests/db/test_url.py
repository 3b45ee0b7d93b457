"""db_url parsing, password masking and driver selection (no server)."""
import pytest

from openser_py.db import api
from openser_py.db.url import DbUrl, mask_url


@pytest.mark.parametrize("text,fields", [
    ("mysql://openser:openserrw@localhost/openser",
     ("mysql", "openser", "openserrw", "localhost", None, "openser")),
    ("mysql://root@127.0.0.1:3306/test",
     ("mysql", "root", None, "127.0.0.1", 3306, "test")),
    ("postgres://u:p%40ss@db.example.com:5433/ser",
     ("postgres", "u", "p@ss", "db.example.com", 5433, "ser")),
    ("postgresql://host/db", ("postgresql", None, None, "host", None, "db")),
    ("mysql://u:p@ss:w/rd@[::1]:3307/db",
     ("mysql", "u", "p@ss:w/rd", "::1", 3307, "db")),
    ("MySQL://u:@h/d", ("mysql", "u", "", "h", None, "d")),
])
def test_server_urls(text, fields):
    u = DbUrl(text)
    assert (u.scheme, u.user, u.password, u.host, u.port, u.database) == fields
    assert u.path is None


@pytest.mark.parametrize("text,path", [
    ("sqlite:///var/lib/openser/openser.db", "/var/lib/openser/openser.db"),
    ("sqlite://relative/dir/openser.db", "relative/dir/openser.db"),
    ("sqlite://:memory:", ":memory:"),
])
def test_sqlite_urls(text, path):
    u = DbUrl(text)
    assert u.scheme == "sqlite" and u.path == path and u.host is None


@pytest.mark.parametrize("text,why", [
    ("", "empty"),
    ("localhost/openser", "scheme://"),
    ("mysql://user:secretpw@host", "no database"),
    ("mysql://user:secretpw@/db", "no host"),
    ("mysql://user:secretpw@host:99999/db", "bad port"),
    ("mysql://user:secretpw@host:abc/db", "bad port"),
    ("postgres://user:secretpw@[::1/db", "IPv6"),
    ("sqlite://", "no database file"),
])
def test_bad_urls_raise_dberror_with_password_masked(text, why):
    with pytest.raises(api.DbError) as ei:
        DbUrl(text)
    msg = str(ei.value)
    assert why in msg
    assert "secretpw" not in msg


def test_repr_and_str_mask_the_password():
    u = DbUrl("mysql://openser:s3cr3tpw@db.local:3306/openser")
    for text in (repr(u), str(u), u.masked()):
        assert "s3cr3tpw" not in text
        assert "openser:***@db.local:3306/openser" in text
    assert u.password == "s3cr3tpw"
    assert str(DbUrl("mysql://root@h/d")) == "mysql://root@h/d"


def test_mask_url_on_raw_text():
    assert mask_url("postgres://a:b@c:5432/d") == "postgres://a:***@c:5432/d"
    assert mask_url("postgres://a:x@y@c/d") == "postgres://a:***@c/d"
    assert mask_url("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"


@pytest.mark.parametrize("text,driver", [
    ("mysql://u:p@h/d", "db_mysql"),
    ("postgres://u:p@h/d", "db_postgres"),
    ("postgresql://u:p@h/d", "db_postgres"),
    ("sqlite:///tmp/x.db", "db_sqlite"),
])
def test_bind_dbmod_picks_the_driver_by_scheme(text, driver):
    dbf = api.bind_dbmod(text)
    assert isinstance(dbf, api.DbFunctions) and dbf.name == driver


def test_unknown_scheme_is_a_clear_error_without_the_password():
    with pytest.raises(api.DbError) as ei:
        api.bind_dbmod("oracle://scott:tigerpw@dbhost/orcl")
    msg = str(ei.value)
    assert "oracle" in msg and "tigerpw" not in msg
    assert "scott:***@dbhost" in msg


def test_init_refuses_a_url_for_another_driver():
    dbf = api.bind_dbmod("sqlite:///tmp/x.db")
    with pytest.raises(api.DbError, match="not for driver db_sqlite"):
        dbf.init("mysql://u:p@h/d")
