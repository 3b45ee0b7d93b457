"""INVITE with Proxy-Authorization using qop=auth (RFC 2617)."""
expect = {
    "len:proxy_authorization": 1,
    "proxy_authorization.0.username": "alice",
    "proxy_authorization.0.realm": "atlanta.com",
    "proxy_authorization.0.qop": "auth",
    "proxy_authorization.0.nc": "00000001",
    "proxy_authorization.0.cnonce": "0a4f113b",
    "proxy_authorization.0.uri": "sip:bob@biloxi.com",
}
