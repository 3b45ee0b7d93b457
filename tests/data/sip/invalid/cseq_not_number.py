"""CSeq without a number."""
expect = {
    "status": 400,
    "stage": "all",
    "why": "CSeq = 1*DIGIT LWS Method (RFC 3261 20.16)",
}
