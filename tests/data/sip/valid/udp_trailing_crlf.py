"""CRLFs after the body in a datagram are not part of the message."""
expect = {
    "@body": b"abcd",
    "@buf_len": 305,
}
