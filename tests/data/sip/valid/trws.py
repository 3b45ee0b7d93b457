"""RFC 4475 3.1.2.10 trws: SP characters at the end of the request line.
The RFC allows a liberal element to ignore them, and OpenSER's
parse_first_line does (is_empty_end() accepts SP/HT before the CRLF), so
the parser should accept it."""
expect = {
    "@note": "RFC 4475 3.1.2.10 permits liberal acceptance; OpenSER "
             "accepts trailing SP/HT after the version",
    "method": "OPTIONS",
    "ruri": "sip:remote-target@example.com",
    "version": "SIP/2.0",
    "cseq.num": 238923,
    "content_length": 0,
}
