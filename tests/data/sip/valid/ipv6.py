"""IPv6 references in the Request-URI, Via, To, From and Contact."""
expect = {
    "parsed_ruri.host": "[2001:db8::10]",
    "parsed_ruri.port": "5070",
    "parsed_ruri.port_no": 5070,
    "parsed_ruri.transport": "udp",
    "via1.host": "[2001:db8::9]",
    "via1.port": 5060,
    "via1.received": "2001:db8::8",
    "via1.rport": "5062",
    "to.uri": "sip:bob@[2001:db8::10]",
    "contacts.contacts.0.uri": "sip:alice@[2001:db8::9]:5060",
    "callid": "v6@2001:db8::9",
}
