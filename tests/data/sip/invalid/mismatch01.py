"""RFC 4475 3.1.2.17 mismatch01: CSeq method INVITE differs from the
request method OPTIONS."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("RFC 4475 3.1.2.17 mismatch01: CSeq method INVITE differs "
            "from the request method OPTIONS"),
}
