"""RFC 3263 / RFC 2782 / RFC 3403 selection rules (pure functions).

* :func:`naptr_order` -- RFC 3263 §4.1: keep the NAPTR records whose flag
  is ``s`` and whose service is one we can use (``SIP+D2U``, ``SIP+D2T``,
  ``SIPS+D2T``; only ``SIPS+D2T`` for a sips URI), ordered by ``order``
  then ``preference`` (RFC 3403 §4.1: lower first).
* :func:`srv_order` -- RFC 2782 "Usage rules": lowest priority first;
  inside one priority a weighted random draw: the records (weight 0 ones
  first) get running sums of their weights, a number is drawn uniformly in
  ``[0, total]`` and the first record whose running sum reaches it is
  taken; repeat without it.  A single record with target ``.`` means the
  service is decidedly not available (empty result).

The random source is passed in (``rng.randint``), so the distribution is
testable with a seeded ``random.Random``.
"""
from openser_py.core.ip_addr import PROTO_TCP, PROTO_TLS, PROTO_UDP

__all__ = ["NAPTR_SERVICES", "SRV_PREFIX", "naptr_order", "srv_order",
           "default_port"]

#: NAPTR service field -> transport (RFC 3263 §4.1)
NAPTR_SERVICES = {"SIP+D2U": PROTO_UDP, "SIP+D2T": PROTO_TCP,
                  "SIPS+D2T": PROTO_TLS}
#: transport -> SRV owner prefix (RFC 3263 §4.1 last paragraph)
SRV_PREFIX = {PROTO_UDP: "_sip._udp.", PROTO_TCP: "_sip._tcp.",
              PROTO_TLS: "_sips._tcp."}


def default_port(proto):
    """5061 for TLS, 5060 otherwise (RFC 3261 §19.1.2)."""
    return 5061 if proto == PROTO_TLS else 5060


def naptr_order(records, sips=False, supported=None):
    """Usable NAPTR records ordered; list of ``(proto, replacement)``."""
    usable = []
    for i, rec in enumerate(records):
        if rec.flags.lower() != "s" or not rec.replacement:
            continue
        proto = NAPTR_SERVICES.get(rec.services.upper())
        if proto is None or (sips and proto != PROTO_TLS):
            continue
        if supported is not None and proto not in supported:
            continue
        usable.append((rec.order, rec.preference, i, proto,
                       rec.replacement.rstrip(".")))
    usable.sort()
    return [(proto, repl) for _, _, _, proto, repl in usable]


def srv_order(records, rng):
    """*records* (``Srv``) in RFC 2782 selection order."""
    if len(records) == 1 and records[0].target.rstrip(".") == "":
        return []
    out = []
    for prio in sorted(set(r.priority for r in records)):
        group = [r for r in records if r.priority == prio
                 and r.target.rstrip(".")]
        # weight-0 records first (RFC 2782), stable otherwise
        group.sort(key=lambda r: r.weight != 0)
        while group:
            total = sum(r.weight for r in group)
            pick = rng.randint(0, total) if total else 0
            running = 0
            for idx, r in enumerate(group):
                running += r.weight
                if running >= pick:
                    break
            out.append(group.pop(idx))
    return out
