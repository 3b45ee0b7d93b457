"""RFC 4475 3.3.10 bcast: 200 OK whose second Via is the broadcast address.
Valid syntax; the element forwarding the reply must not send it there."""
expect = {
    "@note": "valid syntax; reply forwarding must refuse the broadcast "
             "address (RFC 4475 3.3.10)",
    "is_request": False,
    "status": 200,
    "reason": "OK",
    "len:vias": 2,
    "via2.host": "255.255.255.255",
    "via2.branch": "z9hG4bK1saber23",
    "content_length": 154,
    "@body_len": 154,
}
