"""RFC 4475 3.1.1.11 mpart01: multipart MIME MESSAGE whose second part is
binary and contains NUL octets.  Valid; parts() must frame it exactly."""
BIN_LEN = 342
expect = {
    "method": "MESSAGE",
    "@headers": 14,
    "via1.host": "127.0.0.1",
    "via1.port": 5070,
    "via1.rport": "",
    "via1.branch": "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-",
    "routes.0.uri": "sip:127.0.0.1:5080",
    "callid": "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..",
    "cseq.method": "MESSAGE",
    "content_type.type": "multipart",
    "content_type.subtype": "mixed",
    "content_length": 553,
    "@body_len": 553,
    "len:parts()": 2,
    "parts().0.1": b"Hello",
    "len:parts().1.1": BIN_LEN,
    "parts().1.1.0": 0x30,
    "parts().1.1.341": 0x05,
}
