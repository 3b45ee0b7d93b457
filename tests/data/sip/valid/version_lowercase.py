"""The SIP-Version is case-insensitive (RFC 3261 7.1)."""
expect = {
    "@note": "implementations must send upper case; OpenSER compares "
             "case-insensitively",
    "method": "OPTIONS",
}
