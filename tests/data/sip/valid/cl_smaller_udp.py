"""Content-Length smaller than the datagram: extra octets are ignored
(RFC 3261 18.3)."""
expect = {
    "content_length": 4,
    "@body": b"abcd",
    "@buf_len": 305,
}
