"""RFC 4475 3.1.1.5 esc02: % where it is not an escape (method, display
name, branch, header name).  RE%47IST%45R is an unknown method, C%6Fntact an
unknown header.  Valid."""
expect = {
    "method": "RE%47IST%45R",
    "cseq.method": "RE%47IST%45R",
    "parsed_ruri.host": "registrar.example.com",
    "@headers": 10,
    "to.uri": "sip:resource@example.com",
    "from_.tag": "f232jadfj23",
    "via1.branch": "z9hG4bK209%fzsnel234",
    "via1.transport": "TCP",
    "len:contacts.contacts": 2,
    "contacts.contacts.0.uri": "sip:alias1@host1.example.com",
    "contacts.contacts.1.uri": "sip:alias3@host3.example.com",
    "hdr:C%6Fntact": "<sip:alias2@host2.example.com>",
    "content_length": 0,
}
