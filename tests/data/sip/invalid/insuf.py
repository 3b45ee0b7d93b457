"""RFC 4475 3.3.1 insuf: Call-ID, From, To (and Max-Forwards) are
missing; parse_all() checks the RFC 3261 8.1.1 mandatory headers."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("RFC 4475 3.3.1 insuf: Call-ID, From, To (and Max-Forwards) "
            "are missing; parse_all() checks the RFC 3261 8.1.1 "
            "mandatory headers"),
}
