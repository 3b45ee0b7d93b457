"""Negative Max-Forwards."""
expect = {
    "status": 400,
    "stage": "all",
    "why": "Max-Forwards = 1*DIGIT (RFC 3261 20.22)",
}
