"""RFC 4475 3.1.1.2 intmeth: wide range of valid characters (unknown method
with token characters, odd R-URI user/password, quoted NUL in the To display
name, UTF-8 parameter value and header value).  Valid."""
INTMETH_M = "!interesting-Method0123456789_*+`.%indeed'~"
expect = {
    "method": INTMETH_M,
    "parsed_ruri.user": "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
    "parsed_ruri.passwd": "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)",
    "parsed_ruri.host": "example.com",
    "@headers": 8,
    "via1.transport": "TCP",
    "via1.host": "host1.example.com",
    "via1.branch": "z9hG4bK-.!%66*_+`'~",
    "to.uri": "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
              "@example.com",
    "to.tag": None,
    "from_.uri": "sip:mundane@example.com",
    "from_.tag": "_token~1'+`*%!-.",
    "callid": "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
    "cseq.num": 139122385,
    "cseq.method": INTMETH_M,
    "max_forwards": 255,
    # the UTF-8 value as its latin-1 image: BOM + U+5927 U+505C U+96FB
    "hdr:extensionHeader-!.%*+_`'~":
        "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb",
    "content_length": 0,
    "@body_len": 0,
}
