"""A Route set over two header fields."""
expect = {
    "len:routes": 3,
    "routes.0.uri": "sip:p1.atlanta.com;lr",
    "routes.1.uri": "sip:p2.biloxi.com;lr;ftag=x",
    "routes.2.uri": "sip:p3.biloxi.com;lr",
    "record_routes": [],
}
