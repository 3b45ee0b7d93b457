"""TLS contexts from the tls_* parameters (safe defaults), the record
pump's bounds, server domains, start-up errors and the -V build string."""
import socket
import ssl
import subprocess
import sys
import time

import pytest

from openser_py import version
from openser_py.core.coreparams import SocketId, TlsDomain
from openser_py.core.ip_addr import PROTO_TLS
from openser_py.core.socket_info import SocketError, build_socket_list
from openser_py.core.tls import TlsConfigError, tls_init
from openser_py.core.tls.pump import BUF_LIMIT, TlsClosed, TlsPump
from tests.conftest import ROOT
from tests.transport.conftest import free_port, options, tls_client


def _params(pki, **kw):
    p = {"tls_certificate": pki.server, "tls_private_key": pki.server_key,
         "tls_ca_list": pki.ca}
    p.update(kw)
    return p


def test_defaults_are_safe(pki):
    ctxs = tls_init(_params(pki))
    for ctx in (ctxs.server, ctxs.client):
        assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
        names = [c["name"] for c in ctx.get_ciphers()]
        assert names and not any(w in n for n in names
                                 for w in ("RC4", "DES-CBC3", "NULL", "MD5"))
    assert ctxs.client.verify_mode == ssl.CERT_REQUIRED
    assert ctxs.server.verify_mode == ssl.CERT_OPTIONAL   # CA list given
    assert ctxs.handshake_timeout == 30 and ctxs.send_timeout == 30
    # SSLv23 / TLSv1 still mean TLS 1.2+
    assert tls_init(_params(pki, tls_method="TLSv1")).server \
        .minimum_version == ssl.TLSVersion.TLSv1_2


@pytest.mark.parametrize("kw,needle", [
    ({"tls_method": "SSLv3"}, "tls_method SSLv3"),
    ({"tls_method": "SSLv2"}, "tls_method SSLv2"),
    ({"tls_certificate": "/nonexistent/cert.pem"}, "not found"),
    ({"tls_require_client_certificate": 1, "tls_ca_list": None},
     "needs tls_ca_list"),
    ({"tls_ciphers_list": "NO-SUCH-CIPHER"}, "tls_ciphers_list"),
])
def test_bad_parameters_are_refused(pki, kw, needle):
    with pytest.raises(TlsConfigError, match=needle):
        tls_init(_params(pki, **kw))


def test_weak_ciphers_are_removed_from_a_given_list(pki):
    ctxs = tls_init(_params(pki, tls_ciphers_list="ALL:eNULL:RC4"))
    names = [c["name"] for c in ctxs.server.get_ciphers()]
    assert names and not any("NULL" in n or "RC4" in n for n in names)


def test_verify_switches(pki):
    ctxs = tls_init(_params(pki, tls_verify_server=0, tls_verify_client=0))
    assert ctxs.client.verify_mode == ssl.CERT_NONE
    assert ctxs.server.verify_mode == ssl.CERT_NONE
    ctxs = tls_init(_params(pki, tls_require_client_certificate=1))
    assert ctxs.server.verify_mode == ssl.CERT_REQUIRED


def test_domains_by_address(pki):
    doms = [TlsDomain("tls_server_domain", SocketId(None, "127.0.0.2", 5061),
                      {"tls_certificate": pki.rogue,
                       "tls_private_key": pki.rogue_key}),
            TlsDomain("tls_client_domain", SocketId(None, "10.0.0.1", 5061),
                      {"tls_verify_server": 0}),
            TlsDomain("tls_client_domain", "byname", {})]
    ctxs = tls_init(_params(pki), doms)
    assert ctxs.server_ctx("127.0.0.2", 5061) is not ctxs.server
    assert ctxs.server_ctx("127.0.0.1", 5061) is ctxs.server
    assert ctxs.client_ctx("10.0.0.1", 5061).verify_mode == ssl.CERT_NONE
    assert ctxs.client_ctx("10.0.0.2", 5061) is ctxs.client


def test_tls_listen_needs_tls_enabled():
    with pytest.raises(SocketError, match="disable_tls=no"):
        build_socket_list([("tls", "127.0.0.1", 5061)], tls_enabled=False)
    socks = build_socket_list([("tls", "[::1]", 5061), (None, "127.0.0.1",
                                                        None)],
                              tls_enabled=True)
    assert [str(s) for s in socks] == ["tls:[::1]:5061", "udp:127.0.0.1:5060",
                                      "tcp:127.0.0.1:5060",
                                      "tls:127.0.0.1:5061"]
    assert socks[0].proto == PROTO_TLS


def test_version_string_says_tls():
    assert version.RELEASE == "1.3.1-tls"
    out = subprocess.run([sys.executable, "-m", "openser_py.main", "-V"],
                         capture_output=True, text=True, cwd=ROOT,
                         timeout=60).stdout
    assert out.startswith("version: openser 1.3.1-tls (")
    assert "USE_TLS" in out.splitlines()[1]


# -- the pump in isolation: bounded memory and time ---------------------------

def _pump_pair(pki):
    ctxs = tls_init(_params(pki))
    a, b = socket.socketpair()
    a.setblocking(False)
    now = time.monotonic()
    pump = TlsPump(a, ctxs.server, True, now)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.load_verify_locations(pki.ca)
    return pump, b, cctx


def test_pump_handshake_and_bounded_buffers(pki):
    pump, b, cctx = _pump_pair(pki)
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    cli = cctx.wrap_bio(inb, outb)
    b.setblocking(False)
    done = False
    for _ in range(50):                       # drive both ends by hand
        try:
            cli.do_handshake()
        except ssl.SSLWantReadError:
            pass
        if outb.pending:
            b.sendall(outb.read())
        done = pump.service(time.monotonic(), net_readable=True) or done
        try:
            inb.write(b.recv(65536))
        except BlockingIOError:
            pass
        if done and pump.established:
            break
    assert done and pump.established
    # the server side writes far more than the peer ever reads: the
    # ciphertext queue stops growing at BUF_LIMIT (+ one read's worth)
    pump.user.setblocking(False)
    blob = b"x" * 65536
    for _ in range(200):
        try:
            pump.user.send(blob)
        except BlockingIOError:
            pass
        pump.service(time.monotonic(), app_readable=True)
        if not pump.app_mask() & 1:
            break
    assert len(pump.net_out) < BUF_LIMIT + 2 * 65536 + 4096
    assert not pump.app_mask() & 1        # stopped reading the app side
    assert pump.stalled(time.monotonic() + 31, 30)
    pump.close()
    b.close()
    pump.user.close()


def test_pump_refuses_plain_text(pki):
    pump, b, _ = _pump_pair(pki)
    b.sendall(b"OPTIONS sip:x SIP/2.0\r\n\r\n")
    with pytest.raises(TlsClosed, match="handshake failed"):
        pump.service(time.monotonic(), net_readable=True)
    pump.close()
    b.close()
    pump.user.close()


# -- a real server ------------------------------------------------------------

def test_server_domain_picks_certificate(sip_server, pki):
    udp, t1, t2 = free_port(), free_port(), free_port()
    text = """debug=3
children=1
tcp_children=1
listen=udp:127.0.0.1:%d
listen=tls:127.0.0.1:%d
listen=tls:127.0.0.1:%d
disable_tls=no
tls_certificate="%s"
tls_private_key="%s"
tls_ca_list="%s"
tls_server_domain[127.0.0.1:%d] {
    tls_certificate="%s"
    tls_private_key="%s"
}
loadmodule "sl.so"
route { sl_send_reply("200", "OK"); }
""" % (udp, t1, t2, pki.server, pki.server_key, pki.ca, t2, pki.rogue,
       pki.rogue_key)
    srv = sip_server(text, ready=("127.0.0.1", udp))
    peer = tls_client("127.0.0.1", t1, pki)
    peer.send(options("127.0.0.1", t1, "TLS"))
    assert peer.recv_msg(5).startswith("SIP/2.0 200")
    peer.close()
    # the domain's certificate is not from our CA: verification fails,
    # and without verification its subject is the rogue one
    with pytest.raises(ssl.SSLError):
        tls_client("127.0.0.1", t2, pki)
    peer = tls_client("127.0.0.1", t2, pki, verify=False)
    der = peer.sock.getpeercert(binary_form=True)
    peer.close()
    assert der == ssl.PEM_cert_to_DER_cert(open(pki.rogue).read())
    assert srv.stop() == 0


def test_missing_certificate_stops_startup(sip_server, pki, tmp_path):
    udp, tls = free_port(), free_port()
    text = """listen=udp:127.0.0.1:%d
listen=tls:127.0.0.1:%d
disable_tls=no
tls_certificate="%s/none.pem"
loadmodule "sl.so"
route { sl_send_reply("200", "OK"); }
""" % (udp, tls, tmp_path)
    srv = sip_server(text, ready=("127.0.0.1", udp), start=False)
    assert srv.start(expect_fail=True) != 0
    assert "TLS certificate file %s/none.pem not found" % tmp_path in \
        srv.output()


def test_tls_listen_with_tls_disabled_is_a_config_error(sip_server, pki):
    udp = free_port()
    text = """listen=udp:127.0.0.1:%d
listen=tls:127.0.0.1:%d
loadmodule "sl.so"
route { sl_send_reply("200", "OK"); }
""" % (udp, free_port())
    srv = sip_server(text, ready=("127.0.0.1", udp), start=False)
    assert srv.start(expect_fail=True) != 0
    assert "disable_tls=no" in srv.output()
