"""RFC 4475 3.1.2.19 bigcode: response code 4294967301 is not 3 digits."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("RFC 4475 3.1.2.19 bigcode: response code 4294967301 is not "
            "3 digits"),
}
