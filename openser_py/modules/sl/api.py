"""The ``sl`` API for other modules (OpenSER ``load_sl`` / ``sl_binds``).

``load_module_api("sl")`` returns :data:`API`, an :class:`SlApi`::

    from openser_py.sr_module import load_module_api
    slb = load_module_api("sl")
    slb.reply(msg, 401, "Unauthorized")     # 1 or -1

tm, registrar and auth send their stateless replies through it, so those
replies get the sl To-tag, count in the sl statistics and arm the sl ACK
filter exactly like ``sl_send_reply()`` from the script.
"""
from openser_py.modules.sl import sl_funcs


class SlApi:
    """Bound sl functions (``struct sl_binds``)."""

    SLCB_REPLY_OUT = sl_funcs.SLCB_REPLY_OUT
    SLCB_ACK_IN = sl_funcs.SLCB_ACK_IN

    def reply(self, msg, code, reason):
        """Send a stateless reply; ``reason`` is a str.  Returns 1 / -1."""
        return sl_funcs.sl_send_reply(msg, code, reason)

    def reply_dlg(self, msg, code, reason, tag):
        """As :meth:`reply`, with the To-tag *tag* instead of the sl tag."""
        return sl_funcs.sl_send_reply(msg, code, reason, tag=tag)

    def reply_error(self, msg, err=None):
        """Reply for an internal error (default: the previous action's)."""
        return sl_funcs.sl_reply_error(msg, err)

    def get_reply_totag(self, msg):
        """The To-tag sl would put in a reply to *msg*."""
        return sl_funcs.sl_get_reply_totag(msg)

    def register_slcb(self, types, func, param=None):
        """Register ``func(SlCbParams)`` for ``SLCB_REPLY_OUT``/``SLCB_ACK_IN``."""
        return sl_funcs.register_slcb(types, func, param)

    def filter_ack(self, msg, now=None):
        """The ACK filter (False = absorbed), for the core's pre-script hook."""
        return sl_funcs.sl_filter_ACK(msg, now)


#: the object ``load_module_api("sl")`` returns
API = SlApi()


def load_sl(*_unused):
    """``load_sl``: return the sl API (internal command, not for scripts)."""
    return API
