"""Several via-parms in one Via header field, then another Via field."""
expect = {
    "@headers": 8,
    "len:vias": 4,
    "via1.host": "a.example.com",
    "via1.branch": "z9hG4bK1",
    "via2.transport": "TCP",
    "via2.host": "b.example.com",
    "via2.port": 5070,
    "vias.2.transport": "TLS",
    "vias.2.host": "[2001:db8::1]",
    "vias.2.port": 5061,
    "vias.3.transport": "SCTP",
    "vias.3.port": 5080,
    "vias.3.branch": "z9hG4bK4",
}
