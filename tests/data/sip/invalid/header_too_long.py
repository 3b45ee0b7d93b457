"""One header field longer than MAX_LINE (8192)."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "header field size limit (limits.MAX_LINE)",
}
