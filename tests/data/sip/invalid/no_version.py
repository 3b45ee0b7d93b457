"""Request line without SIP-Version."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("Request-Line = Method SP Request-URI SP SIP-Version (RFC "
            "3261 7.1)"),
}
