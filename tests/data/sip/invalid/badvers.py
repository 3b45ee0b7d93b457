"""RFC 4475 3.1.2.16 badvers: unknown protocol version SIP/7.0 (505)."""
expect = {
    "status": 505,
    "stage": "parse",
    "why": ("RFC 4475 3.1.2.16 badvers: unknown protocol version "
            "SIP/7.0 (505)"),
}
