"""Per-process statistic counters in shm (the idea of Kamailio's ``counters.c``).

Theory of operation
-------------------
A :class:`CounterTable` is one shm block, allocated in the master before
fork, holding ``rows = n_procs + 1`` rows of signed 64-bit cells for each of
up to ``max_counters`` counters::

    slots[rows]  u32   pid owning each row (0 = free); row 0 = the creator
    bases[max]   i64   per-counter reset base
    cells[max][rows]  i64   counter h's rows are contiguous

A process only ever writes *its own* row, so :meth:`inc` needs no lock: it
is one ``memoryview`` read-add-write of an aligned 8-byte cell.  Readers sum
the counter's rows (:meth:`get`); a value read while another process is
incrementing is at most that increment behind.  :meth:`reset` does not
touch other processes' rows (that would lose their concurrent increments):
it stores the current sum as the counter's base, and :meth:`get` subtracts
the base.

Rows are claimed automatically: a forked child's first :meth:`inc` takes a
free row under the table's lock (an ``os.register_at_fork`` hook arms this).
If every row is taken the child shares the last row, updated under the lock.
Rows are never given back, because the counts of a process that exited
still belong to the totals.

Counters are registered by name in the master before fork, so every process
has the same name -> handle map; :meth:`register` refuses after a fork.
"""

import os
import weakref

from openser_py.mem import shm
from openser_py.mem.locking import Lock

_TABLES = weakref.WeakSet()


def _after_fork_child():
    for table in list(_TABLES):
        table._forked_child()


def _after_fork_parent():
    for table in list(_TABLES):
        table._frozen = True


os.register_at_fork(after_in_child=_after_fork_child,
                    after_in_parent=_after_fork_parent)


class CounterTable:
    """A table of per-process counters in shm.

    Args:
        n_procs: number of processes expected to write (rows; one more
            overflow row is added).
        max_counters: capacity in counters.
        allocator: the shm allocator (default: the process-wide one).

    Raises:
        MemoryError: not enough shm (at startup this aborts the server).
    """

    def __init__(self, n_procs, max_counters=256, allocator=None):
        a = allocator or shm.get_allocator()
        if a is None:
            raise RuntimeError("shm is not initialised")
        rows = n_procs + 1
        slots_size = (4 * rows + 7) & ~7
        size = slots_size + 8 * max_counters + 8 * max_counters * rows
        off = a.malloc(size, 2)
        if not off:
            raise MemoryError("not enough shm for %d counters x %d processes"
                              % (max_counters, rows))
        a.view[off:off + size] = bytes(size)
        self._alloc, self._off = a, off
        self._rows, self._max = rows, max_counters
        self._slots = a.view[off:off + 4 * rows].cast("I")
        base = off + slots_size
        self._bases = a.view[base:base + 8 * max_counters].cast("q")
        base += 8 * max_counters
        self._cells = a.view[base:base + 8 * max_counters * rows].cast("q")
        self._names = {}
        self._lock = Lock()
        self._frozen = False
        self._row = 0
        self._slots[0] = os.getpid()
        _TABLES.add(self)

    # -------------------------------------------------------- registration
    def register(self, name):
        """Register counter ``name``; return its handle (an int).

        Registering an existing name returns the same handle.  Must be
        called before fork.
        """
        h = self._names.get(name)
        if h is not None:
            return h
        if self._frozen:
            raise RuntimeError("counter %r registered after fork" % name)
        if len(self._names) >= self._max:
            raise ValueError("counter table full (%d)" % self._max)
        h = self._names[name] = len(self._names)
        return h

    def handle(self, name):
        """Return the handle of a registered counter (KeyError if unknown)."""
        return self._names[name]

    def names(self):
        """Registered counter names, in registration order."""
        return list(self._names)

    # ------------------------------------------------------------- updates
    def inc(self, h, n=1):
        """Add ``n`` to counter ``h`` in this process's row (no lock)."""
        self._cells[h * self._rows + self._row] += n

    def dec(self, h, n=1):
        """Subtract ``n`` from counter ``h``."""
        self.inc(h, -n)

    def _inc_locked(self, h, n=1):
        with self._lock:
            self._cells[h * self._rows + self._row] += n

    def _inc_first(self, h, n=1):
        self._claim_row()
        self.inc(h, n)

    def _forked_child(self):
        self._frozen = True
        self.inc = self._inc_first

    def _claim_row(self):
        """Take a free row for this process (or share the overflow row)."""
        pid = os.getpid()
        with self._lock:
            for row in range(self._rows - 1):
                if self._slots[row] in (0, pid):
                    self._slots[row] = pid
                    break
            else:
                row = -1
        if row < 0:
            self._row = self._rows - 1
            self.inc = self._inc_locked
        else:
            self._row = row
            del self.inc              # back to the lock-free class method

    # --------------------------------------------------------------- reads
    def get(self, h):
        """Current value of counter ``h``: the sum of all rows minus its base."""
        b = h * self._rows
        return sum(self._cells[b:b + self._rows]) - self._bases[h]

    def reset(self, h):
        """Reset counter ``h`` to 0 without writing other processes' rows."""
        b = h * self._rows
        self._bases[h] = sum(self._cells[b:b + self._rows])

    def get_all(self):
        """Return ``{name: value}`` for every registered counter."""
        return {name: self.get(h) for name, h in self._names.items()}

    def destroy(self):
        """Free the table's shm (master, at shutdown or in tests)."""
        if self._off:
            _TABLES.discard(self)
            for v in (self._slots, self._bases, self._cells):
                v.release()
            self._alloc.free(self._off)
            self._off = 0
