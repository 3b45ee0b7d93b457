"""RFC 4475 3.1.2.14 badaspec: spaces inside the <> of the To addr-spec."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("RFC 4475 3.1.2.14 badaspec: spaces inside the <> of the To "
            "addr-spec"),
}
