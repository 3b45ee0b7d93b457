"""No Content-Length on a stream: the body is empty (RFC 3261 18.3)."""
expect = {
    "@stream": True,
    "content_length": None,
    "@body_len": 0,
}
