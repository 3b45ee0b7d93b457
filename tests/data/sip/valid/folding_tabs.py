"""Header values folded over several lines with SP and HT."""
expect = {
    "@headers": 7,
    "via1.branch": "z9hG4bK-fold",
    "from_.tag": "fold1",
    "callid": "fold.1@pc33.atlanta.com",
    "cseq.num": 42,
    "cseq.method": "OPTIONS",
    "max_forwards": 70,
}
