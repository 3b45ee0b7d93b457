"""IPv6 end to end: listen on [::1] (UDP, TCP, TLS), ``af==INET6``,
``$si`` printing IPv6, REGISTER and a call on ::1, and relaying between
IPv4 and IPv6 sockets (the socket of the destination's family is chosen;
rr double-record-routes across the two)."""
import socket
import uuid

import pytest

from tests.transport.conftest import (free_port, has_ipv6, header, headers,
                                      options, tls_client, udp_ask)

pytestmark = pytest.mark.skipif(not has_ipv6(), reason="no IPv6 loopback")

ROUTE = r'''
route {
    if (loose_route()) {
        if (!t_relay()) { sl_reply_error(); }
        exit;
    }
    if (method == "OPTIONS") {
        if (af == INET6) { sl_send_reply("200", "v6 $si $pr $Ri"); exit; }
        sl_send_reply("200", "v4 $si $pr $Ri");
        exit;
    }
    if (method == "REGISTER") { save("location"); exit; }
    if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    record_route();
    if (af == INET6) { append_hf("X-AF: inet6\r\n"); }
    else { append_hf("X-AF: inet\r\n"); }
    append_hf("X-Src: $si\r\n");
    if (!t_relay()) { sl_reply_error(); }
}
'''


def cfg(p4, p6, pki, tls6):
    return """debug=3
children=1
tcp_children=1
listen=udp:127.0.0.1:%d
listen=udp:[::1]:%d
listen=tcp:[::1]:%d
listen=tls:[::1]:%d
disable_tls=no
tls_certificate="%s"
tls_private_key="%s"
tls_ca_list="%s"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
modparam("usrloc", "db_mode", 0)
%s""" % (p4, p6, p6, tls6, pki.server, pki.server_key, pki.ca, ROUTE)


@pytest.fixture
def v6_server(sip_server, pki):
    p4, p6, tls6 = free_port(), free_port(), free_port()
    srv = sip_server(cfg(p4, p6, pki, tls6), ready=("127.0.0.1", p4))
    srv.p4, srv.p6, srv.tls6 = p4, p6, tls6
    return srv


class UdpUA:
    """A UDP endpoint on 127.0.0.1 or ::1."""

    def __init__(self, host):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(5)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.ref = "[%s]" % host if ":" in host else host

    def send(self, data, addr):
        self.sock.sendto(data, addr)

    def recv(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            data, addr = self.sock.recvfrom(65535)
        except socket.timeout:
            return None, None
        return data.decode("latin-1"), addr

    def recv_until(self, pred, timeout=5):
        seen = []
        for _ in range(20):
            msg, addr = self.recv(timeout)
            if msg is None:
                break
            seen.append(msg)
            if pred(msg):
                return msg, addr, seen
        return None, None, seen

    def close(self):
        self.sock.close()


def _status(msg):
    return int(msg.split(" ", 2)[1]) if msg and msg.startswith("SIP/2.0") \
        else None


def _req(method, ruri, ua, call_id, cseq, to_tag=None, route=None,
         contact=None, user="alice"):
    lines = ["%s %s SIP/2.0" % (method, ruri),
             "Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK%s"
             % (ua.ref, ua.port, uuid.uuid4().hex[:12]),
             "From: <sip:%s@example.com>;tag=%s1" % (user, user),
             "To: <sip:bob@example.com>%s" % (";tag=" + to_tag if to_tag
                                              else ""),
             "Call-ID: %s" % call_id, "CSeq: %d %s" % (cseq, method),
             "Max-Forwards: 70"]
    for r in route or ():
        lines.append("Route: %s" % r)
    if contact:
        lines.append("Contact: <%s>" % contact)
    return ("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode()


def _answer(req, code, reason, contact=None):
    out = ["SIP/2.0 %d %s" % (code, reason)]
    for line in req.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        k = line.partition(":")[0].strip().lower()
        if k in ("via", "from", "call-id", "cseq", "record-route"):
            out.append(line)
        elif k == "to":
            out.append(line if ";tag=" in line else line + ";tag=bob1")
    if contact:
        out.append("Contact: <%s>" % contact)
    return ("\r\n".join(out) + "\r\nContent-Length: 0\r\n\r\n").encode()


def test_listen_ipv6_udp_tcp_tls(v6_server, pki):
    srv = v6_server
    rpl = udp_ask("::1", srv.p6, options("[::1]", srv.p6))
    assert rpl is not None and rpl.startswith(
        b"SIP/2.0 200 v6 ::1 UDP ::1\r\n")
    rpl = udp_ask("127.0.0.1", srv.p4, options("127.0.0.1", srv.p4))
    assert rpl.startswith(
        b"SIP/2.0 200 v4 127.0.0.1 UDP 127.0.0.1\r\n")
    with socket.create_connection(("::1", srv.p6), timeout=5) as s:
        s.sendall(options("[::1]", srv.p6, "TCP", "[::1]", 9))
        data = s.recv(4096)
        assert data.startswith(b"SIP/2.0 200 v6 ::1 TCP ::1\r\n"), data
    peer = tls_client("::1", srv.tls6, pki)
    try:
        peer.send(options("[::1]", srv.tls6, "TLS", "[::1]", 9))
        rpl = peer.recv_msg(5)
        assert rpl is not None and rpl.startswith(
            "SIP/2.0 200 v6 ::1 TLS ::1\r\n"), (rpl, srv.output())
    finally:
        peer.close()


def _register(ua, server_addr):
    call_id = uuid.uuid4().hex
    reg = _req("REGISTER", "sip:example.com", ua, call_id, 1,
               contact="sip:bob@%s:%d" % (ua.ref, ua.port), user="bob")
    reg = reg.replace(b"<sip:bob@%s:%d>" % (ua.ref.encode(), ua.port),
                      b"<sip:bob@%s:%d>;expires=300" % (ua.ref.encode(),
                                                        ua.port))
    ua.send(reg, server_addr)
    rpl, _ = ua.recv()
    return rpl


@pytest.mark.parametrize("caller_host,bob_host", [
    ("::1", "::1"), ("127.0.0.1", "::1"), ("::1", "127.0.0.1")])
def test_call_across_families(v6_server, caller_host, bob_host):
    """bob registers on *bob_host*, alice calls from *caller_host*: the
    request leaves from the socket of bob's family, replies and in-dialog
    requests cross back (IPv4 <-> IPv6 relaying)."""
    srv = v6_server
    bob, alice = UdpUA(bob_host), UdpUA(caller_host)
    port_of = {"::1": srv.p6, "127.0.0.1": srv.p4}
    try:
        rpl = _register(bob, (bob_host, port_of[bob_host]))
        assert _status(rpl) == 200, rpl
        bob_uri = "sip:bob@%s:%d" % (bob.ref, bob.port)
        assert "%s:%d" % (bob.ref, bob.port) in header(rpl, "Contact")
        entry = (caller_host, port_of[caller_host])
        call_id = uuid.uuid4().hex
        alice.send(_req("INVITE", "sip:bob@example.com", alice, call_id, 1,
                        contact="sip:alice@%s:%d" % (alice.ref, alice.port)),
                   entry)
        inv, src = bob.recv()
        assert inv is not None and inv.startswith(
            "INVITE %s SIP/2.0" % bob_uri), (inv, srv.output())
        # sent from the socket of bob's family, advertised in the Via
        assert src[0] == bob_host and src[1] == port_of[bob_host]
        assert headers(inv, "Via")[0].startswith(
            "SIP/2.0/UDP %s:%d;" % (bob.ref, port_of[bob_host]))
        v6 = caller_host == "::1"
        assert header(inv, "X-AF") == ("inet6" if v6 else "inet")
        assert header(inv, "X-Src") == caller_host
        rr = ",".join(headers(inv, "Record-Route"))
        assert "%s:%d" % (bob.ref, port_of[bob_host]) in rr, rr
        if caller_host != bob_host:     # double Record-Route: in and out
            assert "%s:%d" % (alice.ref, port_of[caller_host]) in rr, rr
        bob.send(_answer(inv, 180, "Ringing"), src)
        bob.send(_answer(inv, 200, "OK", bob_uri), src)
        ok, asrc, seen = alice.recv_until(lambda m: _status(m) == 200)
        assert ok is not None, (seen, srv.output())
        assert asrc[0] == caller_host and asrc[1] == entry[1]
        assert 180 in [_status(m) for m in seen]
        route = list(reversed(headers(ok, "Record-Route")))
        routes = [r for v in route for r in v.split(",")]
        alice.send(_req("ACK", bob_uri, alice, call_id, 1, "bob1", routes),
                   entry)
        alice.send(_req("BYE", bob_uri, alice, call_id, 2, "bob1", routes),
                   entry)
        got = []
        for _ in range(2):
            m, src2 = bob.recv()
            assert m is not None, (got, srv.output())
            got.append(m)
        assert [m.split(" ", 1)[0] for m in got] == ["ACK", "BYE"]
        assert src2 == src
        bob.send(_answer(got[1], 200, "OK"), src2)
        ok2, _, seen = alice.recv_until(
            lambda m: _status(m) == 200 and "BYE" in header(m, "CSeq"))
        assert ok2 is not None, (seen, srv.output())
    finally:
        bob.close()
        alice.close()


SIPP_ROUTE = r'''
route {
    if (method == "REGISTER") { save("location"); exit; }
    if (method == "OPTIONS") { sl_send_reply("200", "OK"); exit; }
    if (uri =~ "^sip:service@") {
        rewritehostport("[::1]:%d");
        if (!t_relay()) { sl_reply_error(); }
        exit;
    }
    sl_send_reply("404", "Not Found");
}
'''


def _sipp(args, cwd, timeout=40):
    import subprocess
    return subprocess.run(args, cwd=cwd, capture_output=True,
                          timeout=timeout)


def test_sipp_register_and_call_on_ipv6(sip_server, pki, tmp_path):
    """sipp on ::1: 5 REGISTERs, then 5 calls through the server to a
    sipp UAS on ::1 (the built-in uac/uas scenarios)."""
    import subprocess
    import time

    from tests.conftest import require_tool
    from tests.sipp_support import scenario
    sipp = require_tool("sipp", "sip-tester")
    p4, p6, tls6, uas_port = free_port(), free_port(), free_port(), \
        free_port()
    text = cfg(p4, p6, pki, tls6).replace(ROUTE, SIPP_ROUTE % uas_port)
    srv = sip_server(text, ready=("127.0.0.1", p4))
    inf = tmp_path / "users.csv"
    inf.write_text("SEQUENTIAL\n" + "".join(
        "user%d;example.com;x\n" % i for i in range(5)))
    reg = _sipp([sipp, "-sf", scenario("reg"), "-inf", str(inf), "-m", "5",
                 "-r", "10", "-i", "::1", "-p", str(free_port()), "-t", "u1",
                 "-nostdin", "-timeout", "20s", "[::1]:%d" % p6],
                str(tmp_path))
    assert reg.returncode == 0, (reg.stdout[-2000:], srv.output())
    uas = subprocess.Popen([sipp, "-sn", "uas", "-i", "::1", "-p",
                            str(uas_port), "-m", "5", "-nostdin",
                            "-timeout", "30s"], cwd=str(tmp_path),
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        uac = _sipp([sipp, "-sn", "uac", "-i", "::1", "-p",
                     str(free_port()), "-m", "5", "-r", "5", "-nostdin",
                     "-timeout", "20s", "-s", "service", "[::1]:%d" % p6],
                    str(tmp_path))
        assert uac.returncode == 0, (uac.stdout[-2000:], srv.output())
        assert uas.wait(15) == 0
    finally:
        if uas.poll() is None:
            uas.kill()
            uas.wait(5)
