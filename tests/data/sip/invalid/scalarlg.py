"""RFC 4475 3.1.2.5 scalarlg: response with CSeq number above 2**32-1
(and an overlarge Retry-After, a 4-digit warn-code)."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("RFC 4475 3.1.2.5 scalarlg: response with CSeq number above "
            "2**32-1 (and an overlarge Retry-After, a 4-digit "
            "warn-code)"),
}
