"""Statistics of the ``sl`` module (OpenSER ``modules/sl/sl_stats.c``).

The counters are registered by the core loader from ``exports.stats``
(group ``sl``) and looked up here *at run time* with
:func:`openser_py.core.statistics.get_stat`, so a statistics registry that
is reset or moved into shm after loading is always the one updated.

Every update honours the ``enable_stats`` modparam (:class:`cfg`): with
``modparam("sl", "enable_stats", 0)`` nothing is counted.  (OpenSER does not
even register the statistics then; here they stay registered and read 0 --
``exports`` is an immutable table.)
"""
from openser_py.core import statistics
from openser_py.core.exports import StatExport

GROUP = "sl"

#: statistic names of the reply classes, index = code // 100 - 1
REPLY_CLASS_STATS = ("1xx_replies", "2xx_replies", "3xx_replies",
                     "4xx_replies", "5xx_replies", "6xx_replies")
SENT_REPLIES = "sent_replies"
SENT_ERR_REPLIES = "sent_err_replies"
RECEIVED_ACKS = "received_ACKs"


class cfg:  # noqa: N801 - OpenSER-style modparam namespace
    """Modparam values of the ``sl`` module (attribute = default)."""
    enable_stats = 1


STAT_EXPORTS = tuple(
    StatExport(name, doc="Number of %s replies sent statelessly (by "
               "sl_send_reply, sl_reply_error or the sl API)." % name[:3])
    for name in REPLY_CLASS_STATS) + (
    StatExport(SENT_REPLIES, doc="Total number of replies sent statelessly."),
    StatExport(SENT_ERR_REPLIES, doc="Number of error replies sent by "
               "sl_reply_error() (they are counted in sent_replies and in "
               "their class too)."),
    StatExport(RECEIVED_ACKS, doc="Number of ACKs absorbed by the sl ACK "
               "filter: ACKs whose To tag is the sl tag, received within "
               "2 s of the last stateless reply."),
)


def _inc(name):
    var = statistics.get_stat(name, GROUP)
    if var is not None:
        var.inc()


# The reply counters, looked up once per statistics registry: [the
# registry's sl group dict, {class: (class StatVar, sent_replies)}].  A
# registry reset (tests) makes a new group dict, so the cache is dropped.
_reply_vars = [None, {}]


def update_sl_reply_stat(code):
    """Count one reply sent with status *code* (class counter + total)."""
    if not cfg.enable_stats:
        return
    cls = code // 100
    if cls < 1:
        cls = 1
    elif cls > 6:
        cls = 6
    gen = statistics.generation()
    cache = _reply_vars
    if cache[0] != gen:
        cache[0] = gen
        cache[1] = {}
    pair = cache[1].get(cls)
    if pair is None:
        pair = (statistics.get_stat(REPLY_CLASS_STATS[cls - 1], GROUP),
                statistics.get_stat(SENT_REPLIES, GROUP))
        if None not in pair:    # registered: keep them
            cache[1][cls] = pair
    for var in pair:
        if var is not None:
            var.inc()


def update_sent_err_replies():
    """Count one reply sent by ``sl_reply_error``."""
    if cfg.enable_stats:
        _inc(SENT_ERR_REPLIES)


def update_received_acks():
    """Count one ACK absorbed by the ACK filter."""
    if cfg.enable_stats:
        _inc(RECEIVED_ACKS)


def get_sl_stat(name):
    """Current value of statistic *name* of group ``sl`` (None if absent)."""
    var = statistics.get_stat(name, GROUP)
    return None if var is None else var.get()
