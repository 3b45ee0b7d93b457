"""CSeq number 2**32."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("CSeq number must be < 2**32 (RFC 3261 8.1.1.5, RFC 4475 "
            "3.1.2.4)"),
}
