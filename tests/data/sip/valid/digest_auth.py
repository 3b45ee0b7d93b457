"""REGISTER with folded Digest credentials (RFC 3261 22.4)."""
expect = {
    "len:authorization": 1,
    "authorization.0.username": "bob",
    "authorization.0.realm": "biloxi.com",
    "authorization.0.nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
    "authorization.0.uri": "sip:biloxi.com",
    "authorization.0.response": "6629fae49393a05397450978507c4ef1",
    "authorization.0.algorithm": "MD5",
    "authorization.0.opaque": "5ccc069c403ebaf9f0171e9517f40e41",
}
