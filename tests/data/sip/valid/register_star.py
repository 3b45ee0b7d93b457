"""De-registration of all contacts (RFC 3261 10.2.2)."""
expect = {
    "contacts.star": True,
    "len:contacts.contacts": 0,
    "expires": 0,
}
