"""RFC 4475 3.1.2.3 ncl: negative Content-Length."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "RFC 4475 3.1.2.3 ncl: negative Content-Length",
}
