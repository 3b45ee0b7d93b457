"""The domain list shared by all processes (OpenSER ``domain/hash.c``).

The list is a :class:`openser_py.mem.shvalue.SharedValue` (its theory of
operation is there): ``domain_reload`` publishes a new generation, and
every process rebuilds its private lower-cased ``frozenset`` at its next
lookup after a reload -- lookups are lock-free otherwise.
"""
from openser_py.mem.shvalue import SharedValue


def _view(names):
    names = tuple(names)
    return names, frozenset(n.lower() for n in names)


class DomainCache(SharedValue):
    """Shared domain list; create in ``mod_init`` (before fork)."""

    def __init__(self):
        super().__init__(_view, "the domain cache")

    def replace(self, domains):
        """Publish *domains* (iterable of str); False when shm is short."""
        return self.publish([d for d in domains if d])

    def contains(self, domain):
        """Case-insensitive membership (after catching up with reloads)."""
        view = self.get()
        return view is not None and domain.lower() in view[1]

    def domains(self):
        """The domains as written in the table (current generation)."""
        view = self.get()
        return view[0] if view is not None else ()
