"""Parser hot-path benchmark (not a test).

Parses a typical ~900-byte INVITE with SDP as far as a proxy needs to
route it (first line, Via1, From/To tags, Call-ID, CSeq, Max-Forwards,
Route) and re-serializes it with one Via added.  Prints messages/s, best
of 3 runs of at most ``--count`` iterations or ``--seconds`` each.

    python benchmarks/bench_parser.py [--count 200000] [--seconds 10]
                                      [--profile] [--splice]

Target: >= 100,000 messages/s on one core.  The header index (find the
end of the headers, split the lines, partition and classify them) runs in
C when ``openser_py/parser/_speedups.c`` is built (``make``), else in its
Python twin; ``OPENSER_PY_PURE=1`` forces the Python one, and
``make bench-parser`` prints both.  Figures, the cost model and what was
tried: "Hot path" in doc/dev/parser-api.md.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))

from openser_py.parser.msg import parse_msg  # noqa: E402

SDP = (b"v=0\r\n"
       b"o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"
       b"s=Session SDP\r\n"
       b"c=IN IP4 192.0.2.101\r\n"
       b"t=0 0\r\n"
       b"m=audio 49172 RTP/AVP 0 8 101\r\n"
       b"a=rtpmap:0 PCMU/8000\r\n"
       b"a=rtpmap:8 PCMA/8000\r\n"
       b"a=rtpmap:101 telephone-event/8000\r\n"
       b"a=fmtp:101 0-15\r\n"
       b"a=sendrecv\r\n")

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP proxy1.atlanta.example.com:5060"
    b";branch=z9hG4bK2d4790.1;rport\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com:5060"
    b";branch=z9hG4bK74bf9;received=192.0.2.101\r\n"
    b"Max-Forwards: 69\r\n"
    b"Route: <sip:proxy2.biloxi.example.com;lr>\r\n"
    b"Record-Route: <sip:proxy1.atlanta.example.com;lr>\r\n"
    b"From: \"Alice\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    b"CSeq: 2 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>\r\n"
    b"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n"
    b"Supported: replaces, timer\r\n"
    b"User-Agent: Example SIP Phone 1.2.3\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: " + str(len(SDP)).encode() + b"\r\n"
    b"\r\n" + SDP)

OUR_VIA = ("Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKcb7a.a1b2c3d4.0\r\n")


def _serializer(force_splice=False):
    """build_req_buf when msg_translator provides it, else a splice."""
    try:
        from openser_py.parser.msg_translator import build_req_buf
    except ImportError:
        build_req_buf = None
    if force_splice:
        build_req_buf = None
    if build_req_buf is not None:
        return "msg_translator.build_req_buf", build_req_buf
    via_b = OUR_VIA.encode("latin-1")

    def splice(msg, via):
        n = msg.first_line_end
        return msg.buf[:n] + via_b + msg.buf[n:]
    return "splice", splice


def route_one(buf, serialize):
    """What a stateless proxy reads before relaying."""
    msg = parse_msg(buf)
    via1 = msg.via1
    if via1.branch is None or msg.from_.tag is None:
        raise AssertionError("bad parse")
    msg.to.tag
    msg.callid
    msg.cseq
    mf = msg.max_forwards
    routes = msg.routes
    if mf is None or not routes or not msg.is_request:
        raise AssertionError("bad parse")
    return serialize(msg, OUR_VIA)


def run(count, seconds, serialize):
    """Messages per second over one bounded loop."""
    buf = INVITE
    deadline = time.perf_counter() + seconds
    t0 = time.perf_counter()
    done = 0
    while done < count:
        for _ in range(1000):
            route_one(buf, serialize)
        done += 1000
        if time.perf_counter() > deadline:
            break
    return done / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--splice", action="store_true",
                    help="serialize by splicing, even if build_req_buf "
                         "exists (parser-only figure)")
    args = ap.parse_args()
    name, serialize = _serializer(args.splice)
    out = route_one(INVITE, serialize)
    assert out.count(b"\r\nVia: ") == 3, out[:200]
    from openser_py.parser.index import IMPLEMENTATION
    print("message: %d bytes, serializer: %s, header index: %s"
          % (len(INVITE), name, IMPLEMENTATION))
    if args.profile:
        import cProfile
        cProfile.runctx("run(args.count, args.seconds, serialize)",
                        globals(), locals(), sort="tottime")
        return
    best = max(run(args.count, args.seconds, serialize) for _ in range(3))
    print("best of 3: %.0f messages/s" % best)


if __name__ == "__main__":
    main()
