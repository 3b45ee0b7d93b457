"""Option tag lists (RFC 3261 20.32, 20.29, 20.37)."""
expect = {
    "supported": ["100rel", "timer", "path"],
    "require": ["100rel"],
    "proxy_require": ["sec-agree"],
}
