"""A sips: Request-URI with port and parameters."""
expect = {
    "parsed_ruri.scheme": "sips",
    "parsed_ruri.port_no": 5061,
    "parsed_ruri.transport": "tcp",
    "parsed_ruri.lr": "",
}
