"""Unknown SIP version 2.1."""
expect = {
    "status": 505,
    "stage": "parse",
    "why": ("505 Version Not Supported (RFC 3261 21.5.7, RFC 4475 "
            "3.1.2.16)"),
}
