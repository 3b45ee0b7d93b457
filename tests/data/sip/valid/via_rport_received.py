"""Via with rport, received and an i parameter."""
expect = {
    "via1.host": "10.0.0.1",
    "via1.port": 5060,
    "via1.rport": "5061",
    "via1.received": "192.0.2.1",
    "via1.branch": "z9hG4bKnat",
    "via1.i": "1",
}
