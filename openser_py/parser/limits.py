"""Hard limits of the SIP parser (exceeding one raises SipParseError).

Sizes follow OpenSER 1.3 (``BUF_SIZE`` for the message); the others bound
the work done on hostile input.  413 is used for the message size, 400 for
everything else.
"""

MAX_MSG_SIZE = 65535      # OpenSER BUF_SIZE: whole message, headers + body
MAX_HEADERS = 256         # header fields in one message
MAX_LINE = 8192           # one header field after unfolding
MAX_VIA = 64              # via-parms in one message (all Via fields)
MAX_URI = 4096            # one URI (Request-URI, name-addr URIs)
MAX_PARAMS = 128          # parameters on one header value / via-parm
MAX_LIST = 256            # comma-separated values in one header field
MAX_PARTS = 64            # parts of one multipart body
