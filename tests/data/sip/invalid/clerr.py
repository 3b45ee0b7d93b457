"""RFC 4475 3.1.2.2 clerr: Content-Length (9999) larger than the datagram
body."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("RFC 4475 3.1.2.2 clerr: Content-Length (9999) larger than "
            "the datagram body"),
}
