"""No Content-Length over UDP: the body is the rest of the datagram (RFC
3261 18.3)."""
expect = {
    "content_length": None,
    "@body_len": 154,
}
