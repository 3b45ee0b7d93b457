"""RFC 4475 3.1.1.7 longreq: long values in header fields and 34 Via header
fields in every spelling of the name.  Valid."""
CALLER = "amazinglylongcallername" * 5
expect = {
    "method": "INVITE",
    "@headers": 43,
    "to.uri": ("sip:user@example.com:6000;unknownparam1=very" + "long" * 20 +
               "value;longparam" + "name" * 25 + "=shortvalue;very" +
               "long" * 25 + "ParameterNameWithNoValue"),
    "from_.uri": "sip:" + CALLER + "@example.net",
    "from_.tag": "12" + "982" * 50 + "424",
    "callid": "longreq.one" + "really" * 20 + "longcallid",
    "cseq.num": 3882340,
    "len:vias": 34,
    "via1.host": "sip33.example.com",
    "via1.transport": "TCP",
    "via1.branch": None,
    "vias.11.host": "sip22.example.com",
    "vias.32.host": "sip1.example.com",
    "vias.33.host": "host.example.com",
    "vias.33.received": "192.0.2.5",
    "vias.33.branch": "very" + "long" * 50 + "branchvalue",
    "max_forwards": 70,
    "contacts.contacts.0.uri": "sip:" + CALLER + "@host5.example.net",
    "content_length": 150,
    "@body_len": 150,
}
