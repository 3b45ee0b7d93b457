"""Content-Length larger than the datagram body."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("body shorter than Content-Length (RFC 3261 18.3, RFC 4475 "
            "3.1.2.2)"),
}
