"""RFC 4475 3.3.8 multi01: multiple values in single-value header fields
(Call-ID, CSeq, From, To, Max-Forwards)."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("RFC 4475 3.3.8 multi01: multiple values in single-value "
            "header fields (Call-ID, CSeq, From, To, Max-Forwards)"),
}
