"""What every DB-using module does with its connection, written once.

An OpenSER module binds its driver in ``mod_init`` (``db_bind_mod``),
checks the versions of its tables there with a short-lived connection
(``table_version``), opens one connection per worker in ``child_init``
(never before fork) and closes it in ``destroy``.  The module keeps the
driver and the connection on a state object with the attributes ``dbf``
and ``con``; these helpers work on that object.  Log lines name the
failing step; the caller's own messages stay in the module.
"""
from openser_py.core.dprint import LM_ERR
from openser_py.core.exports import PROC_MAIN, PROC_TCP_MAIN
from openser_py.db import api as db_api


def bind(state, url):
    """``db_bind_mod``: the driver of *url* on ``state.dbf`` (any old
    connection closed, ``state.con`` reset); 0 / -1 (logged)."""
    close(state)
    try:
        state.dbf = db_api.bind_dbmod(url)
    except db_api.DbError as exc:
        LM_ERR("failed to bind the database module: %s", exc)
        return -1
    return 0


def version_error(dbf, url, table, want):
    """Check *table*'s row in ``version`` over a short connection: None
    when it is *want*, else the error text (unreachable DB, wrong
    version)."""
    try:
        con = dbf.init(url)
        try:
            ver = db_api.table_version(dbf, con, table)
        finally:
            con.close()
    except db_api.DbError as exc:
        return "cannot check the version of table %s: %s" % (table, exc)
    if ver != want:
        return ("invalid table version %d for %s (expected %d)"
                % (ver, table, want))
    return None


def connect(state, url):
    """(Re)open this process's connection on ``state.con``; 0 / -1."""
    if state.dbf is None:
        return -1
    try:
        state.con = state.dbf.init(url)
    except db_api.DbError as exc:
        LM_ERR("failed to connect to the database: %s", exc)
        return -1
    return 0


def child_init(state, rank, url):
    """Open the connection in every process that serves messages or MI
    (not in the master and the TCP main); 0 / -1."""
    if rank in (PROC_MAIN, PROC_TCP_MAIN):
        return 0
    return connect(state, url)


def close(state):
    """Close ``state.con`` quietly (module destroy)."""
    con, state.con = state.con, None
    if con is not None:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - shutdown must go on
            pass
