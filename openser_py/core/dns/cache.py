"""Per-process DNS cache: TTL-honouring, bounded, with negative entries.

Theory of operation
-------------------
Entries are keyed by ``(lower-case name, qtype)`` and hold either the
RRset data of a positive answer or a *negative* marker (NXDOMAIN or
NODATA, RFC 2308).  An entry expires ``ttl`` seconds after it was stored:
the smallest TTL of the RRset for positive answers (RFC 2181 §5.2), for
negative ones ``min(SOA TTL, SOA MINIMUM)`` of the authority section (RFC
2308 §5) or :data:`DEFAULT_NEG_TTL` without an SOA, capped by
:data:`MAX_NEG_TTL`.  Positive TTLs are capped by :data:`MAX_TTL`.

Time is always passed in (``now``, seconds, monotonic in production), so
expiry is testable without sleeping.  The cache is an ``OrderedDict`` used
as an LRU: a hit moves the entry to the end; a store beyond ``max_entries``
first drops expired entries from the front and then the least recently
used ones.  Each worker process has its own cache (no shm, no locks): a
name is resolved at most once per process per TTL.
"""
from collections import OrderedDict, namedtuple

__all__ = ["DnsCache", "CacheEntry", "DEFAULT_NEG_TTL", "MAX_NEG_TTL",
           "MAX_TTL"]

DEFAULT_NEG_TTL = 60        # negative answer without SOA
MAX_NEG_TTL = 3600          # RFC 2308 §5 suggests 1-3 hours at most
MAX_TTL = 86400

#: ``records`` is a tuple of RDATA values ((), for a negative entry);
#: ``negative`` is None or "NXDOMAIN"/"NODATA"; ``expires`` absolute time
CacheEntry = namedtuple("CacheEntry", "records negative expires")


class DnsCache:
    """Bounded LRU of DNS answers (module docstring)."""

    def __init__(self, max_entries=1024):
        self.max_entries = max(1, int(max_entries))
        self._d = OrderedDict()
        self.hits = self.misses = 0

    def __len__(self):
        return len(self._d)

    @staticmethod
    def _key(name, qtype):
        return (name.rstrip(".").lower(), qtype)

    def get(self, name, qtype, now):
        """The live :class:`CacheEntry` for *name*/*qtype*, else None."""
        key = self._key(name, qtype)
        entry = self._d.get(key)
        if entry is None or entry.expires <= now:
            if entry is not None:
                del self._d[key]
            self.misses += 1
            return None
        self._d.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, name, qtype, records, ttl, now):
        """Cache a positive answer for ``min(ttl, MAX_TTL)`` seconds."""
        ttl = min(max(int(ttl), 0), MAX_TTL)
        if ttl <= 0:
            return None     # TTL 0: use once, never cache (RFC 1035 §3.2.1)
        return self._store(name, qtype,
                           CacheEntry(tuple(records), None, now + ttl), now)

    def put_negative(self, name, qtype, kind, ttl, now):
        """Cache NXDOMAIN/NODATA for *ttl* (None: the default) seconds."""
        ttl = DEFAULT_NEG_TTL if ttl is None else int(ttl)
        ttl = min(max(ttl, 0), MAX_NEG_TTL)
        if ttl <= 0:
            return None
        return self._store(name, qtype, CacheEntry((), kind, now + ttl),
                           now)

    def _store(self, name, qtype, entry, now):
        key = self._key(name, qtype)
        self._d[key] = entry
        self._d.move_to_end(key)
        if len(self._d) > self.max_entries:
            self.purge(now)
            while len(self._d) > self.max_entries:
                self._d.popitem(last=False)         # least recently used
        return entry

    def purge(self, now):
        """Drop every expired entry; the number dropped."""
        dead = [k for k, e in self._d.items() if e.expires <= now]
        for k in dead:
            del self._d[k]
        return len(dead)

    def clear(self):
        self._d.clear()
