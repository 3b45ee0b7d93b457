"""``make bench-script``: per-message cost of the compiled routing script.

Runs OpenSER 1.3's default routing logic (benchmarks/openser-1.3-default.cfg)
with every module function replaced by a stub that returns at once,
so what is measured is the engine itself: the compiled closures, conditions,
``$rU``/``uri==myself`` evaluation, ``route()`` calls and flow control.

Two figures, best of 3 rounds, each round bounded by count and time:
* script only: the same parsed INVITE run again and again (parser caches warm);
* parse + script: a fresh ``parse_msg`` of the ~900-byte INVITE per message.
"""
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from openser_py.core import route  # noqa: E402
from openser_py.core.exports import REQUEST_ROUTE  # noqa: E402
from openser_py.core.scriptrun import load_script, make_msg  # noqa: E402
from openser_py.core.script_state import state  # noqa: E402

# name -> (arity list, return value); 0-arity and 1/2-arity variants exported
STUBS = {
    "sl": {"sl_send_reply": ((2,), 1), "sl_reply_error": ((0,), 1)},
    "tm": {"t_relay": ((0,), 1), "t_check_trans": ((0,), -1),
           "t_newtran": ((0,), 1), "t_reply": ((2,), 1),
           "t_on_branch": ((1,), 1), "t_on_reply": ((1,), 1),
           "t_on_failure": ((1,), 1), "t_was_cancelled": ((0,), -1)},
    "rr": {"loose_route": ((0,), -1), "record_route": ((0,), 1)},
    "maxfwd": {"mf_process_maxfwd_header": ((1,), 1)},
    "usrloc": {},
    "registrar": {"save": ((1,), 1), "lookup": ((1,), 1)},
    "textops": {"append_hf": ((1,), 1)},
    "mi_fifo": {},
    "uri": {"has_totag": ((0,), -1)},
    "xlog": {"xlog": ((1, 2), 1)},
}

STUB_TEMPLATE = '''
from openser_py.sr_module import ModuleExports, CmdExport, ParamExport, \\
    ALL_ROUTES, STR_PARAM, INT_PARAM, USE_FUNC_PARAM
def _any_param(t, v):
    return 0
def _mk(value):
    def f(msg, *args):
        return value
    return f
exports = ModuleExports(name=%(name)r, cmds=tuple(
    CmdExport(n, _mk(r), a, None, None, ALL_ROUTES, doc="stub")
    for n, (arities, r) in %(funcs)r.items() for a in arities) + (
    CmdExport("is_method", lambda msg, m: 1 if msg.method in m.split("|")
              else -1, 1, None, None, ALL_ROUTES, doc="stub"),) * %(ism)d,
    params=tuple(ParamExport(p, t | USE_FUNC_PARAM, _any_param)
                 for p in %(params)r for t in (STR_PARAM, INT_PARAM)))
'''

PARAMS = {"mi_fifo": ["fifo_name"], "rr": ["enable_full_lr", "append_fromtag"],
          "registrar": ["method_filtering"], "usrloc": ["db_mode"]}


def make_stubs(dirname):
    for name, funcs in STUBS.items():
        with open(os.path.join(dirname, name + ".py"), "w") as fh:
            fh.write(STUB_TEMPLATE % {"name": name, "funcs": funcs,
                                      "ism": 1 if name == "textops" else 0,
                                      "params": PARAMS.get(name, [])})


def default_cfg(stub_dir):
    path = os.path.join(HERE, "openser-1.3-default.cfg")
    with open(path) as fh:
        text = fh.read()
    return text.replace('mpath="/usr/local/lib/openser/modules/"',
                        'mpath="%s/"' % stub_dir)


INVITE = (
    "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKkjshdyff\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@127.0.0.1>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.10:5060>\r\n"
    "User-Agent: bench\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: %d\r\n\r\n%s")
SDP = ("v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n"
       "c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0 8 97\r\n"
       "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
       "a=rtpmap:97 iLBC/8000\r\na=sendrecv\r\n")


def bench(fn, count, seconds):
    best = None
    for _ in range(3):
        n, t0 = 0, time.perf_counter()
        deadline = t0 + seconds
        while n < count:
            fn()
            n += 1
            if not n % 1000 and time.perf_counter() > deadline:
                break
        per = (time.perf_counter() - t0) / n
        best = per if best is None else min(best, per)
    return best


def main():
    with tempfile.TemporaryDirectory() as d:
        make_stubs(d)
        script = load_script(default_cfg(d), filename="openser.cfg",
                             init_modules=False)
        top = script.tables.get(REQUEST_ROUTE, 0)
        data = (INVITE % (len(SDP), SDP)).encode()
        msg = make_msg(data, src_ip="192.0.2.10", dst_ip="127.0.0.1")

        def script_only():
            route.reset_msg_context()
            route.run_top_route(top, REQUEST_ROUTE, msg)

        def parse_and_script():
            m = make_msg(data, src_ip="192.0.2.10", dst_ip="127.0.0.1")
            route.reset_msg_context()
            route.run_top_route(top, REQUEST_ROUTE, m)

        script_only()
        assert state.retcode is not None
        s_only = bench(script_only, 200000, 5.0)
        both = bench(parse_and_script, 100000, 5.0)
    print("bench-script: OpenSER 1.3 default routing logic, module functions "
          "stubbed, INVITE of %d bytes (CPython %s)"
          % (len(data), sys.version.split()[0]))
    print("  script only     : %6.2f us/message (%8.0f msg/s)"
          % (s_only * 1e6, 1 / s_only))
    print("  parse + script  : %6.2f us/message (%8.0f msg/s)"
          % (both * 1e6, 1 / both))


if __name__ == "__main__":
    main()
