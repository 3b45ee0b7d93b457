"""openser_py.core.resolve: RFC 3263 §4 against a fake authoritative server.

Each case checks the destinations *and* which questions were asked (the
server's query log), so "port given -> A only" and friends are observed,
not assumed.
"""
import random

import pytest

from openser_py.core import forward, resolve
from openser_py.core.dns import message as M
from openser_py.core.dns.client import ResolvConf
from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS, PROTO_UDP
from tests.unit.core.test_resolve_server import FakeDns, rr

D = "example.test"
ZONE = {
    (D, M.NAPTR): [
        rr(D, M.NAPTR, M.Naptr(20, 10, "s", "SIP+D2U", "", "_sip._udp." + D)),
        rr(D, M.NAPTR, M.Naptr(10, 10, "s", "SIP+D2T", "", "_sip._tcp." + D)),
    ],
    ("_sip._udp." + D, M.SRV): [
        rr("_sip._udp." + D, M.SRV, M.Srv(10, 0, 5070, "a." + D)),
        rr("_sip._udp." + D, M.SRV, M.Srv(20, 0, 5071, "b." + D)),
    ],
    ("_sip._tcp." + D, M.SRV): [
        rr("_sip._tcp." + D, M.SRV, M.Srv(10, 0, 5080, "a." + D)),
    ],
    ("a." + D, M.A): [rr("a." + D, M.A, "127.0.0.11")],
    ("b." + D, M.A): [rr("b." + D, M.A, "127.0.0.12"),
                      rr("b." + D, M.A, "127.0.0.13")],
    (D, M.A): [rr(D, M.A, "127.0.0.10", ttl=60)],
    ("srvonly.test", M.SRV): [],
    ("_sip._udp.srvonly.test", M.SRV): [
        rr("_sip._udp.srvonly.test", M.SRV, M.Srv(0, 0, 5090, "a." + D))],
    ("plain.test", M.A): [rr("plain.test", M.A, "127.0.0.20")],
    ("v6.test", M.AAAA): [rr("v6.test", M.AAAA, "::1")],
    ("www.test", M.CNAME): [rr("www.test", M.CNAME, "plain.test")],
    ("short.search.test", M.A): [rr("short.search.test", M.A, "127.0.0.30")],
}


@pytest.fixture
def dns():
    with FakeDns(ZONE) as server:
        yield server


def make(dns, **kw):
    kw.setdefault("hosts", {})
    return resolve.Resolver([dns.address], timeout=1, attempts=1,
                            rng=random.Random(1), **kw)


def asked(dns):
    return [(name, qtype) for _, name, qtype in dns.queries]


def test_numeric_ip_used_as_is(dns):
    r = make(dns)
    assert r.sip_resolvehost("192.0.2.7") == [(PROTO_UDP, "192.0.2.7", 5060)]
    assert r.sip_resolvehost("[::1]", 5070, PROTO_TCP) == \
        [(PROTO_TCP, "::1", 5070)]
    assert r.sip_resolvehost("192.0.2.7", sips=True) == \
        [(PROTO_TLS, "192.0.2.7", 5061)]
    assert dns.queries == []


def test_port_given_a_only(dns):
    r = make(dns)
    assert r.sip_resolvehost(D, 5999) == [(PROTO_UDP, "127.0.0.10", 5999)]
    assert asked(dns) == [(D, M.A)]


def test_transport_given_srv_for_that_transport(dns):
    r = make(dns)
    assert r.sip_resolvehost(D, proto=PROTO_TCP) == \
        [(PROTO_TCP, "127.0.0.11", 5080)]
    assert asked(dns) == [("_sip._tcp." + D, M.SRV), ("a." + D, M.A)]


def test_transport_given_without_srv_falls_back_to_a(dns):
    r = make(dns)
    assert r.sip_resolvehost("plain.test", proto=PROTO_TCP) == \
        [(PROTO_TCP, "127.0.0.20", 5060)]
    assert asked(dns)[0] == ("_sip._tcp.plain.test", M.SRV)


def test_naptr_then_srv_then_a(dns):
    r = make(dns)
    got = r.sip_resolvehost(D)
    # NAPTR order 10 (TCP) before 20 (UDP); UDP SRV priority 10 then 20
    assert got == [(PROTO_TCP, "127.0.0.11", 5080),
                   (PROTO_UDP, "127.0.0.11", 5070),
                   (PROTO_UDP, "127.0.0.12", 5071),
                   (PROTO_UDP, "127.0.0.13", 5071)]
    assert asked(dns)[0] == (D, M.NAPTR)


def test_naptr_limited_to_supported_transports(dns):
    r = make(dns)
    assert r.sip_resolvehost(D, supported={PROTO_UDP})[0] == \
        (PROTO_UDP, "127.0.0.11", 5070)


def test_no_naptr_srv_then_a_on_5060(dns):
    r = make(dns)
    assert r.sip_resolvehost("srvonly.test") == \
        [(PROTO_UDP, "127.0.0.11", 5090)]
    assert asked(dns)[:2] == [("srvonly.test", M.NAPTR),
                              ("_sip._udp.srvonly.test", M.SRV)]
    dns.queries.clear()
    assert r.sip_resolvehost("plain.test") == \
        [(PROTO_UDP, "127.0.0.20", 5060)]
    assert asked(dns) == [("plain.test", M.NAPTR),
                          ("_sip._udp.plain.test", M.SRV),
                          ("_sip._tcp.plain.test", M.SRV),
                          ("_sips._tcp.plain.test", M.SRV),
                          ("plain.test", M.A)]


def test_cache_answers_second_time_and_negative_cache(dns):
    r = make(dns)
    first = r.sip_resolvehost(D)
    n = len(dns.queries)
    assert r.sip_resolvehost(D) == first
    assert len(dns.queries) == n
    assert r.addresses("nothere.test") == []
    assert r.addresses("nothere.test") == []
    assert asked(dns)[n:] == [("nothere.test", M.A)]


def test_ttl_expiry_requeries(dns):
    clock = [1000.0]
    r = make(dns, clock=lambda: clock[0])
    assert r.addresses(D) == ["127.0.0.10"]
    clock[0] += 59
    assert r.addresses(D) == ["127.0.0.10"]
    assert len(dns.queries) == 1
    clock[0] += 1                       # TTL 60 passed
    assert r.addresses(D) == ["127.0.0.10"]
    assert len(dns.queries) == 2


def test_cname_followed(dns):
    r = make(dns)
    assert r.addresses("www.test") == ["127.0.0.20"]


def test_aaaa_only_with_dns_try_ipv6(dns):
    assert make(dns).addresses("v6.test") == []
    assert asked(dns) == [("v6.test", M.A)]
    assert make(dns, try_ipv6=True).addresses("v6.test") == ["::1"]


def test_hosts_file_first(dns):
    r = make(dns, hosts={"example.test": ["127.0.0.99"]})
    assert r.addresses(D) == ["127.0.0.99"]
    # a hosts-file name gets no NAPTR/SRV lookups either
    assert r.sip_resolvehost(D) == [(PROTO_UDP, "127.0.0.99", 5060)]
    assert r.sip_resolvehost(D, proto=PROTO_TCP) == \
        [(PROTO_TCP, "127.0.0.99", 5060)]
    assert dns.queries == []


def test_search_list(dns):
    r = make(dns, search=["search.test"], ndots=1)
    assert r.addresses("short") == ["127.0.0.30"]
    assert asked(dns)[0] == ("short.search.test", M.A)
    r2 = make(dns, search=["search.test"], use_search=False)
    assert r2.addresses("short") == []


def test_uri_destinations_and_next_destination(dns):
    resolve.configure(resolver=make(dns))
    old = forward.get_sockets()
    forward.set_sockets([])
    try:
        dests = resolve.uri_destinations("sip:bob@" + D + ";transport=udp")
        assert dests == [(PROTO_UDP, "127.0.0.11", 5070),
                         (PROTO_UDP, "127.0.0.12", 5071),
                         (PROTO_UDP, "127.0.0.13", 5071)]
        assert forward.uri2dest("sip:bob@" + D + ";transport=udp") == \
            dests[0]
        # maddr wins over the host; the port makes it A only
        assert resolve.uri_destinations(
            "sip:bob@nothere.test:5062;maddr=plain.test") == \
            [(PROTO_UDP, "127.0.0.20", 5062)]
        uri = "sip:bob@" + D + ";transport=udp"
        assert resolve.next_destination(uri, "", [dests[0]]) == dests[1]
        assert resolve.next_destination("sip:x@y", uri, dests[:2]) == \
            dests[2]
        assert resolve.next_destination(uri, "", dests) is None
        with pytest.raises(ValueError):
            forward.uri2dest("sip:bob@nothere.test")
        with pytest.raises(ValueError):
            resolve.uri_destinations("tel:+123")
    finally:
        forward.set_sockets(old)
        resolve.reset()


def test_disable_dns_failover(dns):
    resolve.configure(resolver=make(dns, failover=False))
    try:
        uri = "sip:bob@" + D + ";transport=udp"
        assert resolve.next_destination(uri, "", []) is None
    finally:
        resolve.reset()


def test_core_params_build_the_resolver(dns):
    conf = ResolvConf([("192.0.2.53", 53)], ["search.test"], 1, 5, 2)
    params = {"dns_server": "127.0.0.1:%d" % dns.port, "dns_retr_time": 1,
              "dns_retr_no": 3, "dns_try_ipv6": 1,
              "dns_use_search_list": 0, "disable_dns_failover": 1}
    r = resolve.configure(params, resolv_conf=conf, hosts={})
    try:
        assert r.client.servers == [dns.address]
        assert (r.client.timeout, r.client.attempts) == (1.0, 3)
        assert r.try_ipv6 and r.search == [] and not r.failover
        r = resolve.configure({"dns_servers_no": 0}, resolv_conf=conf,
                              hosts={})
        assert r.client.servers == []
        r = resolve.configure({}, resolv_conf=conf, hosts={})
        assert r.client.servers == [("192.0.2.53", 53)]
        assert r.search == ["search.test"] and r.client.timeout == 5
    finally:
        resolve.reset()


def test_dns_server_param_validation():
    from openser_py.cfg import parse_string
    from openser_py.core.coreparams import apply_core_params
    values, errors = apply_core_params(parse_string(
        'dns_server="127.0.0.1:5353, [::1]:53"\n', "p.cfg"))
    assert not errors and values["dns_server"] == "127.0.0.1:5353, [::1]:53"
    assert resolve.parse_dns_servers(values["dns_server"]) == \
        [("127.0.0.1", 5353), ("::1", 53)]
    _, errors = apply_core_params(parse_string('dns_server="ns.example"\n',
                                               "p.cfg"))
    assert errors and "dns_server" in errors[0].message


def test_fixup_dest_uses_rfc3263(dns):
    from openser_py.core.actions import fixup_dest
    resolve.configure(resolver=make(dns))
    try:
        assert fixup_dest("srvonly.test", 1) == (PROTO_UDP, "127.0.0.11",
                                                 5090)
        assert fixup_dest("udp:" + D + ":5099", 1) == \
            (PROTO_UDP, "127.0.0.10", 5099)
    finally:
        resolve.reset()


def test_server_failure_cached_briefly():
    clock = [0.0]
    with FakeDns(silent=True) as quiet:
        r = resolve.Resolver([quiet.address], timeout=0.2, attempts=1,
                             hosts={}, clock=lambda: clock[0])
        assert r.addresses("host.test") == []
        assert r.addresses("host.test") == []
        assert quiet.ignored == 1           # the failure was cached
        clock[0] += resolve.SERVFAIL_TTL
        assert r.addresses("host.test") == []
        assert quiet.ignored == 2


def test_forked_worker_reseeds_srv_draws(dns, monkeypatch):
    import os
    r = resolve.Resolver([dns.address], timeout=1, attempts=1, hosts={})
    state = r.rng.getstate()
    r.sip_resolvehost(D, proto=PROTO_UDP)
    same_pid = r.rng.getstate()
    assert r._rng_pid == os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: -1)   # as in a forked child
    r.rng.setstate(state)
    r.sip_resolvehost(D, proto=PROTO_UDP)
    assert r._rng_pid == -1 and r.rng.getstate() != same_pid
