"""RFC 4475 3.3.7 regaut01: Authorization with an unknown scheme.  Valid
syntax; the registrar answers 401 with a Digest challenge."""
expect = {
    "@note": "higher layer answers 401 (RFC 4475 3.3.7)",
    "method": "REGISTER",
    "hdr:Authorization": "NoOneKnowsThisScheme opaque-data=here",
    "content_length": 0,
    "@headers": 8,
}
