"""Shared helpers of the usrloc and registrar tests: configs, messages, DB."""
import os
import uuid

from openser_py import mem
from openser_py.core import statistics
from openser_py.core.script_state import state
from openser_py.core.scriptrun import (SendRecorder, load_script, make_msg,
                                       run_route)
from openser_py.mem import shm
from openser_py.modules.usrloc import dlist

from tests.conftest import require_service

MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
PG_URL = "postgres://postgres@127.0.0.1:5432/test"


def fresh_env():
    """A fresh shm arena, statistics and script state."""
    dlist.reset()
    statistics.reset_registry()
    state.reset()
    mem.shm_init(32 << 20, debug=False)


def clean_env():
    dlist.reset()
    statistics.reset_registry()
    state.reset()
    mem.shm_destroy()
    shm.set_allocator(None)


def cfg_text(route, ul_params=None, reg_params=None, listen="udp:127.0.0.1:5060"):
    """A config with sl, usrloc, registrar and the given route body."""
    lines = ["listen=%s" % listen, 'loadmodule "sl.so"',
             'loadmodule "usrloc.so"', 'loadmodule "registrar.so"']
    for mod, params in (("usrloc", ul_params), ("registrar", reg_params)):
        for k, v in (params or {}).items():
            val = v if isinstance(v, int) else '"%s"' % v
            lines.append('modparam("%s", "%s", %s)' % (mod, k, val))
    lines.append("route {\n%s\n}" % route)
    return "\n".join(lines) + "\n"


DEFAULT_ROUTE = '''
if (method == "REGISTER") { save("location"); exit; }
if (lookup("location")) { sl_send_reply("302", "Moved"); exit; }
sl_send_reply("404", "Not Found");
'''


def load(route=DEFAULT_ROUTE, ul_params=None, reg_params=None):
    return load_script(cfg_text(route, ul_params, reg_params))


def register(user="alice", contacts=("<sip:alice@192.0.2.10:5060>",),
             callid="reg-1@x", cseq=1, expires=None, extra="",
             domain="example.com"):
    """Bytes of a REGISTER for user@domain."""
    hdrs = ["REGISTER sip:%s SIP/2.0" % domain,
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK%s" % uuid.uuid4().hex[:10],
            "From: <sip:%s@%s>;tag=f1" % (user, domain),
            "To: <sip:%s@%s>" % (user, domain),
            "Call-ID: %s" % callid, "CSeq: %d REGISTER" % cseq]
    for c in contacts:
        hdrs.append("Contact: %s" % c)
    if expires is not None:
        hdrs.append("Expires: %d" % expires)
    if extra:
        hdrs.append(extra.rstrip("\r\n"))
    hdrs.append("Content-Length: 0")
    return ("\r\n".join(hdrs) + "\r\n\r\n").encode()


def invite(ruri="sip:alice@example.com", method="INVITE"):
    return ("%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK%s\r\n"
            "From: <sip:bob@example.com>;tag=b1\r\nTo: <%s>\r\n"
            "Call-ID: %s@y\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n"
            % (method, ruri, uuid.uuid4().hex[:10], ruri,
               uuid.uuid4().hex[:8], method)).encode()


def run(script, data, **rcv):
    """Run the main route; return (msg, sent list, run flags)."""
    msg = make_msg(data, **rcv)
    with SendRecorder() as rec:
        flags = run_route(script, msg)
    return msg, rec.sent, flags


def reply_of(sent):
    """(code, headers dict-of-lists, raw text) of the single sent reply."""
    assert len(sent) == 1, sent
    text = sent[0][3].decode()
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    code = int(head[0].split(" ")[1])
    hdrs = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        hdrs.setdefault(name.strip().lower(), []).append(value.strip())
    return code, hdrs, text


# -- databases ------------------------------------------------------------

def sqlite_url(tmp_path):
    return "sqlite://%s" % os.path.join(str(tmp_path), "ul.db")


def db_available(kind):
    if kind == "mysql":
        require_service("127.0.0.1", 3306, "MariaDB")
        return MYSQL_URL
    if kind == "postgres":
        require_service("127.0.0.1", 5432, "PostgreSQL")
        return PG_URL
    raise ValueError(kind)


def create_location(url, name="location"):
    """Create table *name* (location layout) and its version row; return name."""
    from openser_py.db import api as db_api
    from openser_py.db import schema
    from openser_py.db.schema.tables import _contacts
    dbf = db_api.bind_dbmod(url)
    con = dbf.init(url)
    try:
        dialect = {"db_sqlite": "sqlite", "db_mysql": "mysql",
                   "db_postgres": "postgres"}[dbf.name] \
            if dbf.name in ("db_sqlite", "db_mysql", "db_postgres") \
            else url.split(":", 1)[0]
        try:
            for sql in schema.create_statements(dialect, tables=["version"]):
                con.raw_query(sql)
        except Exception:   # noqa: BLE001 - version exists already
            pass
        for sql in schema.drop_statements(dialect, tables=[_contacts(name, name + "_idx")]):
            con.raw_query(sql)
        for sql in schema.create_statements(dialect, tables=[_contacts(name, name + "_idx")]):
            con.raw_query(sql)
    finally:
        con.close()
    return name


def drop_location(url, name):
    from openser_py.db import api as db_api
    from openser_py.db import schema
    from openser_py.db.schema.tables import _contacts
    dbf = db_api.bind_dbmod(url)
    con = dbf.init(url)
    dialect = url.split(":", 1)[0].replace("postgresql", "postgres")
    try:
        for sql in schema.drop_statements(dialect, tables=[_contacts(name, name + "_idx")]):
            con.raw_query(sql)
    finally:
        con.close()


def db_rows(url, name):
    from openser_py.db import api as db_api
    dbf = db_api.bind_dbmod(url)
    con = dbf.init(url)
    try:
        con.use_table(name)
        res = con.query(cols=["username", "contact", "callid", "cseq",
                              "expires", "q"])
        return sorted(tuple(r) for r in res.rows)
    finally:
        con.close()
