"""RFC 4475 3.3.9 mcl01: multiple conflicting Content-Length values."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("RFC 4475 3.3.9 mcl01: multiple conflicting Content-Length "
            "values"),
}
