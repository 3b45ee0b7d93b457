"""RFC 4475 3.1.1.12 unreason: a 200 with an unusual reason phrase (UTF-8,
kept as its latin-1 image).  Valid."""
expect = {
    "is_request": False,
    "status": 200,
    "reason": "= 2**3 * 5**2 " + "но сто девяносто девять - простое"
              .encode("utf-8").decode("latin-1"),
    "method": "INVITE",
    "@headers": 8,
    "cseq.num": 35,
    "to.tag": "2229",
    "content_length": 154,
    "@body_len": 154,
}
