"""RFC 4475 3.4.1 inv2543: an RFC 2543 style INVITE (no branch, no
Max-Forwards, no Content-Length: over UDP the body is the rest of the
datagram).  Valid."""
expect = {
    "via1.branch": None,
    "via1.host": "iftgw.example.com",
    "max_forwards": None,
    "content_length": None,
    "@body_len": 105,
    "from_.uri": "sip:+13035551111@ift.client.example.net;user=phone",
    "to.uri": "sip:+16505552222@ss1.example.net",
    "record_routes.0.uri": "sip:UserB@example.com;maddr=ss1.example.com",
    "cseq.num": 56,
}
