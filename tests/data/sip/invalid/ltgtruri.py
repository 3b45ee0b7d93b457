"""RFC 4475 3.1.2.7 ltgtruri: Request-URI enclosed in <> (a malformed
request line, 400 and not 416)."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("RFC 4475 3.1.2.7 ltgtruri: Request-URI enclosed in <> (a "
            "malformed request line, 400 and not 416)"),
}
