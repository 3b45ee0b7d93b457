"""Three contacts in two header fields, with q values."""
expect = {
    "contacts.star": False,
    "len:contacts.contacts": 3,
    "contacts.contacts.0.uri": "sip:bob@192.0.2.4",
    "contacts.contacts.0.q": 500,
    "contacts.contacts.1.uri": "sip:bob@198.51.100.7;transport=tcp",
    "contacts.contacts.1.q": 1000,
    "contacts.contacts.2.uri": "sip:bob@203.0.113.9",
    "contacts.contacts.2.q": 50,
    "expires": 3600,
}
