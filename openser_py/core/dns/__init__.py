"""A small stdlib DNS stub resolver for SIP forwarding (no dependency).

* :mod:`.message` -- RFC 1035 message encoding/decoding (pure functions,
  name compression), the record types SIP needs: A, AAAA, CNAME, SRV
  (RFC 2782), NAPTR (RFC 3403), SOA (negative caching, RFC 2308), PTR.
* :mod:`.client` -- ``/etc/resolv.conf`` and ``/etc/hosts``, queries over
  UDP with retries and TCP fallback on truncation (RFC 1035 §4.2).
* :mod:`.cache` -- per-process, bounded, TTL-honouring cache with
  negative entries.
* :mod:`.rfc3263` -- NAPTR filtering/ordering and RFC 2782 SRV
  priority/weight ordering (pure, RNG passed in).
* :mod:`.failover` -- tm's DNS failover (next address of the name).

The public entry points are in :mod:`openser_py.core.resolve`.  See
doc/dev/dns.md.
"""
