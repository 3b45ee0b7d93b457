"""Shared fixtures and the CI policy for external prerequisites.

Tests that need a real external component (the ``sipp`` binary, MariaDB,
PostgreSQL) call :func:`require_tool` / :func:`require_service`.  Outside CI a
missing component skips the test with a clear reason; with ``CI=true`` it
fails, so CI can never go green by silently skipping.
"""
import os
import shutil
import socket
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(reason):
    if IN_CI:
        pytest.fail("CI=true: %s" % reason, pytrace=False)
    pytest.skip(reason)


def require_tool(name, package=None):
    """Return the path of executable *name*, else skip (fail under CI)."""
    path = shutil.which(name)
    if not path:
        _missing("%s not found on PATH (Debian package %s)"
                 % (name, package or name))
    return path


def require_service(host, port, what):
    """Check that a TCP service answers on host:port, else skip (fail in CI)."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError as exc:
        _missing("%s unreachable on %s:%d (%s)" % (what, host, port, exc))


def free_port(proto=socket.SOCK_DGRAM, host="127.0.0.1"):
    """Return a port that is free for both UDP and TCP on *host* right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, proto) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        other = socket.SOCK_STREAM if proto == socket.SOCK_DGRAM else socket.SOCK_DGRAM
        try:
            with socket.socket(socket.AF_INET, other) as s2:
                s2.bind((host, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port found")


def sql_rows(engine, name, query):
    """Rows of *query* on database *name* of the test MariaDB ("mysql") or
    PostgreSQL server, read directly (root / postgres, trust), as tuples."""
    if engine == "mysql":
        import pymysql
        con = pymysql.connect(host="127.0.0.1", port=3306, user="root",
                              database=name, autocommit=True)
    else:
        import psycopg2
        con = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres",
                               dbname=name)
        con.autocommit = True
    try:
        cur = con.cursor()
        cur.execute(query)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture
def repo_root():
    """The checkout's top directory."""
    return ROOT


@pytest.fixture
def python():
    """The interpreter running the tests (has the package and deps)."""
    return sys.executable
