"""An ACK; CSeq method equals the request method."""
expect = {
    "method": "ACK",
    "cseq.method": "ACK",
}
