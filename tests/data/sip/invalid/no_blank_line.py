"""Headers not closed by an empty line."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "the header block must end with an empty line (RFC 3261 7)",
}
