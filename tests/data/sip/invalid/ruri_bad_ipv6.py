"""Unterminated IPv6 reference in the Request-URI."""
expect = {
    "status": 400,
    "stage": "all",
    "path": "parsed_ruri",
    "why": "bad IPv6reference (RFC 3261 25.1)",
}
