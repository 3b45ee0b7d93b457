"""Timers and the timer process (OpenSER ``timer.c``).

Modules register periodic functions before fork (in ``mod_init``):

* ``register_timer(f, param, interval_s)`` -- called as ``f(ticks, param)``
  every *interval_s* seconds;
* ``register_utimer(f, param, interval_ms)`` -- the same with millisecond
  resolution (tm's retransmissions use it).

The timer process runs them all.  ``get_ticks()`` is whole seconds since the
server started; every process computes it from the same start time, taken in
the master before fork, so they agree without shared writes.

Theory of operation: each timer keeps its next due time (monotonic clock).
The loop sleeps until the earliest one, runs every due timer, and schedules
it again from its *previous* due time (no drift); a timer that fell behind by
more than one period is rescheduled from now (no bursts after a stall).  An
exception in a timer function is logged and the timer keeps running.
"""
import time

from openser_py.core.dprint import LM_ERR

_start = time.monotonic()
_timers = []


class Timer:
    """One registered periodic function."""
    __slots__ = ("name", "func", "param", "interval", "due")

    def __init__(self, name, func, param, interval):
        self.name = name
        self.func = func
        self.param = param
        self.interval = interval
        self.due = 0.0


def reset_start():
    """Set tick 0 to now (master, at start-up)."""
    global _start
    _start = time.monotonic()


def get_ticks():
    """Whole seconds since start-up."""
    return int(time.monotonic() - _start)


def register_timer(func, param, interval_s, name=None):
    """Run ``func(ticks, param)`` every *interval_s* seconds (before fork)."""
    if interval_s <= 0:
        raise ValueError("timer interval must be positive")
    t = Timer(name or getattr(func, "__name__", "timer"), func, param,
              float(interval_s))
    _timers.append(t)
    return t


def register_utimer(func, param, interval_ms, name=None):
    """Run ``func(ticks, param)`` every *interval_ms* milliseconds."""
    if interval_ms <= 0:
        raise ValueError("utimer interval must be positive")
    t = Timer(name or getattr(func, "__name__", "utimer"), func, param,
              interval_ms / 1000.0)
    _timers.append(t)
    return t


def timers():
    """The registered timers."""
    return list(_timers)


def clear():
    """Forget every timer (tests)."""
    del _timers[:]


def run_due(now=None):
    """Run every timer that is due at *now*; return the next due time."""
    now = time.monotonic() if now is None else now
    ticks = int(now - _start)
    nxt = None
    for t in _timers:
        if t.due <= now:
            try:
                t.func(ticks, t.param)
            except Exception as exc:  # noqa: BLE001 - timers must go on
                LM_ERR("timer %s failed: %s: %s", t.name,
                       type(exc).__name__, exc)
            t.due += t.interval
            if t.due <= now:
                t.due = now + t.interval
        if nxt is None or t.due < nxt:
            nxt = t.due
    return nxt


def timer_loop(stop=None, heartbeat=None, max_sleep=0.5):
    """The timer process's loop; returns when ``stop()`` is true."""
    now = time.monotonic()
    for t in _timers:
        t.due = now + t.interval
    while stop is None or not stop():
        nxt = run_due()
        if heartbeat is not None:
            heartbeat()
        delay = max_sleep if nxt is None else min(max_sleep,
                                                  nxt - time.monotonic())
        if delay > 0:
            time.sleep(delay)
