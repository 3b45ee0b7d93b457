"""180 Ringing with Record-Route and Contact."""
expect = {
    "status": 180,
    "reason": "Ringing",
    "to.tag": "a6c85cf",
    "len:record_routes": 2,
    "record_routes.1.uri": "sip:p1.atlanta.com;lr",
    "contacts.contacts.0.uri": "sip:bob@192.0.2.4",
}
