"""The ``maxfwd`` API for other modules (Kamailio's ``bind_maxfwd``).

``load_module_api("maxfwd")`` returns :data:`API`::

    mf = load_module_api("maxfwd")
    if mf.process_maxfwd(msg, 70) == -1:    # Max-Forwards was 0
        ...
"""
from openser_py.modules.maxfwd import mf_funcs


class MaxfwdApi:
    """Bound maxfwd functions; same return codes as the script functions."""

    def process_maxfwd(self, msg, limit):
        """Decrement Max-Forwards, or add it with *limit* (2/1/-1/-2)."""
        return mf_funcs.process_maxfwd_header(msg, limit)

    def is_maxfwd_lt(self, msg, limit):
        """1 if the value is below *limit*, -1 if not, -2 absent, -3 bad."""
        return mf_funcs.is_maxfwd_lt(msg, limit)

    def get_maxfwd(self, msg):
        """The value the message carries now; -1 absent, -2 malformed."""
        return mf_funcs.is_maxfwd_present(msg)


#: the object ``load_module_api("maxfwd")`` returns
API = MaxfwdApi()
