"""A tel: Request-URI that is no telephone number."""
expect = {
    "status": 400,
    "stage": "all",
    "path": "parsed_ruri",
    "why": "bad telephone-subscriber (RFC 3966 3)",
}
