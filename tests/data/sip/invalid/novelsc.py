"""RFC 4475 3.3.3 novelsc: Request-URI with a known but atypical scheme
(soap.beep) that OpenSER does not support (416)."""
expect = {
    "status": 416,
    "stage": "all",
    "path": "parsed_ruri",
    "why": ("RFC 4475 3.3.3 novelsc: Request-URI with a known but "
            "atypical scheme (soap.beep) that OpenSER does not support "
            "(416)"),
}
