"""To name-addr without the closing >."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("name-addr = [display-name] LAQUOT addr-spec RAQUOT (RFC "
            "3261 25.1)"),
}
