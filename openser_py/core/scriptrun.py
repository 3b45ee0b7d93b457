"""Run a compiled script on one message, with sends captured.

Used by ``openser --trace-msg`` and by the tests: no sockets, no database
side effects of the core -- everything that would be sent is recorded by a
:class:`SendRecorder` installed as the transport.
"""
from openser_py.core import forward, route, script_cb
from openser_py.core.cfgload import load_config
from openser_py.core.exports import REQUEST_ROUTE
from openser_py.core.ip_addr import PROTO_BY_NAME, ReceiveInfo
from openser_py.parser.msg import parse_msg


class SendRecorder:
    """A transport that records ``(proto, ip, port, data)`` instead of sending."""

    def __init__(self):
        self.sent = []

    def __call__(self, sock, proto, ip, port, data):
        self.sent.append((proto, ip, port, bytes(data)))
        return True

    def install(self):
        """Make this the transport; returns self."""
        self._old = forward.set_sender(self)
        return self

    def uninstall(self):
        """Put the previous transport back."""
        forward.set_sender(self._old)

    def __enter__(self):
        return self.install()

    def __exit__(self, *exc):
        self.uninstall()


def make_msg(data, src_ip="192.0.2.10", src_port=5060, dst_ip="127.0.0.1",
             dst_port=5060, proto="udp", sock=None):
    """Parse *data* and attach receive information as a transport would."""
    msg = parse_msg(data, stream=proto != "udp")
    p = PROTO_BY_NAME[proto]
    if sock is None:        # the listening socket it "arrived" on, if any
        sock = next((s for s in forward.get_sockets()
                     if s.proto == p and s.ip == dst_ip and s.port == dst_port),
                    None)
    msg.rcv = ReceiveInfo(src_ip, src_port, dst_ip, dst_port, p, sock)
    return msg


def load_script(text, filename="<test>.cfg", init_modules=True, tracer=None):
    """Load a config from *text*; raise ValueError listing any errors."""
    script = load_config(filename, text=text, init_modules=init_modules,
                         tracer=tracer)
    if script.errors:
        raise ValueError(script.format_errors())
    return script


def run_route(script, msg, route_type=REQUEST_ROUTE, index=0,
              new_message=True):
    """Run a route of *script* on *msg*; return the run flags (route.*_R_F)."""
    fn = script.tables.get(route_type, index)
    if fn is None:
        raise KeyError("route type %d index %d is not defined"
                       % (route_type, index))
    if new_message:
        route.reset_msg_context()
    try:
        return route.run_top_route(fn, route_type, msg)
    finally:
        # as receive_msg: post-script callbacks (tm drops its reference)
        if msg.is_request:
            script_cb.exec_post_req_cb(msg)
        else:
            script_cb.exec_post_rpl_cb(msg)
