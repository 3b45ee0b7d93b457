"""A transaction created by one process, its replies handled by another.

The proxy listens on two UDP sockets, one receiver each.  Requests arrive
on socket A; ``force_send_socket`` sends the branch out of socket B, so
the callee's replies arrive on B and are read by B's receiver -- a
different process, which must find the transaction in the shm table,
relay the 180 and the 200, and stop the INVITE's retransmissions.  The
script logs ``$pp`` (the process id) in the request route and in the
onreply_route, so the test sees which processes did the work.  A CANCEL
arriving on A for a branch whose replies come in on B completes too.
"""
import re
import socket
import uuid

import pytest

from tests.conftest import free_port

CFG = """debug=3
children=1
disable_tcp=yes
listen=udp:127.0.0.1:%(a)d
listen=udp:127.0.0.1:%(b)d
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "xlog.so"
route {
    if (method == "OPTIONS") {
        sl_send_reply("200", "OK");
        exit;
    }
    xlog("L_NOTICE", "REQ $rm pid=$pp\\n");
    if (method == "INVITE" || method == "CANCEL") {
        force_send_socket(udp:127.0.0.1:%(b)d);
    }
    t_on_reply("1");
    if (!t_relay("udp:127.0.0.1:%(uas)d")) {
        sl_reply_error();
    }
    exit;
}
onreply_route[1] {
    xlog("L_NOTICE", "RPL $rs pid=$pp\\n");
}
"""


class Peer:
    """A UDP socket playing caller or callee."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.s.settimeout(5)
        self.port = self.s.getsockname()[1]

    def send(self, data, port):
        self.s.sendto(data.encode() if isinstance(data, str) else data,
                      ("127.0.0.1", port))

    def recv(self):
        data, addr = self.s.recvfrom(65535)
        return data.decode("latin-1"), addr

    def close(self):
        self.s.close()


def invite(port, caller_port, callid, branch):
    return ("INVITE sip:bob@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;rport;branch=%s\r\n"
            "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
            "To: <sip:bob@127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
            "Contact: <sip:alice@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
            % (port, caller_port, branch, callid, caller_port))


def reply_to(req, code, reason, to_tag="b1"):
    """A reply built from the callee's received request."""
    head = req.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = [h for h in head[1:] if h.split(":", 1)[0].lower() in
            ("via", "from", "call-id", "cseq")]
    to = [h for h in head if h.lower().startswith("to:")][0]
    return ("SIP/2.0 %d %s\r\n%s\r\n%s;tag=%s\r\n"
            "Contact: <sip:bob@127.0.0.1>\r\nContent-Length: 0\r\n\r\n"
            % (code, reason, "\r\n".join(keep), to, to_tag))


@pytest.fixture
def proxy(openser):
    caller, callee = Peer(), Peer()
    b = free_port()
    srv = openser("", start=False)
    srv.cfg.write_text(CFG % dict(a=srv.port, b=b, uas=callee.port))
    srv.start()
    yield srv, b, caller, callee
    caller.close()
    callee.close()


def pids(log, kind):
    return {int(p) for p in re.findall(r"%s \S+ pid=(\d+)" % kind, log)}


def test_replies_on_another_process_find_the_transaction(proxy):
    srv, b, caller, callee = proxy
    callid = uuid.uuid4().hex
    caller.send(invite(srv.port, caller.port, callid, "z9hG4bKx1"), srv.port)
    assert caller.recv()[0].startswith("SIP/2.0 100")
    req, src = callee.recv()
    assert req.startswith("INVITE ") and src[1] == b      # out of socket B
    callee.send(reply_to(req, 180, "Ringing"), b)
    assert caller.recv()[0].startswith("SIP/2.0 180 Ringing")
    callee.send(reply_to(req, 200, "OK"), b)
    rpl = caller.recv()[0]
    assert rpl.startswith("SIP/2.0 200 OK") and callid in rpl
    # the 2xx ended the branch: no INVITE retransmission reaches the callee
    callee.s.settimeout(1.2)
    with pytest.raises(socket.timeout):
        callee.recv()
    log = srv.output()
    req_pids, rpl_pids = pids(log, "REQ"), pids(log, "RPL")
    assert len(req_pids) == 1 and len(rpl_pids) == 1, log[-2000:]
    assert req_pids != rpl_pids, log[-2000:]
    assert req_pids | rpl_pids <= srv.all_pids()


def test_cancel_on_one_socket_487_from_the_other(proxy):
    srv, b, caller, callee = proxy
    callid = uuid.uuid4().hex
    inv = invite(srv.port, caller.port, callid, "z9hG4bKc1")
    caller.send(inv, srv.port)
    assert caller.recv()[0].startswith("SIP/2.0 100")
    req, _ = callee.recv()
    callee.send(reply_to(req, 180, "Ringing"), b)
    assert caller.recv()[0].startswith("SIP/2.0 180")
    cancel = inv.replace("INVITE sip:", "CANCEL sip:", 1).replace(
        "CSeq: 1 INVITE", "CSeq: 1 CANCEL")
    caller.send(cancel, srv.port)
    assert caller.recv()[0].startswith("SIP/2.0 200")      # to the CANCEL
    msg, src = callee.recv()
    assert msg.startswith("CANCEL ") and src[1] == b, msg
    callee.send(reply_to(msg, 200, "canceling"), b)
    callee.send(reply_to(req, 487, "Request Terminated"), b)
    final = caller.recv()[0]
    assert final.startswith("SIP/2.0 487"), final
