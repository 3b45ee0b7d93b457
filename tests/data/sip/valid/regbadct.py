"""RFC 4475 3.1.2.13 regbadct: a Contact URI with an escaped header but not
in name-addr form.  The RFC allows a liberal element to infer the angle
brackets (there is no ambiguity here); OpenSER's contact parser takes the
URI up to ";" or ",", so it is accepted."""
expect = {
    "@note": "RFC 4475 3.1.2.13 permits inferring the <>; OpenSER accepts",
    "method": "REGISTER",
    "len:contacts.contacts": 1,
    "contacts.contacts.0.uri":
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
    "content_length": 0,
}
