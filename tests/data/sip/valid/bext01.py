"""RFC 4475 3.3.5 bext01: unknown option tags in Require and Proxy-Require.
Valid syntax; a proxy/UAS answers 420 Bad Extension."""
expect = {
    "@note": "higher layer answers 420 with Unsupported (RFC 4475 3.3.5)",
    "require": ["nothingSupportsThis", "nothingSupportsThisEither"],
    "proxy_require": ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"],
    "via1.transport": "TLS",
    "@headers": 9,
    "content_length": 0,
}
