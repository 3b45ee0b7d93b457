"""RFC 4475 3.3.4 unksm2: unknown URI schemes in To, From and Contact.  They
are syntactically valid absolute URIs; the registrar rejects the request."""
expect = {
    "@note": "valid syntax; the registrar rejects it (RFC 4475 3.3.4)",
    "method": "REGISTER",
    "to.uri": "isbn:2983792873",
    "from_.uri": "http://www.example.com",
    "from_.tag": "3234233",
    "contacts.contacts.0.uri": "name:John_Smith",
    "content_length": 0,
}
