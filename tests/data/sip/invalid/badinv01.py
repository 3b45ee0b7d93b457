"""RFC 4475 3.1.2.1 badinv01: extraneous header field separators in Via
and Contact (empty via-parm and params)."""
expect = {
    "status": 400,
    "stage": "all",
    "why": ("RFC 4475 3.1.2.1 badinv01: extraneous header field "
            "separators in Via and Contact (empty via-parm and params)"),
}
