"""rr's route set: the one-value fast path of ``route_entries`` (no
HdrField) locates the value and its field as the general path does, and
``loose_route`` removes a lone Route field exactly."""
import pytest

from openser_py.core.script_state import state
from openser_py.core.scriptrun import load_script, make_msg, run_route
from openser_py.modules.rr.loose import _element_spans, route_entries
from openser_py.parser.hf import HdrType
from openser_py.parser.msg import SipMsg
from openser_py.parser.msg_translator import build_req_buf
from openser_py.parser.parse_nameaddr import parse_nameaddr_list
from tests.modules.test_rr import clean  # noqa: F401 - the same autouse fixture

HEAD = (b"BYE sip:bob@192.0.2.20:5062 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n")
TAIL = (b"From: <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>;tag=b1\r\n"
        b"Call-ID: rr@example.com\r\nCSeq: 1 BYE\r\n"
        b"Content-Length: 0\r\n\r\n")
ROUTES = [
    b"Route: <sip:127.0.0.1;lr;ftag=a1>\r\n",
    b"Route:   <sip:127.0.0.1;lr>  \r\n",
    b"Route:\t\"us\" <sip:127.0.0.1;lr>;x=1\r\n",
    b"route: sip:127.0.0.1;lr\r\n",
    b"Route: <sip:127.0.0.1;lr>\r\n  \r\n",
]


@pytest.mark.parametrize("route", ROUTES)
def test_one_value_entry_matches_the_header_field(route):
    msg = SipMsg(HEAD + route + TAIL)
    (entry,) = route_entries(msg)
    hf = SipMsg(HEAD + route + TAIL).get_hdr(HdrType.ROUTE)
    ((s, e),) = _element_spans(hf.body)
    assert (entry.fstart, entry.fend) == (hf.start, hf.end)
    assert (entry.start, entry.end) == (hf.body_start + s, hf.body_start + e)
    (na,) = parse_nameaddr_list(hf.body)
    assert (entry.index, entry.count, entry.na.uri) == (0, 1, na.uri)


@pytest.mark.parametrize("route", ROUTES)
def test_loose_route_removes_the_lone_route_field(route):
    script = load_script('listen=udp:127.0.0.1:5060\nloadmodule "rr.so"\n'
                         'route {\nloose_route(); $var(rc) = $rc;\n}\n')
    msg = make_msg(HEAD + route + TAIL)
    run_route(script, msg)
    assert state.vars["rc"] == 1
    assert msg.dst_uri is None and msg.new_uri is None
    assert build_req_buf(msg) == HEAD + TAIL


def test_several_values_still_use_the_fields():
    msg = SipMsg(HEAD + b"Route: <sip:127.0.0.1;lr>, <sip:192.0.2.30;lr>\r\n"
                 b"Route: <sip:192.0.2.31;lr>\r\n" + TAIL)
    entries = route_entries(msg)
    assert [(e.key, e.index, e.count) for e in entries] == [
        (0, 0, 2), (0, 1, 2), (1, 0, 1)]
    assert all(e.hf is not None for e in entries)
