"""RFC 4475 3.1.2.15 baddn: non-token characters in unquoted display
names; the archive copy (baddn.dat) also lacks the empty line ending
the headers, which is what a parser meets first."""
expect = {
    "status": 400,
    "stage": "parse",
    "why": ("RFC 4475 3.1.2.15 baddn: non-token characters in unquoted "
            "display names; the archive copy (baddn.dat) also lacks the "
            "empty line ending the headers, which is what a parser "
            "meets first"),
}
