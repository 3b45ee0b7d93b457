"""A telephone-subscriber user part with a password (RFC 3261 19.1.1)."""
expect = {
    "parsed_ruri.user": "+1-212-555-1212",
    "parsed_ruri.passwd": "1234",
    "parsed_ruri.host": "gateway.com",
    "parsed_ruri.user_param": "phone",
}
