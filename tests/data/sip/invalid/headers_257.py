"""One header field more than MAX_HEADERS (256)."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "header count limit (limits.MAX_HEADERS)",
}
