"""An empty datagram."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": "no start line",
}
