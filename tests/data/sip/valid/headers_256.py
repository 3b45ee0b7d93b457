"""Exactly MAX_HEADERS (256) header fields."""
expect = {
    "@headers": 256,
    "hdr:X-Pad-248": "248",
}
