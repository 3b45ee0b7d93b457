"""RFC 4475 3.1.1.8 dblreq: extra trailing octets in a UDP datagram (a
second request after the first one's body).  Only the REGISTER is the
message; the rest of the datagram is ignored (RFC 3261 18.3).  Valid."""
expect = {
    "method": "REGISTER",
    "@headers": 8,
    "callid": "dblreq.0ha0isndaksdj99sdfafnl3lk233412",
    "cseq.num": 8,
    "cseq.method": "REGISTER",
    "via1.branch": "z9hG4bKkdjuw23492",
    "contacts.contacts.0.uri": "sip:j.user@host.example.com",
    "content_length": 0,
    "@body_len": 0,
    "@buf_len": 300,
}
