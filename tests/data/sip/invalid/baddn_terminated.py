"""RFC 4475 3.1.2.15 baddn (with the empty line added): non-token
characters in unquoted display names of From and To."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("RFC 4475 3.1.2.15 baddn (with the empty line added): "
            "non-token characters in unquoted display names of From and "
            "To"),
}
