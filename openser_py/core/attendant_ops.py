"""The attendant's systemd notifications and reload handling.

A mixin of :class:`openser_py.core.arbiter.Server` (kept apart so that
``arbiter.py`` stays readable):

* :meth:`_reload_init` -- the reload control block in shm, with the
  process-table indexes of the processes that run routes (UDP and TCP
  receivers, the timer; the single process with ``fork=no``);
* :meth:`_notify_ready` -- ``READY=1``/``MAINPID=``/``STATUS=`` once every
  forked child has taken its process-table row (bounded wait), and the
  watchdog interval from ``$WATCHDOG_USEC``;
* :meth:`_tick` -- called once per attendant loop: ``WATCHDOG=1`` when
  due, and the end of a reload (every participant reported, or
  ``reload.ACK_WAIT`` passed): a log line and ``READY=1`` + ``STATUS=``;
* :meth:`handle_sighup` -- ``RELOADING=1``, then the validated reload
  (:func:`openser_py.core.reload.master_reload`).
"""
import os
import time

from openser_py.core import pt, reload, sd_notify
from openser_py.core.dprint import LM_ERR, LM_NOTICE, LM_WARN


class AttendantOps:
    """systemd + reload methods of the attendant (mixin of ``Server``).

    Uses the server's ``fork``, ``script``, ``_queue`` and sets
    ``_watchdog``, ``_next_ping``, ``_reload_wait``.
    """

    _watchdog = None         # seconds between WATCHDOG=1, or None
    _next_ping = 0.0
    _reload_wait = None      # (generation, deadline) while workers switch

    def _reload_init(self, specs):
        """The reload control block; participants run routes."""
        from openser_py.core import udp_server
        if not self.fork:
            parts = [0]
        else:
            routing = (udp_server.udp_rcv_loop, self._timer_main,
                       self._tcp_worker)
            parts = [idx for idx, spec in enumerate(specs, 1)
                     if spec.target in routing]
        if reload.init(len(specs) + 1, parts) < 0:
            LM_WARN("no shared memory for the reload control block: "
                    "reload disabled")

    def _notify_ready(self, n_procs, timeout=10.0):
        """READY=1 once every child took its process-table row."""
        if not sd_notify.enabled():
            return
        deadline = time.monotonic() + timeout
        while self.fork and len(pt.rows()) < n_procs and \
                time.monotonic() < deadline and not self._queue:
            time.sleep(0.01)
        sd_notify.notify("READY=1", "MAINPID=%d" % os.getpid(),
                         "STATUS=serving: %d processes" % len(pt.rows()))
        self._watchdog = sd_notify.watchdog_interval()
        if self._watchdog is not None:
            self._next_ping = time.monotonic()
            self._tick()

    def _tick(self):
        """Once per attendant loop: watchdog ping, reload completion."""
        now = time.monotonic()
        if self._watchdog is not None and now >= self._next_ping:
            sd_notify.notify("WATCHDOG=1")
            self._next_ping = now + self._watchdog
        if self._reload_wait is not None:
            gen, deadline = self._reload_wait
            left = reload.pending(gen)
            if left and now < deadline:
                return
            self._reload_wait = None
            bad = [r for r in reload.rows(gen) if r[3] != "ok"]
            if bad:
                LM_ERR("reload: generation %d not loaded by %d process(es)",
                       gen, len(bad))
            else:
                LM_NOTICE("reload: every worker runs generation %d", gen)
            sd_notify.notify("READY=1", "STATUS=serving: routing script "
                             "generation %d%s" % (gen, " (%d process(es) "
                                                  "failed)" % len(bad)
                                                  if bad else ""))

    def handle_sighup(self, signum):
        """Validated reload (see :mod:`openser_py.core.reload`)."""
        sd_notify.reloading()
        gen = reload.master_reload(self.script)
        if gen is None:
            sd_notify.notify("READY=1", "STATUS=serving; reload refused "
                             "(configuration errors, see the log)")
            return
        self._reload_wait = (gen, time.monotonic() + reload.ACK_WAIT)
