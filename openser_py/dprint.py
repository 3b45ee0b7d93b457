"""``dprint.h`` for module authors: the ``LM_*`` logging calls.

Module code does ``from openser_py.dprint import LM_ERR, LM_INFO``; the
implementation lives in :mod:`openser_py.core.dprint`.
"""
from openser_py.core.dprint import (  # noqa: F401
    L_ALERT, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO, L_DBG, LEVEL_BY_NAME,
    LM_ALERT, LM_CRIT, LM_ERR, LM_WARN, LM_NOTICE, LM_INFO, LM_DBG, LM_GEN,
    LOG, is_printable, get_debug, set_debug)
