"""Request-URI port above 65535."""
expect = {
    "status": 400,
    "stage": "all",
    "path": "parsed_ruri",
    "why": "port out of range (RFC 3261 19.1.1, 25.1)",
}
