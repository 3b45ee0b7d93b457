"""RFC 4475 3.1.1.6 lwsdisp: no LWS between display name and "<".  Valid."""
expect = {
    "method": "OPTIONS",
    "@headers": 7,
    "from_.display": "caller",
    "from_.uri": "sip:caller@example.com",
    "from_.tag": "323",
    "to.uri": "sip:user@example.com",
    "cseq.num": 60,
    "content_length": 0,
}
