"""``error.h`` for module authors: E_* codes and the exception classes."""
from openser_py.core.errors import *  # noqa: F401,F403
from openser_py.core.errors import err2reason_phrase  # noqa: F401
