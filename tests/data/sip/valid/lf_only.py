"""Bare LF line ends (accepted like OpenSER does)."""
expect = {
    "@note": "RFC 3261 requires CRLF; OpenSER accepts bare LF",
    "method": "OPTIONS",
    "@headers": 7,
    "callid": "a84b4c76e66710@pc33.atlanta.com",
    "content_length": 0,
}
