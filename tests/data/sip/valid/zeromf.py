"""RFC 4475 3.3.11 zeromf: Max-Forwards of zero.  Valid; a proxy answers
483 (an OPTIONS may be answered by the element itself)."""
expect = {
    "@note": "maxfwd module answers 483 (RFC 4475 3.3.11)",
    "max_forwards": 0,
    "cseq.num": 39234321,
    "content_length": 0,
}
