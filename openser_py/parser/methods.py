"""SIP request method identifiers (OpenSER ``enum request_method``).

The values are bit flags so that sets of methods can be tested with ``&``
(as OpenSER modules do).  Method names are case-sensitive (RFC 3261 7.1):
``invite`` is an unknown method (METHOD_OTHER).
"""
from enum import IntFlag

__all__ = ["Method", "METHOD_UNDEF", "METHOD_INVITE", "METHOD_CANCEL",
           "METHOD_ACK", "METHOD_BYE", "METHOD_INFO", "METHOD_OPTIONS",
           "METHOD_UPDATE", "METHOD_REGISTER", "METHOD_MESSAGE",
           "METHOD_SUBSCRIBE", "METHOD_NOTIFY", "METHOD_PRACK",
           "METHOD_REFER", "METHOD_PUBLISH", "METHOD_OTHER",
           "METHOD_IDS", "method_id"]


class Method(IntFlag):
    """Request method id; UNDEF (0) is used when no method is known."""

    UNDEF = 0
    INVITE = 1
    CANCEL = 2
    ACK = 4
    BYE = 8
    INFO = 16
    OPTIONS = 32
    UPDATE = 64
    REGISTER = 128
    MESSAGE = 256
    SUBSCRIBE = 512
    NOTIFY = 1024
    PRACK = 2048
    REFER = 4096
    PUBLISH = 8192
    OTHER = 16384


METHOD_UNDEF = Method.UNDEF
METHOD_INVITE = Method.INVITE
METHOD_CANCEL = Method.CANCEL
METHOD_ACK = Method.ACK
METHOD_BYE = Method.BYE
METHOD_INFO = Method.INFO
METHOD_OPTIONS = Method.OPTIONS
METHOD_UPDATE = Method.UPDATE
METHOD_REGISTER = Method.REGISTER
METHOD_MESSAGE = Method.MESSAGE
METHOD_SUBSCRIBE = Method.SUBSCRIBE
METHOD_NOTIFY = Method.NOTIFY
METHOD_PRACK = Method.PRACK
METHOD_REFER = Method.REFER
METHOD_PUBLISH = Method.PUBLISH
METHOD_OTHER = Method.OTHER

# name as written on the wire -> id (exact case, RFC 3261 7.1)
METHOD_IDS = {m.name: m for m in Method
              if m not in (Method.UNDEF, Method.OTHER)}


def method_id(name: str) -> Method:
    """Return the id of a method name; unknown names give METHOD_OTHER."""
    return METHOD_IDS.get(name, METHOD_OTHER)
