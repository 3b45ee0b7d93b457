"""RFC 4475 3.1.1.4 escnull: escaped NULs in URIs; the two contacts are
distinct and nothing may be truncated.  Valid."""
expect = {
    "method": "REGISTER",
    "parsed_ruri.host": "example.com",
    "parsed_ruri.user": "",
    "@headers": 9,
    "to.uri": "sip:null-%00-null@example.com",
    "from_.uri": "sip:null-%00-null@example.com",
    "from_.tag": "839923423",
    "cseq.num": 14398234,
    "cseq.method": "REGISTER",
    "len:contacts.contacts": 2,
    "contacts.contacts.0.uri": "sip:%00@host5.example.com",
    "contacts.contacts.1.uri": "sip:%00%00@host5.example.com",
    "content_length": 0,
    "@body_len": 0,
}
