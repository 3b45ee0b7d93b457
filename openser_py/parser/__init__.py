"""SIP message parser (pure: bytes in, values out).

See doc/dev/parser-api.md for the contract.  The public names are
re-exported here: ``SipMsg``, ``parse_msg``, ``stream_frame``,
``SipParseError``, ``HdrType``/``HDR_*``, ``HdrField``, ``Method``/
``METHOD_*``.
"""
from openser_py.parser.errors import SipParseError  # noqa: F401
from openser_py.parser.hf import *  # noqa: F401,F403
from openser_py.parser.methods import *  # noqa: F401,F403
from openser_py.parser.msg import (  # noqa: F401
    SipMsg, parse_msg, skip_keepalive, stream_frame)
