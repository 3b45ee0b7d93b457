"""The URI scheme is case-insensitive (RFC 3261 19.1.4)."""
expect = {
    "ruri": "SIP:Bob@Biloxi.COM",
    "parsed_ruri.scheme": "sip",
    "parsed_ruri.user": "Bob",
    "parsed_ruri.host": "Biloxi.COM",
}
