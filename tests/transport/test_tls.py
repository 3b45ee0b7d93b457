"""SIP over TLS end to end: a real server, Python ssl clients and a TLS UAS.

Covers REGISTER and a whole call (INVITE/180/200/ACK/BYE) relayed by tm
from a TLS client to a TLS UAS the server connects to (its certificate
verified), connection reuse for replies and in-dialog requests,
``proto==TLS``/``$pr``, mutual TLS (required / refused), verification of
the UAS certificate, and a stalled handshake that costs no worker.
"""
import socket
import ssl
import time
import uuid

import pytest

from tests.transport.conftest import (TlsUas, free_port, header, headers,
                                      options, tls_client)

ROUTE = r'''
route {
    if (loose_route()) {
        if (!t_relay()) { sl_reply_error(); }
        exit;
    }
    if (method == "OPTIONS") {
        if (proto == TLS) { sl_send_reply("200", "TLS $pr"); exit; }
        sl_send_reply("200", "OK $pr");
        exit;
    }
    if (method == "REGISTER") { save("location"); exit; }
    if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    record_route();
    append_hf("X-Received-Proto: $pr\r\n");
    if (!t_relay()) { sl_reply_error(); }
}
'''


def server_cfg(pki, udp_port, tls_port, extra=""):
    """Config text: UDP (readiness) + TLS on 127.0.0.1, registrar, tm."""
    return """debug=3
children=1
tcp_children=2
listen=udp:127.0.0.1:%d
listen=tls:127.0.0.1:%d
disable_tls=no
tls_certificate="%s"
tls_private_key="%s"
tls_ca_list="%s"
%s
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "xlog.so"
modparam("usrloc", "db_mode", 0)
%s""" % (udp_port, tls_port, pki.server, pki.server_key, pki.ca, extra,
         ROUTE)


@pytest.fixture
def tls_server(sip_server, pki):
    """Factory: ``tls_server(extra="")`` -> (server, tls_port)."""
    def make(extra=""):
        udp, tls = free_port(), free_port()
        srv = sip_server(server_cfg(pki, udp, tls, extra),
                         ready=("127.0.0.1", udp))
        return srv, tls
    return make


def _request(method, ruri, cport, call_id, cseq, to_tag=None, route=None,
             contact=None, extra=""):
    lines = ["%s %s SIP/2.0" % (method, ruri),
             "Via: SIP/2.0/TLS 127.0.0.1:%d;rport;branch=z9hG4bK%s"
             % (cport, uuid.uuid4().hex[:12]),
             "From: <sip:alice@example.com>;tag=alice1",
             "To: <sip:bob@example.com>%s" % (";tag=" + to_tag if to_tag
                                              else ""),
             "Call-ID: %s" % call_id,
             "CSeq: %d %s" % (cseq, method if method != "ACK" else "ACK"),
             "Max-Forwards: 70"]
    if route:
        lines.append("Route: %s" % route)
    if contact:
        lines.append("Contact: <%s>" % contact)
    return ("\r\n".join(lines) + "\r\n" + extra + "Content-Length: 0\r\n\r\n"
            ).encode()


def _status(msg):
    return int(msg.split(" ", 2)[1]) if msg and msg.startswith("SIP/2.0") \
        else None


def _register(tls_port, pki, contact, user="bob"):
    reg = tls_client("127.0.0.1", tls_port, pki)
    try:
        cport = reg.sock.getsockname()[1]
        reg.send(("REGISTER sip:example.com SIP/2.0\r\n"
                  "Via: SIP/2.0/TLS 127.0.0.1:%d;rport;branch=z9hG4bK%s\r\n"
                  "From: <sip:%s@example.com>;tag=r1\r\n"
                  "To: <sip:%s@example.com>\r\nCall-ID: %s\r\n"
                  "CSeq: 1 REGISTER\r\nContact: <%s>;expires=300\r\n"
                  "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                  % (cport, uuid.uuid4().hex[:12], user, user,
                     uuid.uuid4().hex, contact)).encode())
        return reg.recv_msg(5)
    finally:
        reg.close()


def test_options_over_tls_reports_tls(tls_server, pki):
    srv, port = tls_server()
    peer = tls_client("127.0.0.1", port, pki)
    try:
        assert peer.sock.version() in ("TLSv1.2", "TLSv1.3")
        peer.send(options("127.0.0.1", port, "TLS"))
        rpl = peer.recv_msg(5)
        assert rpl is not None, srv.output()
        # proto==TLS matched and $pr printed "TLS"
        assert rpl.startswith("SIP/2.0 200 TLS TLS\r\n"), rpl
        # pipelining two requests on the same connection
        peer.send(options("127.0.0.1", port, "TLS") * 2)
        assert _status(peer.recv_msg(5)) == 200
        assert _status(peer.recv_msg(5)) == 200
    finally:
        peer.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_old_protocol_versions_are_refused(tls_server, pki):
    srv, port = tls_server()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    with pytest.raises((ssl.SSLError, OSError)):
        ctx.wrap_socket(raw)
    raw.close()
    # the server is still fine
    peer = tls_client("127.0.0.1", port, pki)
    peer.send(options("127.0.0.1", port, "TLS"))
    assert _status(peer.recv_msg(5)) == 200
    peer.close()


@pytest.mark.parametrize("form", ["sip:bob@127.0.0.1:%d;transport=tls",
                                  "sips:bob@127.0.0.1:%d"])
def test_register_and_call_over_tls(tls_server, pki, form):
    srv, port = tls_server()
    uas = TlsUas(pki)
    uas.start()
    caller = None
    try:
        contact = form % uas.port
        rpl = _register(port, pki, contact)
        assert _status(rpl) == 200, (rpl, srv.output())
        assert contact in header(rpl, "Contact")
        caller = tls_client("127.0.0.1", port, pki)
        cport = caller.sock.getsockname()[1]
        call_id = uuid.uuid4().hex
        caller.send(_request("INVITE", "sip:bob@example.com", cport, call_id,
                             1, contact="sip:alice@127.0.0.1:%d;transport=tls"
                             % cport))
        ok, seen = caller.recv_until(lambda m: _status(m) == 200, 10)
        assert ok is not None, (seen, srv.output())
        codes = [_status(m) for m in seen]
        assert 180 in codes, codes
        # the UAS got the INVITE over the server's own TLS connection
        inv = [r for r in uas.requests if r.startswith("INVITE")]
        assert len(inv) == 1
        assert inv[0].startswith("INVITE %s SIP/2.0" % contact)
        vias = headers(inv[0], "Via")
        assert vias[0].startswith("SIP/2.0/TLS 127.0.0.1:%d;" % port), vias
        assert header(inv[0], "X-Received-Proto") == "TLS"
        rr = headers(ok, "Record-Route")
        assert rr and "transport=tls" in rr[0] and ":%d" % port in rr[0], rr
        # in-dialog: ACK and BYE through the Record-Route, same connections
        route = rr[0]
        caller.send(_request("ACK", contact, cport, call_id, 1, "uas1",
                             route))
        caller.send(_request("BYE", contact, cport, call_id, 2, "uas1",
                             route))
        bye_ok, seen = caller.recv_until(
            lambda m: _status(m) == 200 and "BYE" in header(m, "CSeq"), 10)
        assert bye_ok is not None, (seen, srv.output())
        methods = [r.split(" ", 1)[0] for r in uas.requests]
        assert methods == ["INVITE", "ACK", "BYE"], methods
        assert uas.errors == []
        # one connection to the UAS, reused for ACK and BYE
        assert len(uas.peer_certs) == 1
    finally:
        if caller:
            caller.close()
        uas.stop()
    assert srv.stop() == 0, srv.output()


def test_uas_certificate_is_verified(tls_server, pki):
    """A UAS whose certificate is not signed by tls_ca_list: no call."""
    srv, port = tls_server()
    uas = TlsUas(pki, cert=pki.rogue, key=pki.rogue_key)
    uas.start()
    caller = None
    try:
        contact = "sip:bob@127.0.0.1:%d;transport=tls" % uas.port
        assert _status(_register(port, pki, contact)) == 200
        caller = tls_client("127.0.0.1", port, pki)
        cport = caller.sock.getsockname()[1]
        caller.send(_request("INVITE", "sip:bob@example.com", cport,
                             uuid.uuid4().hex, 1))
        final, seen = caller.recv_until(lambda m: (_status(m) or 0) >= 300,
                                        15)
        assert final is not None, (seen, srv.output())
        assert _status(final) >= 400
        assert uas.requests == []
        assert "certificate verify failed" in srv.output() or \
            "handshake failed" in srv.output()
    finally:
        if caller:
            caller.close()
        uas.stop()


def test_verify_server_off_allows_any_certificate(tls_server, pki):
    srv, port = tls_server("tls_verify_server=0\n")
    uas = TlsUas(pki, cert=pki.rogue, key=pki.rogue_key)
    uas.start()
    caller = None
    try:
        contact = "sip:bob@127.0.0.1:%d;transport=tls" % uas.port
        assert _status(_register(port, pki, contact)) == 200
        caller = tls_client("127.0.0.1", port, pki)
        cport = caller.sock.getsockname()[1]
        caller.send(_request("INVITE", "sip:bob@example.com", cport,
                             uuid.uuid4().hex, 1))
        ok, seen = caller.recv_until(lambda m: _status(m) == 200, 10)
        assert ok is not None, (seen, srv.output())
    finally:
        if caller:
            caller.close()
        uas.stop()


def test_mutual_tls_required(tls_server, pki):
    srv, port = tls_server("tls_require_client_certificate=1\n")
    # with a certificate from the CA: served
    good = tls_client("127.0.0.1", port, pki, cert=pki.client,
                      key=pki.client_key)
    good.send(options("127.0.0.1", port, "TLS"))
    assert _status(good.recv_msg(5)) == 200, srv.output()
    good.close()
    # no certificate, or one from another CA: refused (TLS 1.3 reports it
    # after the client's side of the handshake: on the first read)
    for cert, key in ((None, None), (pki.rogue, pki.rogue_key)):
        try:
            peer = tls_client("127.0.0.1", port, pki, cert=cert, key=key)
        except (ssl.SSLError, OSError):
            continue
        try:
            peer.send(options("127.0.0.1", port, "TLS"))
        except (ssl.SSLError, OSError):
            pass
        assert peer.recv_msg(3) is None and peer.eof
        peer.close()
    assert "TLS handshake failed" in srv.output()


def test_stalled_handshake_is_bounded(tls_server, pki):
    srv, port = tls_server("tls_handshake_timeout=2\ntcp_children=1\n")
    stalled = [socket.create_connection(("127.0.0.1", port), timeout=5)
               for _ in range(5)]
    garbage = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        garbage.sendall(b"OPTIONS sip:x SIP/2.0\r\n\r\n")
        # the only worker still serves a real client at once
        t0 = time.monotonic()
        peer = tls_client("127.0.0.1", port, pki)
        peer.send(options("127.0.0.1", port, "TLS"))
        assert _status(peer.recv_msg(3)) == 200
        assert time.monotonic() - t0 < 2.0
        peer.close()
        # plain text instead of a ClientHello: closed right away
        garbage.settimeout(2)
        assert garbage.recv(100) == b""
        # the silent ones are closed after tls_handshake_timeout (2 s)
        for s in stalled:
            s.settimeout(6)
            assert s.recv(100) == b""
        assert time.monotonic() - t0 < 6.0
        assert "TLS handshake with 127.0.0.1" in srv.output()
    finally:
        for s in stalled + [garbage]:
            s.close()


def test_uas_requiring_our_certificate(tls_server, pki):
    """Mutual TLS outgoing: the server presents tls_certificate to a UAS
    that requires a client certificate from the CA."""
    srv, port = tls_server()
    uas = TlsUas(pki, require_client_cert=True)
    uas.start()
    caller = None
    try:
        contact = "sip:bob@127.0.0.1:%d;transport=tls" % uas.port
        assert _status(_register(port, pki, contact)) == 200
        caller = tls_client("127.0.0.1", port, pki)
        cport = caller.sock.getsockname()[1]
        caller.send(_request("INVITE", "sip:bob@example.com", cport,
                             uuid.uuid4().hex, 1))
        ok, seen = caller.recv_until(lambda m: _status(m) == 200, 10)
        assert ok is not None, (seen, srv.output())
        subject = dict(x[0] for x in uas.peer_certs[0]["subject"])
        assert subject["commonName"] == "server.test"
    finally:
        if caller:
            caller.close()
        uas.stop()
