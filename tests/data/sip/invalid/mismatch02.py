"""RFC 4475 3.1.2.18 mismatch02: unknown method NEWMETHOD with CSeq
method INVITE."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("RFC 4475 3.1.2.18 mismatch02: unknown method NEWMETHOD "
            "with CSeq method INVITE"),
}
