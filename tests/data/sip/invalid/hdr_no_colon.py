"""A header line without a colon."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "message-header = field-name HCOLON value (RFC 3261 7.3)",
}
