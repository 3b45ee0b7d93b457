"""RFC 4475 3.1.2.11 escruri: escaped headers in the Request-URI.  The URI
is syntactically a SIP URI with headers, so the parser accepts it; the RFC
lets an element reject it (400) or ignore the headers, and a proxy must not
forward them (routing-layer policy, not a parse error)."""
expect = {
    "@note": "valid syntax; rejecting/stripping R-URI headers is for the "
             "routing layer (RFC 4475 3.1.2.11)",
    "ruri": "sip:user@example.com?Route=%3Csip:example.com%3E",
    "parsed_ruri.user": "user",
    "parsed_ruri.host": "example.com",
    "parsed_ruri.headers": "Route=%3Csip:example.com%3E",
    "cseq.num": 149209342,
    "content_length": 150,
}
