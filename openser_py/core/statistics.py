"""Statistics (OpenSER ``statistics.c``): named counters grouped by module.

``register_stat(group, name, flags, func)`` returns a :class:`StatVar`.
Until :func:`init_stats_collector` runs (the master does it right after
creating shm, before forking) counters are plain per-process integers; after
it every counter is a row set in the shm counter table
(:class:`openser_py.mem.counters.CounterTable`): each process increments its
own row without a lock and readers sum the rows, so ``get_statistics`` in
the MI process sees every worker's counts.  Function-backed statistics
(``STAT_IS_FUNC``) are computed on read and never reset.

Names are case-insensitive on lookup, as in OpenSER.
"""
from openser_py.core.exports import STAT_IS_FUNC, STAT_NO_RESET


class StatVar:
    """One statistic: ``inc``/``dec``/``get``/``reset``."""

    __slots__ = ("group", "name", "flags", "func", "_local", "_table", "_h")

    def __init__(self, group, name, flags=0, func=None):
        self.group = group
        self.name = name
        self.flags = flags | (STAT_IS_FUNC if func else 0)
        self.func = func
        self._local = 0
        self._table = None
        self._h = None

    def inc(self, n=1):
        """Add *n* (this process's row only)."""
        if self._table is not None:
            self._table.inc(self._h, n)
        else:
            self._local += n

    def dec(self, n=1):
        """Subtract *n*."""
        self.inc(-n)

    def get(self):
        """Current value (summed over every process)."""
        if self.func is not None:
            return int(self.func())
        if self._table is not None:
            return self._table.get(self._h)
        return self._local

    def reset(self):
        """Back to 0 unless the statistic is ``no_reset`` or a function."""
        if self.flags & (STAT_NO_RESET | STAT_IS_FUNC):
            return False
        if self._table is not None:
            self._table.reset(self._h)
        else:
            self._local = 0
        return True

    def _attach(self, table):
        if self.func is None:
            self._h = table.register("%s:%s" % (self.group, self.name))
            table.inc(self._h, self._local)
            self._table = table

    def __repr__(self):
        return "<stat %s:%s = %d>" % (self.group, self.name, self.get())


_groups = {}      # group -> {lower name -> StatVar}
# bumped by reset_registry (see generation()); per-reply code (tm's
# t_stats.inc) compares it directly: no call
_generation = 0
_order = []       # registration order of (group, StatVar)
_table = None


def register_stat(group, name, flags=0, func=None):
    """Register (or return the existing) statistic *group*:*name*."""
    stats = _groups.setdefault(group, {})
    var = stats.get(name.lower())
    if var is None:
        var = StatVar(group, name, flags, func)
        stats[name.lower()] = var
        _order.append(var)
        if _table is not None:
            var._attach(_table)
    return var


def register_module_stats(module_name, stat_exports):
    """Register a module's ``exports.stats``; return ``{name: StatVar}``."""
    return {s.name: register_stat(module_name, s.name, s.flags, s.func)
            for s in stat_exports}


def init_stats_collector(n_procs, max_counters=1024):
    """Move every counter into shm (master, after shm init, before fork)."""
    global _table
    from openser_py.mem.counters import CounterTable
    _table = CounterTable(n_procs, max_counters)
    for var in _order:
        var._attach(_table)
    return _table


def get_stat(name, group=None):
    """A statistic by name (``group:name`` or plain name), or None."""
    if group is None and ":" in name:
        group, name = name.split(":", 1)
    low = name.lower()
    if group is not None:
        return _groups.get(group, {}).get(low)
    for stats in _groups.values():
        if low in stats:
            return stats[low]
    return None


def groups():
    """Group names in registration order."""
    seen = []
    for var in _order:
        if var.group not in seen:
            seen.append(var.group)
    return seen


def group_stats(group):
    """The statistics of *group* in registration order."""
    return [v for v in _order if v.group == group]


def all_stats():
    """Every statistic in registration order."""
    return list(_order)


def generation():
    """A number that changes whenever the registry is reset: callers that
    cache StatVar objects compare it to know their cache is still good."""
    return _generation


def reset_registry():
    """Forget everything (tests)."""
    global _table, _generation
    _generation += 1
    _groups.clear()
    del _order[:]
    _table = None
