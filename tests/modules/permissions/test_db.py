"""permissions: allow_trusted (db_mode 0 and 1) and the address functions
on SQLite, MariaDB and PostgreSQL; the MI reload/dump commands; a reload
seen by forked workers."""
import os
import struct
import socket

import pytest

from openser_py.core.scriptrun import SendRecorder, load_script, make_msg, \
    run_route
from openser_py.core.usr_avp import get_avp_list
from openser_py.mi.mi import run_mi_cmd
from tests.forking import run_forked
from tests.modules.auth_db import dbenv
from tests.modules.dispatcher.dsutil import c_core_sum

TRUSTED = [("192.0.2.1", "any", None, "peer-one"),
           ("192.0.2.2", "udp", "^sip:.*@trusted\\.org$", "peer-two"),
           ("192.0.2.2", "tcp", None, None),
           ("192.0.2.3", "none", None, "never"),
           ("192.0.2.4", "tls", "", "tls-peer")]
ADDRESS = [(1, "10.0.0.1", 32, 0), (1, "10.0.0.2", 32, 5060),
           (2, "10.0.0.1", 32, 5070), (1, "172.16.0.0", 12, 0),
           (2, "192.168.7.0", 24, 5080), (3, "0.0.0.0", 0, 0)]


@pytest.fixture(params=dbenv.BACKENDS)
def db_url(request, tmp_path):
    with dbenv.make_db(request.param, tmp_path, ["trusted", "address"]) \
            as url:
        dbenv.insert_rows(url, "trusted", ("src_ip", "proto", "from_pattern",
                                           "tag"), TRUSTED)
        dbenv.insert_rows(url, "address", ("grp", "ip_addr", "mask", "port"),
                          ADDRESS)
        yield url


@pytest.fixture
def env():
    with dbenv.module_env() as scripts:
        yield scripts


def _load(env, url, route, db_mode=0, pre=""):
    text = ('listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\n'
            'loadmodule "permissions.so"\n'
            'modparam("permissions", "db_url", "%s")\n'
            'modparam("permissions", "db_mode", %d)\n'
            'modparam("permissions", "peer_tag_avp", "$avp(s:tag)")\n'
            'route { $avp(s:rc) = -1; %s if (%s) $avp(s:rc) = 1; }\n'
            % (url, db_mode, pre, route))
    s = load_script(text)
    env.append(s)
    s.registry.init_child(1)
    return s


def _req(frm="sip:alice@trusted.org"):
    return ("INVITE sip:bob@x SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;"
            "branch=z9hG4bK1\r\nFrom: <%s>;tag=1\r\nTo: <sip:bob@x>\r\n"
            "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            % frm).encode()


def _run(s, src="192.0.2.1", port=5060, proto="udp", frm="sip:a@trusted.org"):
    msg = make_msg(_req(frm), src_ip=src, src_port=port, proto=proto)
    with SendRecorder():
        run_route(s, msg)
    avps = get_avp_list()
    return avps.search("rc"), avps.search("tag")


@pytest.mark.parametrize("db_mode", [0, 1])
def test_allow_trusted(env, db_url, db_mode):
    s = _load(env, db_url, "allow_trusted()", db_mode)
    assert _run(s, "192.0.2.1", proto="tcp") == (1, "peer-one")
    assert _run(s, "192.0.2.2") == (1, "peer-two")
    assert _run(s, "192.0.2.2", frm="sip:a@TRUSTED.org") == (1, "peer-two")
    assert _run(s, "192.0.2.2", frm="sip:a@other.org") == (-1, None)
    assert _run(s, "192.0.2.2", frm="sip:a@other.org", proto="tcp") == (
        1, None)                                   # NULL tag: no AVP
    assert _run(s, "192.0.2.3") == (-1, None)      # proto none
    assert _run(s, "192.0.2.4") == (-1, None)      # udp != tls
    assert _run(s, "192.0.2.9") == (-1, None)
    s = _load(env, db_url, 'allow_trusted("$avp(s:ip)", "$avp(s:pr)")',
              db_mode, pre='$avp(s:ip) = "192.0.2.2"; $avp(s:pr) = "tcp";')
    assert _run(s, "198.51.100.1", frm="sip:x@y") == (1, None)


def test_trusted_cache_reload_and_dump(env, db_url, tmp_path):
    s = _load(env, db_url, "allow_trusted()", 1)
    dump = [n.value for n in run_mi_cmd("trusted_dump", []).kids]
    exp = []
    for i in range(128):
        for src, proto, pat, tag in reversed(TRUSTED):
            if _bucket(src.encode()) == i:
                p = {"any": 0, "udp": 1, "tcp": 2, "tls": 3, "none": -1}
                exp.append("%4d <%s, %d, %s, %s>" % (
                    i, src, p[proto], pat or "NULL", tag or "NULL"))
    assert dump == exp
    dbenv.insert_rows(db_url, "trusted", ("src_ip", "proto", "from_pattern",
                                          "tag"),
                      [("203.0.113.5", "any", None, "late")])
    assert _run(s, "203.0.113.5") == (-1, None)     # cached
    d = str(tmp_path)

    def mi_process(_i):
        s.registry.init_child(-2)                  # PROC_MODULE
        rpl = run_mi_cmd("trusted_reload", [])
        assert (rpl.code, rpl.reason) == (200, "Reload OK")

    assert run_forked(1, mi_process, timeout=60) == [0]

    def worker(i):
        s.registry.init_child(i + 1)
        with open(os.path.join(d, "w%d" % i), "w") as f:
            f.write(repr(_run(s, "203.0.113.5")))

    assert run_forked(2, worker, timeout=60) == [0, 0]
    for i in range(2):
        assert open(os.path.join(d, "w%d" % i)).read() == "(1, 'late')"
    assert _run(s, "203.0.113.5") == (1, "late")


def test_trusted_mi_needs_cache_mode(env, db_url):
    _load(env, db_url, "allow_trusted()", 0)
    for cmd in ("trusted_reload", "trusted_dump"):
        assert run_mi_cmd(cmd, []).code == 500


def _bucket(b):
    h = c_core_sum(b)
    h = ((h + (h >> 11)) + ((h >> 13) + (h >> 23))) & 0xFFFFFFFF
    return h & 127


def test_allow_address_forms(env, db_url):
    s = _load(env, db_url, "allow_source_address(1)")
    assert _run(s, "10.0.0.1", 1234)[0] == 1       # port 0 = any
    assert _run(s, "10.0.0.2", 5060)[0] == 1
    assert _run(s, "10.0.0.2", 5061)[0] == -1
    assert _run(s, "172.31.255.1", 9)[0] == 1      # 172.16/12
    assert _run(s, "172.32.0.1", 9)[0] == -1
    s = _load(env, db_url, "allow_source_address(2)")
    assert _run(s, "10.0.0.1", 5070)[0] == 1
    assert _run(s, "10.0.0.1", 5060)[0] == -1
    assert _run(s, "192.168.7.200", 5080)[0] == 1
    assert _run(s, "192.168.7.200", 5081)[0] == -1
    s = _load(env, db_url, "allow_source_address(3)")
    assert _run(s, "8.8.8.8", 1)[0] == 1           # 0.0.0.0/0
    s = _load(env, db_url, 'allow_address("$avp(s:ip)", "$avp(s:port)")',
              pre='set_address_group("2"); $avp(s:ip) = "192.168.7.9"; '
              '$avp(s:port) = 5080;')
    assert _run(s, "1.1.1.1")[0] == 1
    s = _load(env, db_url, 'allow_address("1", "$avp(s:ip)", "$sp")',
              pre='$avp(s:ip) = "10.0.0.2";')
    assert _run(s, "1.1.1.1", 5060)[0] == 1
    assert _run(s, "1.1.1.1", 5070)[0] == -1
    s = _load(env, db_url, 'allow_address("1", "$avp(s:ip)", "$sp")',
              pre='$avp(s:ip) = "2001:db8::1";')
    assert _run(s, "1.1.1.1", 5060)[0] == -1       # IPv4 only


def _ip(text):
    return socket.inet_aton(text)


def test_address_dumps_and_reload(env, db_url):
    s = _load(env, db_url, "allow_source_address(4)")
    dump = [n.value for n in run_mi_cmd("address_dump", []).kids]
    exp = []
    addrs = [a for a in ADDRESS if a[2] == 32]
    for i in range(128):
        for g, ip, _m, port in reversed(addrs):
            if _bucket(_ip(ip)) == i:
                exp.append("%4d <%u, %s, %u>" % (i, g, ip, port))
    assert dump == exp
    subnets = [n.value for n in run_mi_cmd("subnet_dump", []).kids]
    assert subnets == ["   0 <1, 172.16.0.0, 12, 0>",
                       "   1 <2, 192.168.7.0, 24, 5080>",
                       "   2 <3, 0.0.0.0, 0, 0>"]
    dbenv.insert_rows(db_url, "address", ("grp", "ip_addr", "mask", "port"),
                      [(4, "198.51.100.0", 25, 0)])
    assert _run(s, "198.51.100.77", 1)[0] == -1
    rpl = run_mi_cmd("address_reload", [])
    assert (rpl.code, rpl.reason) == (200, "Reload OK")
    assert _run(s, "198.51.100.77", 1)[0] == 1
    assert _run(s, "198.51.100.128", 1)[0] == -1
    assert struct.unpack(">I", _ip("198.51.100.0"))[0] & 0x7F == 0


def test_table_versions_checked(env, db_url):
    dbenv.run_sql(db_url, "UPDATE version SET table_version = 9 WHERE "
                  "table_name = ?", ("address",))
    with pytest.raises(ValueError, match="mod_init of module permissions"):
        _load(env, db_url, "allow_trusted()")
