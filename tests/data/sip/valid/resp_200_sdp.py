"""200 OK with an SDP body."""
expect = {
    "status": 200,
    "reason": "OK",
    "cseq.num": 314159,
    "content_length": 154,
    "@body_len": 154,
}
