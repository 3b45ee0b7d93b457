"""Every header in its compact form (RFC 3261 7.3.3)."""
expect = {
    "@headers": 10,
    "via1.host": "pc33.atlanta.com",
    "via1.branch": "z9hG4bKnashds8",
    "from_.tag": "1928301774",
    "to.uri": "sip:bob@biloxi.com",
    "callid": "a84b4c76e66710@pc33.atlanta.com",
    "contacts.contacts.0.uri": "sip:alice@pc33.atlanta.com",
    "supported": ["100rel"],
    "hdr:Subject": "lunch",
    "hdr:s": "lunch",
    "content_type.subtype": "sdp",
    "content_length": 154,
    "@body_len": 154,
}
