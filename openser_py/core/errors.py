"""OpenSER's error codes (``error.h``) and the core exception hierarchy.

Script functions return OpenSER ints (>0 true, <0 false, 0 stop); inside the
engine errors are exceptions.  :func:`err2reason_phrase` turns an internal
error into the reply OpenSER sends for it (reference §17.3), e.g.
``476 Unresolvable destination (476/SL)``.
"""

E_UNSPEC = -1
E_OUT_OF_MEM = -2
E_BAD_RE = -3
E_BUG = -5
E_CFG = -6
E_NO_SOCKET = -7
E_BAD_VIA = -8
E_BAD_TUPEL = -9
E_SCRIPT = -10
E_EXEC = -11
E_TOO_MANY_BRANCHES = -12
E_BAD_TO = -13
E_INVALID_PARAMS = -14
E_Q_INV_CHAR = -15
E_Q_EMPTY = -16
E_Q_TOO_BIG = -17
E_Q_DEC_MISSING = -18
E_NO_DESTINATION = -19
E_IP_BLOCKED = -473
E_BAD_PROTO = -474
E_BAD_URI = -475
E_BAD_ADDRESS = -476
E_SEND = -477
E_BAD_REQ = -400
E_BAD_SERVER = -500

_REASONS = {
    E_IP_BLOCKED: (473, "Filtered destination"),
    E_SEND: (477, "Send failed"),
    E_BAD_ADDRESS: (476, "Unresolvable destination"),
    E_BAD_REQ: (400, "Bad Request"),
    E_BAD_URI: (475, "Bad URI"),
    E_BAD_TUPEL: (400, "Transaction tuple incomplete"),
    E_BAD_TO: (400, "Bad To"),
    E_EXEC: (500, "Error in external logic"),
    E_TOO_MANY_BRANCHES: (500, "Forking capacity exceeded"),
    E_Q_INV_CHAR: (400, "Invalid character in q parameter"),
    E_Q_EMPTY: (400, "Empty q parameter"),
    E_Q_TOO_BIG: (400, "q parameter too big"),
    E_Q_DEC_MISSING: (400, "Decimal part missing in q"),
}


def err2reason_phrase(err, signature):
    """Return ``(code, reason)`` for internal error *err*.

    *signature* is ``"SL"`` or ``"TM"``; the reason carries the error number
    as OpenSER prints it: ``Send failed (477/SL)``.
    """
    code, text = _REASONS.get(err, (500, "Server error occurred"))
    return code, "%s (%d/%s)" % (text, -err if err < 0 else err, signature)


class OpenserError(Exception):
    """Base class of openser_py's own exceptions."""


class CfgError(OpenserError):
    """A configuration error (bad cfg, bad modparam, failed fixup)."""

    def __init__(self, message, coord=None):
        super().__init__(message)
        self.message = message
        self.coord = coord

    def __str__(self):
        if self.coord is not None:
            return "%s: %s" % (self.coord, self.message)
        return self.message


class ShmOutOfMemory(OpenserError):
    """Raised inside the core when shm is exhausted; answered with a 500."""


class HaltServer(BaseException):
    """Stop the master with a reason and an exit status.

    A ``BaseException`` (as gunicorn's) so that module code catching
    ``Exception`` cannot swallow it.
    """

    def __init__(self, reason, exit_status=1):
        super().__init__(reason)
        self.reason = reason
        self.exit_status = exit_status
