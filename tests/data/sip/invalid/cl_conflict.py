"""Two different Content-Length values (long and compact form)."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "conflicting Content-Length (RFC 4475 3.3.9)",
}
