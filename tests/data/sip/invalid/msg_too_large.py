"""A 70 kB message, above MAX_MSG_SIZE (65535)."""
expect = {
    "status": 413,
    "stage": "parse",
    "why": "message size limit (limits.MAX_MSG_SIZE, OpenSER BUF_SIZE)",
}
