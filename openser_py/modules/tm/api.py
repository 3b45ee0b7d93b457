"""What other modules get from ``load_module_api("tm")`` (OpenSER ``load_tm``).

A small, typed subset of OpenSER's ``struct tm_binds``: relay a request
statefully, reply statefully, create the transaction, find the
transaction bound to a message and read its status.
"""
from openser_py.modules.tm import t_fwd, t_newtran, t_reply
from openser_py.modules.tm.t_state import bound, rt


class TmApi:
    """The tm API object (one per process, stateless)."""

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
