"""RFC 4475 3.1.2.12 baddate: non-GMT time zone in the Date header field.
The parser does not interpret Date (OpenSER neither); the RFC says an element
should not reject unless it needs the Date value."""
expect = {
    "@note": "Date is not parsed; only an element using Date would reject "
             "(RFC 4475 3.1.2.12)",
    "method": "INVITE",
    "hdr:Date": "Fri, 01 Jan 2010 16:00:00 EST",
    "content_length": 150,
}
