"""Helpers for the stateful-proxy tests: a loaded config, a fake clock,
messages fed through ``receive_msg`` and everything sent recorded."""
from openser_py.core import forward, statistics
from openser_py.core.ip_addr import PROTO_UDP, ReceiveInfo
from openser_py.core.receive import receive_msg
from openser_py.core.scriptrun import SendRecorder, load_script
from openser_py.core.script_state import state
from openser_py.modules.tm import t_state, t_timer
from openser_py.parser.msg import parse_msg

UAC = ("192.0.2.99", 5062)
HEAD = ('listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\nloadmodule "tm.so"\n'
        'loadmodule "xlog.so"\nloadmodule "textops.so"\n')


def request(method="INVITE", ruri="sip:bob@10.0.0.2", callid="c1@example.com",
            cseq=7, branch="z9hG4bKabc123", to_tag=None, extra=""):
    """A request as the UAC at ``UAC`` sends it."""
    to = "<sip:bob@example.com>" + (";tag=%s" % to_tag if to_tag else "")
    return ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=%s\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
            "To: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n%sContent-Length: 0"
            "\r\n\r\n" % (method, ruri, UAC[0], UAC[1], branch, to, callid,
                          cseq, method, extra)).encode()


def reply_to(req_bytes, code, reason, to_tag="b2"):
    """The reply a downstream UAS sends to the request we forwarded."""
    req = parse_msg(req_bytes)
    lines = ["SIP/2.0 %d %s" % (code, reason)]
    for hf in req.headers:
        name = req.hdr_text[hf.start:hf.end].rstrip("\r\n")
        low = hf.name.lower()
        if low in ("via", "v", "from", "call-id", "cseq"):
            lines.append(name)
        elif low == "to":
            lines.append(name + (";tag=%s" % to_tag if to_tag and code > 100
                                 and "tag=" not in name else ""))
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def first_line(data):
    """The first line of a sent message, as text."""
    return data.split(b"\r\n", 1)[0].decode()


def header(data, name):
    """Every value of header ``name`` in ``data``."""
    out = []
    for line in data.decode().split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            out.append(line.split(":", 1)[1].strip())
    return out


class Proxy:
    """One loaded config with a fake tm clock."""

    def __init__(self, routes, params=""):
        self.clock = 1000.0
        self._old_clock = t_state.set_clock(lambda: self.clock)
        statistics.reset_registry()
        state.reset()
        self.script = load_script(HEAD + params + routes)
        self.sock = forward.get_sockets()[0]

    def close(self):
        """Restore the clock and free the shm structures."""
        t_state.set_clock(self._old_clock)
        t_state.tm_destroy()
        statistics.reset_registry()

    def _feed(self, data, src):
        rcv = ReceiveInfo(src[0], src[1], "127.0.0.1", 5060, PROTO_UDP,
                          self.sock)
        with SendRecorder() as rec:
            receive_msg(data, rcv)
        return rec.sent

    def uac(self, data):
        """A message from the UAC side; what we sent in response."""
        return self._feed(data, UAC)

    def uas(self, data, src=("10.0.0.2", 5060)):
        """A message from a downstream UAS; what we sent."""
        return self._feed(data, src)

    def advance(self, seconds):
        """Let ``seconds`` pass (in wheel ticks); what the timers sent."""
        sent = []
        end = self.clock + seconds
        with SendRecorder() as rec:
            while self.clock < end:
                self.clock = min(end, self.clock + t_state.TIMER_RESOLUTION)
                t_timer.run_timers(self.clock)
        sent.extend(rec.sent)
        return sent

    def stat(self, name):
        """A tm statistic."""
        return statistics.get_stat(name, "tm").get()

    def inuse(self):
        """Transactions in the table."""
        return t_state.rt.table.count()


def wait_mi_fifo(srv, fifo, reply_dir, timeout=15):
    """Wait until the started server ``srv`` answers ``:version:`` on its
    MI FIFO; close it and fail with its output if it never does."""
    import time

    from openser_py.ctl.mi_client import MiClientError
    from openser_py.ctl.mi_client.fifo import fifo_request
    deadline = time.monotonic() + timeout
    while True:
        try:
            fifo_request(fifo, ":version:\n\n", 2, reply_dir=reply_dir)
            return
        except MiClientError:
            if time.monotonic() > deadline:
                srv.close()
                raise AssertionError("no MI FIFO:\n" + srv.output())
            time.sleep(0.05)
