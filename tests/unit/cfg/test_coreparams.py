"""openser_py.core.coreparams: registry and apply_core_params()."""
import glob
import os

import pytest

from openser_py.cfg import parse_file, parse_string
from openser_py.core import coreparams
from openser_py.core.coreparams import (KNOWN_SETTINGS, SETTINGS, SocketId,
                                        apply_core_params, cli_settings,
                                        defaults, format_docs, lookup)

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "cfg")

# every global parameter of reference section 1.8 (name, aliases)
REFERENCE_PARAMS = [
    "debug", "fork", "log_stderror", "log_facility", "log_name", "children",
    "listen", "port", "alias", "auto_aliases", "advertised_address",
    "advertised_port", "check_via", "dns", "rev_dns", "dns_try_ipv6",
    "dns_retr_time", "dns_retr_no", "dns_servers_no", "dns_use_search_list",
    "disable_dns_failover", "disable_dns_blacklist", "dst_blacklist",
    "max_while_loops", "maxbuffer", "mem_log", "memlog", "sip_warning",
    "server_signature", "server_header", "user_agent_header", "reply_to_via",
    "user", "uid", "group", "gid", "chroot", "workdir", "wdir", "mhomed",
    "disable_tcp", "tcp_children", "tcp_accept_aliases", "tcp_send_timeout",
    "tcp_connect_timeout", "tcp_connection_lifetime", "tcp_poll_method",
    "tcp_max_connections", "disable_tls", "tls_port_no", "tls_method",
    "tls_verify_client", "tls_verify_server", "tls_require_client_certificate",
    "tls_certificate", "tls_private_key", "tls_ca_list", "tls_ciphers_list",
    "tls_handshake_timeout", "tls_send_timeout", "tls_client_domain_avp",
    "tls_log", "tlslog", "avp_aliases", "disable_core_dump",
    "open_files_limit", "mcast_loopback", "mcast_ttl", "tos", "mpath",
]


def values_of(text):
    values, errors = apply_core_params(parse_string(text, "p.cfg"))
    return values, [(e.line, e.col, e.message) for e in errors]


@pytest.mark.parametrize("name", REFERENCE_PARAMS)
def test_every_reference_param_is_registered(name):
    setting = lookup(name)
    assert setting is not None
    assert setting.doc and setting.type in coreparams.VALIDATORS


# openser_py additions to 1.3's set (documented where they are used)
ADDITIONS = [
    "dns_server",           # doc/dev/dns.md
    "log_format",           # doc/operations.md
]


def test_registry_has_nothing_else():
    assert sorted(KNOWN_SETTINGS) == sorted(REFERENCE_PARAMS + ADDITIONS)


@pytest.mark.parametrize("alias,name", [
    ("mem_log", "memlog"), ("uid", "user"), ("gid", "group"),
    ("wdir", "workdir"), ("tlslog", "tls_log")])
def test_aliases(alias, name):
    assert lookup(alias) is lookup(name)
    values, errors = values_of("%s=4" % alias if name in ("memlog", "tls_log")
                               else '%s="x"' % alias)
    assert errors == []
    assert values[name] in (4, "x")


@pytest.mark.parametrize("name,default", [
    ("debug", 2), ("fork", True), ("log_stderror", False),
    ("log_facility", "LOG_DAEMON"), ("children", 8), ("listen", []),
    ("port", 5060), ("auto_aliases", True), ("max_while_loops", 100),
    ("maxbuffer", 262144), ("memlog", 4), ("server_signature", True),
    ("workdir", "/"), ("tcp_send_timeout", 10), ("tcp_connect_timeout", 10),
    ("tcp_connection_lifetime", 120), ("tcp_max_connections", 2048),
    ("disable_tls", True), ("tls_port_no", 5061), ("disable_dns_blacklist", True),
    ("dns_retr_time", -1), ("open_files_limit", -1), ("mcast_ttl", -1),
    ("tos", 0x10), ("tcp_children", None), ("mpath", None)])
def test_defaults(name, default):
    assert defaults()[name] == default


def test_defaults_are_fresh_copies():
    d = defaults()
    d["listen"].append("x")
    assert defaults()["listen"] == []


def test_cli_flags():
    flags = dict((flag, s.name) for flag, s in cli_settings().items())
    assert flags == {
        "-d": "debug", "-E": "log_stderror", "-D": "fork", "-n": "children",
        "-N": "tcp_children", "-u": "user", "-g": "group", "-t": "chroot",
        "-w": "workdir", "-l": "listen", "-b": "maxbuffer", "-v": "check_via",
        "-r": "dns", "-R": "rev_dns", "-T": "disable_tcp", "-W": "tcp_poll_method"}


def test_format_docs_lists_everything():
    doc = format_docs()
    for s in SETTINGS:
        assert "`%s`" % s.name in doc


@pytest.mark.parametrize("src,name,value", [
    ("debug=4", "debug", 4),
    ("debug=-1", "debug", -1),
    ("fork=no", "fork", False),
    ("fork=1", "fork", True),
    ("log_stderror=yes", "log_stderror", True),
    ("log_facility=log_local0", "log_facility", "LOG_LOCAL0"),
    ('log_name="sip"', "log_name", "sip"),
    ("children=4", "children", 4),
    ("user=openser", "user", "openser"),
    ('group="sip users"', "group", "sip users"),
    ("advertised_address=1.2.3.4", "advertised_address", "1.2.3.4"),
    ("advertised_address=sip.example.com", "advertised_address", "sip.example.com"),
    ('advertised_address="x.y"', "advertised_address", "x.y"),
    ("tcp_poll_method=epoll_lt", "tcp_poll_method", "epoll_lt"),
    ('tcp_poll_method="/dev/poll"', "tcp_poll_method", "/dev/poll"),
    ("tls_method=tlsv1", "tls_method", "TLSv1"),
    ("tos=IPTOS_THROUGHPUT", "tos", 0x08),
    ("tos=0x04", "tos", 4),
    ('mpath=" ./modules/"', "mpath", " ./modules/"),
    ("open_files_limit=0x400", "open_files_limit", 1024),
])
def test_values(src, name, value):
    values, errors = values_of(src)
    assert errors == []
    assert values[name] == value


def test_listen_and_alias_accumulate():
    values, errors = values_of(
        "listen=udp:127.0.0.1:5060 tcp:127.0.0.1\nlisten=eth0\n"
        "listen=tls:[::1]:any\nalias=\"example.com\"\nalias=sip.example.com:5070")
    assert errors == []
    assert values["listen"] == [
        SocketId("udp", "127.0.0.1", 5060), SocketId("tcp", "127.0.0.1", None),
        SocketId(None, "eth0", None), SocketId("tls", "::1", 0)]
    assert values["alias"] == [SocketId(None, "example.com", None),
                               SocketId(None, "sip.example.com", 5070)]


def test_last_assignment_wins():
    values, _ = values_of("debug=1\nchildren=2\ndebug=4")
    assert (values["debug"], values["children"]) == (4, 2)


def test_dst_blacklist_and_tls_domains():
    values, errors = values_of(
        'dst_blacklist=a:{ (udp, 1.2.3.4, 5060, "x") }\n'
        'dst_blacklist=b:{ !(any, 10.0.0.0/8, any, "y") }\n'
        'tls_server_domain[1.2.3.4:5061] { tls_method=TLSv1 tls_verify_client=1 }\n'
        'tls_client_domain["gw.example.com"] { tls_verify_server=0 }')
    assert errors == []
    assert [name for name, rules in values["dst_blacklist"]] == ["a", "b"]
    assert values["tls_domains"] == [
        coreparams.TlsDomain("tls_server_domain",
                             SocketId(None, "1.2.3.4", 5061),
                             {"tls_method": "TLSv1", "tls_verify_client": True}),
        coreparams.TlsDomain("tls_client_domain", "gw.example.com",
                             {"tls_verify_server": False})]


@pytest.mark.parametrize("src,error", [
    ('fifo="/tmp/openser_fifo"', (1, 1, "unknown core parameter 'fifo' (not a "
                                        "core parameter since OpenSER 1.2: use "
                                        "the mi_fifo module: modparam("
                                        "\"mi_fifo\", \"fifo_name\", ...))")),
    ("unix_sock_children=2", (1, 1, "unknown core parameter 'unix_sock_children' "
                             "(not a core parameter since OpenSER 1.2: use the "
                             "mi_datagram module: modparam(\"mi_datagram\", "
                             "\"children_count\", ...))")),
    ('children="4"', (1, 10, "bad value for core parameter 'children': "
                             "number expected")),
    ("fork=maybe", (1, 6, "bad value for core parameter 'fork': boolean "
                          "value expected")),
    ("log_name=3", (1, 10, "bad value for core parameter 'log_name': string "
                           "value expected")),
    ("mpath=modules", (1, 7, "bad value for core parameter 'mpath': string "
                             "value expected")),
    ("user=3", (1, 6, "bad value for core parameter 'user': string or "
                      "identifier expected")),
    ("listen=5060", (1, 8, "bad value for core parameter 'listen': ip address "
                           "or hostname expected")),
    ("port=udp:1.2.3.4", (1, 6, "bad value for core parameter 'port': number "
                                "expected")),
    ("log_facility=LOG_NOPE", (1, 14, "bad value for core parameter "
                                      "'log_facility': bad syslog facility "
                                      "'LOG_NOPE' (one of: %s)"
                               % ", ".join(coreparams.FACILITIES))),
    ("tcp_poll_method=EPOLL", (1, 17, "bad value for core parameter "
                                      "'tcp_poll_method': bad tcp_poll_method "
                                      "value 'EPOLL' (one of: %s)"
                               % ", ".join(coreparams.POLL_METHODS))),
    ("tos=0", (1, 5, "bad value for core parameter 'tos': invalid tos value")),
    ("dst_blacklist=5", (1, 15, "bad value for core parameter 'dst_blacklist': "
                                "name:{ (proto, net, port, \"text\"), ... } expected")),
    ("tls_server_domain[1.2.3.4:5061] { tls_verify_server=1 }",
     (1, 35, "core parameter 'tls_verify_server' is not allowed in this block")),
])
def test_errors_with_coordinates(src, error):
    values, errors = values_of(src)
    assert errors == [error]


def test_all_errors_reported_and_values_kept():
    values, errors = values_of("debug=x\nchildren=3\nfifo=1\nport=\"a\"\n")
    assert [e[:2] for e in errors] == [(1, 7), (3, 1), (4, 6)]
    assert values["children"] == 3 and values["debug"] == 2


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(DATA, "*.cfg"))),
                         ids=os.path.basename)
def test_samples_have_valid_core_params(path):
    values, errors = apply_core_params(parse_file(path))
    assert errors == []


def test_default_cfg_values():
    values, _ = apply_core_params(parse_file(os.path.join(
        DATA, "openser-default.cfg")))
    assert (values["debug"], values["fork"], values["log_stderror"],
            values["children"], values["port"], values["mpath"]) == (
        3, True, False, 4, 5060, "/usr/local/lib/openser/modules/")
