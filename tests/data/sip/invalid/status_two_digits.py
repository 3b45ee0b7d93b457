"""Status code with two digits."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "Status-Code = 3DIGIT (RFC 3261 7.2)",
}
