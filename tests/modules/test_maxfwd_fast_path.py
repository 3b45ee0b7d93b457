"""process_maxfwd_header's written-out fast path against the general one.

The general path is rebuilt here from the module's own helpers
(``_received``/``str2s``/``_decrement``/``add_maxfwd_header``), as the
function read before it was written out; both must give the same return
code, the same forwarded bytes and the same value seen by
``is_maxfwd_present``, also when called twice on one message.
"""
import pytest

from openser_py.core.scriptrun import make_msg
from openser_py.modules.maxfwd import mf_funcs
from openser_py.parser.msg_translator import build_req_buf


def general(msg, limit):
    """process_maxfwd_header made of the module's helpers."""
    st = mf_funcs._state(msg)
    if st is not None and st.lump is not None and st.lump.length == 0:
        mf_funcs.add_maxfwd_header(msg, limit)
        return 2
    span, value = mf_funcs._received(msg)
    if value == mf_funcs.MF_ABSENT:
        mf_funcs.add_maxfwd_header(msg, limit)
        return 2
    if value == mf_funcs.MF_ERROR:
        return -2
    if value == 0:
        return -1
    if value > mf_funcs.cfg.max_limit:
        value = mf_funcs.cfg.max_limit + 1
    mf_funcs._decrement(msg, span[0], len(span[1]), value)
    return 1


def request(header):
    return (b"OPTIONS sip:bob@example.com SIP/2.0\r\n"
            b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKmf1\r\n"
            + header +
            b"From: <sip:alice@example.com>;tag=a1\r\n"
            b"To: <sip:bob@example.com>\r\n"
            b"Call-ID: mf@example.com\r\nCSeq: 1 OPTIONS\r\n"
            b"Content-Length: 0\r\n\r\n")


VALUES = ["70", "10", "1", "0", "00", "007", "256", "257", "300", "65535",
          "65536", "99999", "123456", "", "-1", "+5", "7a", "\u0663",
          "1\u0663", " 12", "5 "]
HEADERS = [b""] + [("Max-Forwards: %s\r\n" % v).encode() for v in VALUES] \
    + [b"Max-Forwards:   42  \r\n", b"max-forwards:3\r\n",
       b"Max-Forwards: 5\r\nMax-Forwards: 9\r\n"]


@pytest.mark.parametrize("max_limit", [256, 16])
@pytest.mark.parametrize("limit", [10, 70])
@pytest.mark.parametrize("header", HEADERS)
def test_fast_path_equals_general_path(monkeypatch, header, limit,
                                       max_limit):
    monkeypatch.setattr(mf_funcs.cfg, "max_limit", max_limit)
    fast, slow = make_msg(request(header)), make_msg(request(header))
    for _ in range(2):                  # a second call rewrites our lump
        assert mf_funcs.process_maxfwd_header(fast, limit) \
            == general(slow, limit)
        assert build_req_buf(fast) == build_req_buf(slow)
        assert mf_funcs.is_maxfwd_present(fast) \
            == mf_funcs.is_maxfwd_present(slow)


def test_general_path_is_exercised():
    # the reference above really takes every branch it compares
    codes = {general(make_msg(request(h)), 10) for h in HEADERS}
    assert codes == {2, 1, -1, -2}
