"""RFC 4475 3.1.1.9 semiuri: semicolon-separated parameters in the URI user
part; the R-URI has no uri-parameters at all.  Valid."""
expect = {
    "method": "OPTIONS",
    "parsed_ruri.user": "user;par=u%40example.net",
    "parsed_ruri.unescaped_user": "user;par=u@example.net",
    "parsed_ruri.host": "example.com",
    "parsed_ruri.params": "",
    "parsed_ruri.param_list": [],
    "@headers": 8,
    "max_forwards": 3,
    "via1.host": "192.0.2.1",
    "content_length": 0,
}
