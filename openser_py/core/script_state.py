"""Per-process script state shared by the routing engine and the PVs.

OpenSER keeps these as C globals of each worker process; here they live in
one :class:`ScriptState` object per process, :data:`state`:

* ``retcode`` -- ``$rc``/``$retcode``, the value of the last action;
* ``route_type`` / ``route_name`` -- what is running (``REQUEST_ROUTE``...
  from :mod:`openser_py.core.exports`), for ``next_branches`` and friends;
* ``sflags`` -- the script flags (``setsflag``), cleared by the engine at
  the start of every top-level route run (:meth:`ScriptState.start_route`);
* ``err`` -- :class:`ErrInfo` for ``$err.*`` and ``error_route``;
* ``ser_error`` -- the internal error (E_*) the last failing core/module
  operation left for ``sl_reply_error()`` (OpenSER's ``ser_error``);
  cleared at the start of a route run and when read;
* ``vars`` -- ``$var(name)`` values: per process, *not* reset between
  messages (1.3 semantics); a variable never set reads as int 0;
* ``clock`` -- a function returning the UNIX time (``time.time``); tests
  replace it.  :meth:`ScriptState.msg_time` caches the time per message as
  ``$Ts``/``$Tf`` do.
"""
import time

__all__ = ["ErrInfo", "ScriptState", "state", "get_state",
           "OSER_EC_PARSER", "OSER_EC_PMEMORY", "OSER_EC_SMEMORY"]

# error classes (errinfo.h)
OSER_EC_PARSER = 1
OSER_EC_PMEMORY = 2
OSER_EC_SMEMORY = 3


class ErrInfo:
    """``err_info_t``: the last core error, read by ``$err.*``."""

    __slots__ = ("eclass", "level", "info", "rcode", "rreason")

    def __init__(self):
        self.reset()

    def reset(self):
        """Clear (``init_err_info``)."""
        self.eclass = 0
        self.level = 0
        self.info = None
        self.rcode = 0
        self.rreason = None

    def set_info(self, eclass, level, info):
        """Record an error (``set_err_info``)."""
        self.eclass = eclass
        self.level = level
        self.info = info

    def set_reply(self, rcode, rreason):
        """Record the reply to send for it (``set_err_reply``)."""
        self.rcode = rcode
        self.rreason = rreason

    def __repr__(self):
        return "<ErrInfo class=%d level=%d info=%r rcode=%d rreason=%r>" % (
            self.eclass, self.level, self.info, self.rcode, self.rreason)


class ScriptState:
    """The mutable script state of one process (see the module docstring)."""

    __slots__ = ("retcode", "route_type", "route_name", "sflags", "err",
                 "vars", "clock", "_tm_msg", "_tm", "ser_error")

    def __init__(self, clock=None):
        self.retcode = 0
        self.route_type = 1
        self.route_name = None
        self.sflags = 0
        self.err = ErrInfo()
        self.vars = {}
        self.clock = clock or time.time
        self._tm_msg = None
        self._tm = 0
        self.ser_error = 0

    def start_route(self, route_type, route_name=None):
        """Called by the engine before a top-level route run."""
        self.route_type = route_type
        self.route_name = route_name
        self.sflags = 0
        self.ser_error = 0

    def now(self):
        """Current UNIX time (int) from :attr:`clock`."""
        return int(self.clock())

    def msg_time(self, msg):
        """The time of *msg*: read once per message, then cached."""
        if self._tm_msg is not msg or not self._tm:
            self._tm = int(self.clock())
            self._tm_msg = msg
        return self._tm

    def get_var(self, name):
        """Value of ``$var(name)`` (int 0 when never set)."""
        return self.vars.get(name, 0)

    def set_var(self, name, value):
        """Set ``$var(name)`` (None sets int 0, as 1.3)."""
        self.vars[name] = 0 if value is None else value

    def reset_vars(self):
        """Set every ``$var`` back to 0 (``reset_vars``)."""
        self.vars.clear()

    def reset(self):
        """Back to start-up values (tests)."""
        clock = self.clock
        self.__init__(clock)


#: the state of this process
state = ScriptState()


def get_state():
    """The process's :class:`ScriptState`."""
    return state
