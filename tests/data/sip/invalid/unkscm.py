"""RFC 4475 3.3.2 unkscm: Request-URI with an unknown scheme (416)."""
expect = {
    "status": 416,
    "stage": "all",
    "path": "parsed_ruri",
    "why": ("RFC 4475 3.3.2 unkscm: Request-URI with an unknown scheme "
            "(416)"),
}
