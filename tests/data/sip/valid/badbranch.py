"""RFC 4475 3.2.1 badbranch: the branch is only the magic cookie.  Valid
syntax; the transaction layer may answer 400 or fall back to RFC 2543
matching."""
expect = {
    "@note": "valid syntax; the transaction layer decides (RFC 4475 3.2.1)",
    "via1.branch": "z9hG4bK",
    "@headers": 8,
    "content_length": 0,
}
