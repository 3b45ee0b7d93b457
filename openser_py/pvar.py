"""``pvar.h`` for module authors: pseudo-variable specs and formats."""
from openser_py.core.pvar import *  # noqa: F401,F403
from openser_py.core.pvar import (  # noqa: F401
    PvError, PvFormat, PvSpec, parse_pv_format, parse_pv_spec, pv_int, pv_str,
    register_pv)
