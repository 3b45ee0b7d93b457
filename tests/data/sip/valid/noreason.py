"""RFC 4475 3.1.1.13 noreason: empty reason phrase (the SP after the code
is present).  Valid."""
expect = {
    "is_request": False,
    "status": 100,
    "reason": "",
    "method": "INVITE",
    "@headers": 7,
    "to.tag": "902jndnke3",
    "from_.tag": "39ansfi3",
    "content_length": 0,
}
