"""RFC 2782 SRV selection, RFC 3263 NAPTR ordering, the DNS cache (pure)."""
import random
from collections import Counter

from openser_py.core.dns.cache import (DEFAULT_NEG_TTL, MAX_NEG_TTL,
                                       DnsCache)
from openser_py.core.dns.message import Naptr, Srv
from openser_py.core.dns.rfc3263 import naptr_order, srv_order
from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS, PROTO_UDP

# --- SRV ---------------------------------------------------------------------


def test_srv_weight_distribution_seeded():
    recs = [Srv(10, 60, 5060, "a.t"), Srv(10, 30, 5060, "b.t"),
            Srv(10, 10, 5060, "c.t"), Srv(20, 0, 5060, "backup.t")]
    rng = random.Random(3263)
    first, second = Counter(), Counter()
    n = 20000
    for _ in range(n):
        order = srv_order(recs, rng)
        assert len(order) == 4 and order[-1].target == "backup.t"
        first[order[0].target] += 1
        second[order[1].target] += 1
    for target, share in (("a.t", 0.6), ("b.t", 0.3), ("c.t", 0.1)):
        assert abs(first[target] / n - share) < 0.02, (target, first)
    # second place after a: b 30/40, c 10/40; after b: a 60/70 ...
    expected_b_second = 0.6 * 30 / 40 + 0.1 * 30 / 90
    assert abs(second["b.t"] / n - expected_b_second) < 0.02


def test_srv_priority_strictly_first():
    recs = [Srv(30, 100, 1, "c.t"), Srv(10, 1, 2, "a.t"),
            Srv(20, 50, 3, "b.t")]
    rng = random.Random(1)
    for _ in range(50):
        assert [r.target for r in srv_order(recs, rng)] == \
            ["a.t", "b.t", "c.t"]


def test_srv_zero_weight_rarely_first():
    recs = [Srv(10, 0, 1, "zero.t"), Srv(10, 100, 2, "heavy.t")]
    rng = random.Random(7)
    n = 20000
    zero_first = sum(srv_order(recs, rng)[0].target == "zero.t"
                     for _ in range(n))
    # RFC 2782: zero-weight first in the list -> chosen when the draw is 0
    assert 0 < zero_first / n < 0.03
    all_zero = [Srv(10, 0, 1, "x.t"), Srv(10, 0, 2, "y.t")]
    assert [r.target for r in srv_order(all_zero, rng)] == ["x.t", "y.t"]


def test_srv_dot_target_means_no_service():
    assert srv_order([Srv(0, 0, 0, ".")], random.Random(1)) == []
    assert srv_order([Srv(0, 0, 0, "")], random.Random(1)) == []
    got = srv_order([Srv(0, 0, 0, "."), Srv(1, 0, 5060, "a.t")],
                    random.Random(1))
    assert [r.target for r in got] == ["a.t"]


# --- NAPTR -------------------------------------------------------------------
NAPTRS = [
    Naptr(20, 10, "s", "SIP+D2U", "", "_sip._udp.t"),
    Naptr(10, 50, "s", "SIP+D2T", "", "_sip._tcp.t"),
    Naptr(10, 20, "S", "SIPS+D2T", "", "_sips._tcp.t"),
    Naptr(5, 1, "u", "E2U+sip", "!^.*$!sip:x@t!", ""),       # not SIP/s
    Naptr(1, 1, "s", "SIP+D2S", "", "_sip._sctp.t"),          # SCTP unused
    Naptr(10, 20, "s", "http+D2T", "", "_http._tcp.t"),
]


def test_naptr_order_and_filter():
    assert naptr_order(NAPTRS) == [(PROTO_TLS, "_sips._tcp.t"),
                                   (PROTO_TCP, "_sip._tcp.t"),
                                   (PROTO_UDP, "_sip._udp.t")]


def test_naptr_sips_only_tls():
    assert naptr_order(NAPTRS, sips=True) == [(PROTO_TLS, "_sips._tcp.t")]


def test_naptr_only_supported_transports():
    assert naptr_order(NAPTRS, supported={PROTO_UDP}) == \
        [(PROTO_UDP, "_sip._udp.t")]
    assert naptr_order(NAPTRS, supported={PROTO_UDP, PROTO_TCP}) == \
        [(PROTO_TCP, "_sip._tcp.t"), (PROTO_UDP, "_sip._udp.t")]


# --- cache -------------------------------------------------------------------


def test_cache_ttl_expiry_with_time_passed_in():
    c = DnsCache()
    c.put("Host.Example.Test.", 1, ["192.0.2.1"], 30, now=100.0)
    assert c.get("host.example.test", 1, 129.9).records == ("192.0.2.1",)
    assert c.get("host.example.test", 1, 130.0) is None
    assert len(c) == 0                      # the expired entry is dropped
    assert c.get("host.example.test", 28, 100.0) is None   # other type


def test_cache_ttl_zero_not_cached_and_ttl_capped():
    c = DnsCache()
    assert c.put("a.t", 1, ["1.1.1.1"], 0, now=0) is None
    assert c.get("a.t", 1, 0) is None
    c.put("b.t", 1, ["1.1.1.2"], 10 ** 9, now=0)
    assert c.get("b.t", 1, 86399) is not None
    assert c.get("b.t", 1, 86400) is None


def test_negative_cache():
    c = DnsCache()
    c.put_negative("nx.t", 1, "NXDOMAIN", 30, now=0)
    e = c.get("nx.t", 1, 29)
    assert e.negative == "NXDOMAIN" and e.records == ()
    assert c.get("nx.t", 1, 30) is None
    c.put_negative("nosoa.t", 1, "NODATA", None, now=0)
    assert c.get("nosoa.t", 1, DEFAULT_NEG_TTL - 1) is not None
    assert c.get("nosoa.t", 1, DEFAULT_NEG_TTL) is None
    c.put_negative("long.t", 1, "NXDOMAIN", 10 ** 6, now=0)
    assert c.get("long.t", 1, MAX_NEG_TTL) is None


def test_cache_is_bounded_lru():
    c = DnsCache(max_entries=3)
    for i in range(3):
        c.put("n%d.t" % i, 1, [str(i)], 100, now=0)
    assert c.get("n0.t", 1, 1) is not None       # n0 now most recent
    c.put("n3.t", 1, ["3"], 100, now=1)
    assert len(c) == 3
    assert c.get("n1.t", 1, 2) is None           # least recently used went
    assert c.get("n0.t", 1, 2) and c.get("n3.t", 1, 2)


def test_cache_evicts_expired_before_live():
    c = DnsCache(max_entries=2)
    c.put("old.t", 1, ["1"], 5, now=0)
    c.put("live.t", 1, ["2"], 100, now=0)
    c.get("old.t", 1, 1)                         # old is MRU but expires
    c.put("new.t", 1, ["3"], 100, now=10)
    assert c.get("live.t", 1, 10) is not None
    assert c.get("new.t", 1, 10) is not None
    assert len(c) == 2
