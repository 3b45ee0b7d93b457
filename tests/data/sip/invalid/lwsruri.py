"""RFC 4475 3.1.2.8 lwsruri: LWS inside the Request-URI, so the request
line has four elements."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("RFC 4475 3.1.2.8 lwsruri: LWS inside the Request-URI, so "
            "the request line has four elements"),
}
