"""The one exception the SIP parser lets escape.

Every malformed input ends as a :class:`SipParseError` carrying the status
code OpenSER would answer with (400 unless stated otherwise).  Internal
``ValueError``/``IndexError`` are converted at the public entry points.
"""

__all__ = ["SipParseError", "REASON_PHRASES"]

# RFC 3261 section 21 reason phrases for the codes the parser produces.
REASON_PHRASES = {
    400: "Bad Request",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    505: "Version Not Supported",
    513: "Message Too Large",
}


class SipParseError(ValueError):
    """A SIP message (or one of its parts) could not be parsed.

    :param reason: human readable description (e.g. ``"bad Via header"``).
    :param status: the SIP status code to reply with (default 400).

    ``unsupported_scheme`` is set to True by the URI parser when the only
    problem is an unknown URI scheme (the message layer turns that into 416
    for the Request-URI).
    """

    unsupported_scheme = False

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status

    @property
    def reply_reason(self) -> str:
        """Reason phrase matching :attr:`status` (``"Bad Request"``...)."""
        return REASON_PHRASES.get(self.status, "Bad Request")

    def __repr__(self):
        return "SipParseError(%r, %d)" % (self.reason, self.status)
