"""Request-URI with an unsupported scheme."""
expect = {
    "status": 416,
    "stage": "all",
    "path": "parsed_ruri",
    "why": "unsupported R-URI scheme (RFC 3261 8.2.2.1, RFC 4475 3.3.2)",
}
