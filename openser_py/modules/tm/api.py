"""What other modules get from ``load_module_api("tm")`` (OpenSER ``load_tm``).

A typed subset of OpenSER's ``struct tm_binds``: relay a request
statefully, reply statefully, create the transaction, find the
transaction bound to a message and read its status, register tm
callbacks (``register_tmcb`` and the ``TMCB_*`` constants, see
``t_hooks``), send requests from the local UAC (``t_uac``).
"""
from openser_py.modules.tm import t_fwd, t_hooks, t_newtran, t_reply, t_uac
from openser_py.modules.tm.t_state import bound, rt


class TmApi:
    """The tm API object (one per process, stateless)."""

    TMCB_REQUEST_IN = t_hooks.TMCB_REQUEST_IN
    TMCB_RESPONSE_IN = t_hooks.TMCB_RESPONSE_IN
    TMCB_E2EACK_IN = t_hooks.TMCB_E2EACK_IN
    TMCB_REQUEST_FWDED = t_hooks.TMCB_REQUEST_FWDED
    TMCB_RESPONSE_FWDED = t_hooks.TMCB_RESPONSE_FWDED
    TMCB_ON_FAILURE_RO = t_hooks.TMCB_ON_FAILURE_RO
    TMCB_ON_FAILURE = t_hooks.TMCB_ON_FAILURE
    TMCB_RESPONSE_OUT = t_hooks.TMCB_RESPONSE_OUT
    TMCB_LOCAL_COMPLETED = t_hooks.TMCB_LOCAL_COMPLETED
    TMCB_LOCAL_RESPONSE_OUT = t_hooks.TMCB_LOCAL_RESPONSE_OUT
    TMCB_REQUEST_BUILT = t_hooks.TMCB_REQUEST_BUILT
    TMCB_TRANS_DELETED = t_hooks.TMCB_TRANS_DELETED
    FAKED_REPLY = t_hooks.FAKED_REPLY

    @staticmethod
    def register_tmcb(msg, t, types, func, param=None):
        """``register_tmcb`` (see ``t_hooks.register_tmcb``): 1 or < 0."""
        return t_hooks.register_tmcb(msg, t, types, func, param)

    @staticmethod
    def declare_tmcb(func):
        """Put ``func`` in the callback table (``mod_init``, before fork)."""
        return t_hooks.declare(func)

    @staticmethod
    def t_uac(method, ruri, from_body, to, hdrs="", body=b"", **kw):
        """Send a request in a local transaction (see ``t_uac.t_uac``)."""
        return t_uac.t_uac(method, ruri, from_body, to, hdrs, body, **kw)

    @staticmethod
    def t_replicate(msg, uri, flags=0):
        """``t_replicate`` from module code; the script return value."""
        return t_fwd.replicate(msg, uri, flags)

    @staticmethod
    def t_relay(msg, dest=None, flags=0):
        """``t_relay`` from module code; the script return value."""
        return t_fwd.relay(msg, dest, flags)

    @staticmethod
    def t_newtran(msg):
        """Create/match the transaction: ``(result, (hash, label))``."""
        return t_newtran.newtran(msg)

    @staticmethod
    def t_reply(msg, code, reason):
        """Reply statefully to ``msg`` (its transaction must exist)."""
        t = bound(msg)
        if t is None:
            return -1
        return t_reply.reply_local(t, msg, code, reason)

    @staticmethod
    def t_gett(msg):
        """``(hash_index, label)`` bound to ``msg``, or None."""
        return bound(msg)

    @staticmethod
    def t_status(t):
        """Final/provisional status sent upstream by ``t`` (0 if gone)."""
        if t is None or rt.table is None:
            return 0
        with rt.table.edit(*t) as v:
            return v.get("uas_status") if v is not None else 0


API = TmApi()


def load_tm(*_args):
    """``load_tm`` as a script-invisible command: the API object."""
    return API
