"""Multipart body with NULs and boundary-like text inside a part."""
expect = {
    "content_type.type": "multipart",
    "content_length": 163,
    "len:parts()": 2,
    "parts().0.1": b"first part",
    "parts().1.1": b"\x00\x01\x00\xff\r\n--\x00notaboundary\r\n\x00",
}
