"""Content-Length that is not a number."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "Content-Length = 1*DIGIT (RFC 3261 20.14)",
}
