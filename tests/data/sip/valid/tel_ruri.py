"""A tel: Request-URI (RFC 3966): number in user, empty host."""
expect = {
    "ruri": "tel:+1-212-555-1212;phone-context=example.com",
    "parsed_ruri.scheme": "tel",
    "parsed_ruri.user": "+1-212-555-1212",
    "parsed_ruri.host": "",
    "parsed_ruri.params": "phone-context=example.com",
}
