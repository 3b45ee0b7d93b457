"""Via without a sent-by host."""
expect = {
    "status": 400,
    "stage": "all",
    "why": "via-parm = sent-protocol LWS sent-by (RFC 3261 20.42)",
}
