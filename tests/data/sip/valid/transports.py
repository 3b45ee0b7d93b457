"""RFC 4475 3.1.1.10 transports: Via header fields with all known and an
unknown transport.  Valid."""
expect = {
    "@headers": 12,
    "callid": "transports.kijh4akdnaqjkwendsasfdj",
    "len:vias": 5,
    "vias.0.transport": "UDP",
    "vias.1.transport": "SCTP",
    "vias.2.transport": "TLS",
    "vias.3.transport": "UNKNOWN",
    "vias.3.host": "t4.example.com",
    "vias.3.branch": "z9hG4bKasd0f3en",
    "vias.4.transport": "TCP",
    "content_length": 0,
}
