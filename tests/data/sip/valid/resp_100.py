"""100 Trying."""
expect = {
    "is_request": False,
    "status": 100,
    "reason": "Trying",
    "method": "INVITE",
    "to.tag": None,
    "via1.received": "192.0.2.101",
}
