"""RFC 4475 3.3.12 cparam01: Contact in addr-spec form with a parameter:
"unknownparam" is a Contact header parameter, not a URI parameter."""
expect = {
    "contacts.contacts.0.uri": "sip:+19725552222@gw1.example.net",
    "contacts.contacts.0.params": [("unknownparam", None)],
    "via1.port": 5060,
    "from_.tag": "DkfVgjkrtMwaerKKpe",
    "content_length": 0,
}
