"""RFC 4475 3.1.2.4 scalar02: CSeq number above 2**32-1 (and Max-Forwards
300, huge Expires values)."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("RFC 4475 3.1.2.4 scalar02: CSeq number above 2**32-1 (and "
            "Max-Forwards 300, huge Expires values)"),
}
