"""RFC 4475 3.1.1.3 esc01: valid use of the % escaping mechanism.  The
R-URI user part is "sips:user@example.com" escaped; escapes stay as written
in every parsed component.  Valid."""
expect = {
    "method": "INVITE",
    "ruri": "sip:sips%3Auser%40example.com@example.net",
    "parsed_ruri.user": "sips%3Auser%40example.com",
    "parsed_ruri.unescaped_user": "sips:user@example.com",
    "parsed_ruri.host": "example.net",
    "@headers": 9,
    "to.uri": "sip:%75se%72@example.com",
    "from_.uri": "sip:I%20have%20spaces@example.net",
    "from_.tag": "938",
    "max_forwards": 87,
    "callid": "esc01.239409asdfakjkn23onasd0-3234",
    "cseq.num": 234234,
    "content_type.type": "application",
    "content_type.subtype": "sdp",
    "contacts.contacts.0.uri":
        "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
    "content_length": 150,
    "@body_len": 150,
}
