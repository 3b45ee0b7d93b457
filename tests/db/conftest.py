"""Fixtures for the DB API tests: one parameter per backend.

``backend`` is ``sqlite`` (a file in a temporary directory), ``mysql``
(MariaDB on 127.0.0.1:3306, database ``test``) or ``postgres``
(127.0.0.1:5432, database ``test``).  The servers are checked with
``require_service``: unreachable means skip, or fail under CI=true.  Every
test works on its own uniquely named table (``table`` fixture) so parallel
runs never collide; ``fresh_db_url`` gives a whole private database.
"""
import os
import time
import uuid

import pytest

from tests.conftest import require_service

MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
PG_URL = "postgres://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "mysql", "postgres")
SERVERS = ("mysql", "postgres")

# the test table, per dialect ({t} = its unique name)
DDL = {
    "sqlite": (
        "CREATE TABLE {t} (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "username VARCHAR(64) NOT NULL DEFAULT '', "
        "domain VARCHAR(64) DEFAULT NULL, q REAL, cseq INT, "
        "expires DATETIME, body BLOB, UNIQUE (username, domain))"),
    "mysql": (
        "CREATE TABLE {t} (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
        "username VARCHAR(64) NOT NULL DEFAULT '', "
        "domain VARCHAR(64) DEFAULT NULL, q DOUBLE, cseq INT, "
        "expires DATETIME, body BLOB, "
        "UNIQUE KEY account_idx (username, domain))"),
    "postgres": (
        "CREATE TABLE {t} (id SERIAL PRIMARY KEY, "
        "username VARCHAR(64) NOT NULL DEFAULT '', "
        "domain VARCHAR(64) DEFAULT NULL, q DOUBLE PRECISION, cseq INT, "
        "expires TIMESTAMP WITHOUT TIME ZONE, body BYTEA, "
        "CONSTRAINT {t}_account_idx UNIQUE (username, domain))"),
}


def unique_name(prefix="t"):
    """A table/database name no other run uses."""
    return "%s_%d_%s" % (prefix, os.getpid(), uuid.uuid4().hex[:8])


def require_backend(backend):
    """Skip (fail under CI) when the backend's server is down."""
    if backend == "mysql":
        require_service("127.0.0.1", 3306, "MariaDB")
    elif backend == "postgres":
        require_service("127.0.0.1", 5432, "PostgreSQL")


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The backend name; the server must be reachable."""
    require_backend(request.param)
    return request.param


@pytest.fixture(params=SERVERS)
def server_backend(request):
    """mysql or postgres (tests that need a server process)."""
    require_backend(request.param)
    return request.param


@pytest.fixture
def db_url(backend, tmp_path):
    """A URL for *backend* (sqlite: a new file)."""
    return url_for(backend, tmp_path)


def url_for(backend, tmp_path):
    if backend == "sqlite":
        return "sqlite://%s" % (tmp_path / "openser.db")
    return {"mysql": MYSQL_URL, "postgres": PG_URL}[backend]


@pytest.fixture
def dbf(db_url):
    from openser_py.db import api
    return api.bind_dbmod(db_url)


@pytest.fixture
def con(dbf, db_url):
    """An open connection handle (closed afterwards)."""
    c = dbf.init(db_url)
    yield c
    c.close()


@pytest.fixture
def table(backend, con):
    """A uniquely named test table (see DDL), selected on ``con``."""
    name = unique_name()
    con.raw_query(DDL[backend].format(t=name))
    con.use_table(name)
    yield name
    from openser_py.db import api
    c2 = api.bind_dbmod(con.url).init(con.url, lazy=True)
    try:
        for attempt in range(5):     # connection tests may leave it down
            try:
                c2.raw_query("DROP TABLE %s" % name)
                break
            except api.DbConnectionError:
                if attempt == 4:
                    raise
                time.sleep(1.1)
    finally:
        c2.close()


def admin_connection(backend):
    """A plain driver connection to the server's ``test`` database (for
    killing sessions, creating databases)."""
    if backend == "mysql":
        import pymysql
        return pymysql.connect(host="127.0.0.1", port=3306, user="root",
                               database="test", autocommit=True)
    import psycopg2
    c = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres",
                         dbname="test")
    c.autocommit = True
    return c


@pytest.fixture
def fresh_db_url(backend, tmp_path):
    """A URL of a private, empty database (dropped afterwards)."""
    if backend == "sqlite":
        yield "sqlite://%s" % (tmp_path / "fresh.db")
        return
    name = unique_name("dbapi")
    admin = admin_connection(backend)
    cur = admin.cursor()
    cur.execute("CREATE DATABASE %s" % name)
    try:
        if backend == "mysql":
            yield "mysql://root@127.0.0.1:3306/%s" % name
        else:
            yield "postgres://postgres@127.0.0.1:5432/%s" % name
    finally:
        from openser_py.db import backend as pool
        for b in list(pool._POOL.values()):
            if b.url.database == name:
                b.close()
        if backend == "mysql":
            cur.execute("DROP DATABASE %s" % name)
        else:
            cur.execute("DROP DATABASE %s WITH (FORCE)" % name)
        admin.close()
