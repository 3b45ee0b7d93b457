"""RFC 4475 3.3.13 cparam02: Contact in name-addr form: "unknownparam" is a
URI parameter (a different contact from cparam01's)."""
expect = {
    "contacts.contacts.0.uri": "sip:+19725552222@gw1.example.net;unknownparam",
    "contacts.contacts.0.params": [],
    "content_length": 0,
}
