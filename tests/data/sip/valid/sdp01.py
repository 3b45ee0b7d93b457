"""RFC 4475 3.3.15 sdp01: an Accept that excludes the body's own type.
Valid syntax; a UAS answers 406."""
expect = {
    "@note": "higher layer answers 406 (RFC 4475 3.3.15)",
    "hdr:Accept": "text/nobodyKnowsThis",
    "content_type.subtype": "sdp",
    "content_length": 150,
    "@body_len": 150,
}
