"""RFC 4475 3.1.2.9 lwsstart: multiple SP between the elements of the
request line (rejecting is allowed; OpenSER's parse_first_line rejects
it too: the token after the first SP is empty)."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("RFC 4475 3.1.2.9 lwsstart: multiple SP between the "
            "elements of the request line (rejecting is allowed; "
            "OpenSER's parse_first_line rejects it too: the token after "
            "the first SP is empty)"),
}
