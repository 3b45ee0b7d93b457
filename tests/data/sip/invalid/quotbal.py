"""RFC 4475 3.1.2.6 quotbal: unterminated quoted string in the To display
name."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("RFC 4475 3.1.2.6 quotbal: unterminated quoted string in "
            "the To display name"),
}
