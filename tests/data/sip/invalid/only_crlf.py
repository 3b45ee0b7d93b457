"""A datagram of two empty lines."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "no start line (RFC 3261 7)",
}
