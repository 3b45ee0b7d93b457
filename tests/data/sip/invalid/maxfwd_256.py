"""Max-Forwards above 255."""
expect = {
    "status": 400,
    "stage": "all",
    "why": "Max-Forwards is 0..255 (RFC 3261 20.22, RFC 4475 3.1.2.4)",
}
