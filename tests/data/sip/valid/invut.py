"""RFC 4475 3.3.6 invut: unknown Content-Type.  Valid syntax; a UAS answers
415 Unsupported Media Type."""
expect = {
    "@note": "higher layer answers 415 (RFC 4475 3.3.6)",
    "content_type.type": "application",
    "content_type.subtype": "unknownformat",
    "content_length": 40,
    "@body": b'<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n',
}
