"""RFC 4475 3.3.14 regescrt: REGISTER with a contact URI carrying an escaped
Route header.  Valid; the registrar stores the URI as is."""
expect = {
    "contacts.contacts.0.uri":
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
    "@headers": 8,
    "content_length": 0,
}
