"""The largest CSeq number, 2**32-1 (RFC 3261 8.1.1.5)."""
expect = {
    "cseq.num": 4294967295,
    "cseq.method": "OPTIONS",
}
