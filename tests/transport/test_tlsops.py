"""tlsops: certificate and session details of TLS connections in the script.

A real server (``listen=tls``, ``tls_verify_client`` with the test CA)
answers OPTIONS with every tlsops value in reply headers; Python ssl
clients connect with a client certificate made here (all subject fields,
every subjectAltName kind, a chosen serial), with none, and over UDP/TCP.
The expected values come from the ``openssl`` command line and the
client's own ``ssl`` socket, not from the code under test.  The DER reader
and the peer checks are also tested on their own.
"""
import json
import socket
import subprocess
import time

import pytest

from openser_py.core.tls import certinfo
from openser_py.core.tls.x509 import parse_cert, pem_first_cert
from tests.transport.conftest import (StreamPeer, free_port, header, options,
                                      tls_client, udp_ask)

SUBJECT = "/C=AT/ST=Vienna/L=Wien/O=Test Org/OU=Voice Unit/CN=alice.test"
SERIAL = 0x1234ABCD
SAN = ("email:alice@example.com,DNS:alice.example.com,"
       "URI:sip:alice@example.com,IP:127.0.0.5")

# header name -> PV; the script appends one header per entry
PVS = {
    "X-Version": "tls_version", "X-Desc": "tls_description",
    "X-Cipher": "tls_cipher_info", "X-Bits": "tls_cipher_bits",
    "X-P-Ver": "tls_peer_version", "X-M-Ver": "tls_my_version",
    "X-P-Serial": "tls_peer_serial", "X-M-Serial": "tls_my_serial",
    "X-P-Subj": "tls_peer_subject", "X-P-Iss": "tls_peer_issuer",
    "X-M-Subj": "tls_my_subject", "X-M-Iss": "tls_my_issuer",
    "X-P-CN": "tls_peer_subject_cn", "X-P-Iss-CN": "tls_peer_issuer_cn",
    "X-M-CN": "tls_my_subject_cn", "X-M-Iss-CN": "tls_my_issuer_cn",
    "X-P-L": "tls_peer_subject_locality",
    "X-P-C": "tls_peer_subject_country",
    "X-P-ST": "tls_peer_subject_state",
    "X-P-O": "tls_peer_subject_organization",
    "X-P-OU": "tls_peer_subject_unit",
    "X-P-Iss-O": "tls_peer_issuer_organization",
    "X-M-O": "tls_my_subject_organization",
    "X-P-Email": "tls_peer_san_email", "X-P-Host": "tls_peer_san_hostname",
    "X-P-URI": "tls_peer_san_uri", "X-P-IP": "tls_peer_san_ip",
    "X-M-Host": "tls_my_san_hostname", "X-M-IP": "tls_my_san_ip",
    "X-M-Email": "tls_my_san_email",
    "X-Verified": "tls_peer_verified", "X-Revoked": "tls_peer_revoked",
    "X-Expired": "tls_peer_expired", "X-Selfsigned": "tls_peer_selfsigned",
    "X-NotBefore": "tls_peer_notBefore", "X-NotAfter": "tls_peer_notAfter",
}


def _route():
    lines = ['    append_to_reply("%s: $%s\\r\\n");' % (h, pv)
             for h, pv in PVS.items()]
    return """
route {
    if (method != "OPTIONS") { sl_send_reply("501", "Not Implemented"); exit; }
%s
    if (is_peer_verified()) {
        append_to_reply("X-Fn: yes\\r\\n");
    } else {
        append_to_reply("X-Fn: no\\r\\n");
    }
    if ($tls_cipher_bits > 100) { append_to_reply("X-Bits-Int: big\\r\\n"); }
    sl_send_reply("200", "OK");
}
""" % "\n".join(lines)


def _cfg(pki, udp, tcp, tls):
    return """debug=3
children=1
tcp_children=1
listen=udp:127.0.0.1:%d
listen=tcp:127.0.0.1:%d
listen=tls:127.0.0.1:%d
disable_tls=no
tls_certificate="%s"
tls_private_key="%s"
tls_ca_list="%s"
tls_verify_client=1
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "tlsops.so"
%s""" % (udp, tcp, tls, pki.server, pki.server_key, pki.ca, _route())


def _openssl(*args, cwd=None):
    return subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                          capture_output=True, text=True, timeout=60).stdout


def _cert_facts(path):
    """Subject/issuer/serial/dates of *path* according to ``openssl``."""
    out = _openssl("x509", "-in", path, "-noout", "-subject", "-issuer",
                   "-serial", "-startdate", "-enddate", "-nameopt", "compat")
    facts = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        facts[k.strip()] = v.strip()
    facts["serial"] = int(facts["serial"], 16)
    return facts


@pytest.fixture(scope="module")
def alice(pki):
    """A client certificate signed by the test CA with every field set."""
    d = pki.dir
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
             "alice.key", "-out", "alice.csr", "-subj", SUBJECT, cwd=d)
    (d / "alice.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=clientAuth\nsubjectAltName=%s\n" % SAN)
    _openssl("x509", "-req", "-in", "alice.csr", "-CA", "ca.pem", "-CAkey",
             "ca.key", "-set_serial", str(SERIAL), "-out", "alice.pem",
             "-days", "2", "-extfile", "alice.ext", cwd=d)
    return str(d / "alice.pem"), str(d / "alice.key")


@pytest.fixture
def server(sip_server, pki):
    udp, tcp, tls = free_port(), free_port(), free_port()
    srv = sip_server(_cfg(pki, udp, tcp, tls), ready=("127.0.0.1", udp))
    return srv, udp, tcp, tls


def _ask_tls(port, pki, cert=None, key=None):
    peer = tls_client("127.0.0.1", port, pki, cert=cert, key=key)
    try:
        peer.send(options("127.0.0.1", port, "TLS"))
        rpl = peer.recv_msg(5)
        return rpl, peer.sock.version(), peer.sock.cipher()
    finally:
        peer.close()


def _values(rpl):
    assert rpl is not None and rpl.startswith("SIP/2.0 200 "), rpl
    return {h: header(rpl, h) for h in list(PVS) + ["X-Fn", "X-Bits-Int"]}


def test_client_certificate_details(server, pki, alice):
    srv, _, _, port = server
    rpl, version, cipher = _ask_tls(port, pki, *alice)
    v = _values(rpl)
    peer, mine = _cert_facts(alice[0]), _cert_facts(pki.server)
    # session
    assert v["X-Version"] == version
    assert v["X-Cipher"] == cipher[0]
    assert v["X-Bits"] == str(cipher[2])
    assert v["X-Bits-Int"] == "big"             # integer form compared
    assert v["X-Desc"].startswith(cipher[0] + " ")
    assert version in v["X-Desc"]
    # peer certificate (v3 -> 1.3's X509_get_version value "2")
    assert v["X-P-Ver"] == "2" and v["X-M-Ver"] == "2"
    assert int(v["X-P-Serial"]) == peer["serial"] == SERIAL
    assert int(v["X-M-Serial"]) == mine["serial"]
    assert v["X-P-Subj"] == peer["subject"] == SUBJECT
    assert v["X-P-Iss"] == peer["issuer"] == "/CN=openser_py test ca"
    assert v["X-P-CN"] == "alice.test"
    assert v["X-P-Iss-CN"] == "openser_py test ca"
    assert (v["X-P-L"], v["X-P-C"], v["X-P-ST"], v["X-P-O"], v["X-P-OU"]) \
        == ("Wien", "AT", "Vienna", "Test Org", "Voice Unit")
    assert v["X-P-Iss-O"] == "<null>"           # the CA name has no O
    assert v["X-P-Email"] == "alice@example.com"
    assert v["X-P-Host"] == "alice.example.com"
    assert v["X-P-URI"] == "sip:alice@example.com"
    assert v["X-P-IP"] == "127.0.0.5"
    assert v["X-NotBefore"] == peer["notBefore"]
    assert v["X-NotAfter"] == peer["notAfter"]
    # checks
    assert (v["X-Verified"], v["X-Revoked"], v["X-Expired"],
            v["X-Selfsigned"]) == ("1", "0", "0", "0")
    assert v["X-Fn"] == "yes"
    # our certificate (the server's)
    assert v["X-M-Subj"] == mine["subject"] == "/CN=server.test"
    assert v["X-M-Iss"] == mine["issuer"]
    assert v["X-M-CN"] == "server.test"
    assert v["X-M-Iss-CN"] == "openser_py test ca"
    assert v["X-M-O"] == "<null>"
    assert v["X-M-Host"] == "localhost"
    assert v["X-M-IP"] == "127.0.0.1"           # first IP SAN
    assert v["X-M-Email"] == "<null>"


def test_client_without_certificate(server, pki):
    srv, _, _, port = server
    rpl, version, cipher = _ask_tls(port, pki)
    v = _values(rpl)
    assert v["X-Version"] == version and v["X-Cipher"] == cipher[0]
    for h in ("X-P-Ver", "X-P-Serial", "X-P-Subj", "X-P-CN", "X-P-Email",
              "X-NotBefore", "X-NotAfter"):
        assert v[h] == "<null>", (h, v[h])
    assert (v["X-Verified"], v["X-Expired"], v["X-Selfsigned"]) == \
        ("0", "0", "0")
    assert v["X-Fn"] == "no"
    assert v["X-M-CN"] == "server.test"         # ours is still known


def test_rogue_certificate_never_reaches_the_script(server, pki):
    """With verification on, an unverifiable certificate fails the
    handshake, so no message carries unverified peer details."""
    import ssl
    _, _, _, port = server
    try:
        rpl, _, _ = _ask_tls(port, pki, pki.rogue, pki.rogue_key)
    except (ssl.SSLError, OSError):
        rpl = None                  # TLS 1.2: refused in the handshake
    assert rpl is None              # TLS 1.3: the alert comes after it


def test_non_tls_messages_get_null(server, pki):
    srv, udp, tcp, _ = server
    rpl = udp_ask("127.0.0.1", udp, options("127.0.0.1", udp))
    assert rpl is not None, srv.output()
    v = _values(rpl.decode("latin-1"))
    assert all(v[h] == "<null>" for h in PVS), v
    assert v["X-Fn"] == "no" and v["X-Bits-Int"] is None
    sock = socket.create_connection(("127.0.0.1", tcp), timeout=5)
    peer = StreamPeer(sock)
    try:
        peer.send(options("127.0.0.1", tcp, "TCP"))
        v = _values(peer.recv_msg(5))
    finally:
        peer.close()
    assert all(v[h] == "<null>" for h in PVS), v
    assert v["X-Fn"] == "no"


# -- the DER reader and the checks on their own ------------------------------

def test_parse_cert_matches_openssl(pki, alice):
    for path in (alice[0], pki.server, pki.ca):
        with open(path) as fh:
            fields = parse_cert(pem_first_cert(fh.read()))
        facts = _cert_facts(path)
        assert fields["subject"] == facts["subject"]
        assert fields["issuer"] == facts["issuer"]
        assert fields["serial"] == facts["serial"]
        assert fields["not_before"] == facts["notBefore"]
        assert fields["not_after"] == facts["notAfter"]
        assert fields["version"] == 2
    assert fields["self_issued"]                  # the CA
    with open(pki.server) as fh:
        san = parse_cert(pem_first_cert(fh.read()))["san"]
    assert san == {"ip": "127.0.0.1", "host": "localhost"}


def test_checks_of_unverified_certificates(pki, alice):
    with open(alice[0]) as fh:
        leaf = parse_cert(pem_first_cert(fh.read()))
    with open(pki.ca) as fh:
        root = parse_cert(pem_first_cert(fh.read()))
    now = time.time()
    assert certinfo.checks(leaf, True, now) == (1, 0, 0, 0)
    assert certinfo.checks(leaf, False, now) == (0, 0, 0, 0)
    assert certinfo.checks(leaf, False, leaf["not_after_ts"] + 1) == \
        (0, 1, 0, 0)
    assert certinfo.checks(root, False, now) == (0, 0, 1, 0)
    assert certinfo.checks(None, False, now) == (0, 0, 0, 0)


def test_details_stay_small(alice):
    with open(alice[0]) as fh:
        summary = certinfo.cert_summary(parse_cert(pem_first_cert(fh.read())))
    big = dict(summary, s="/CN=" + "x" * 5000, i="/O=" + "y" * 5000)
    info = {"v": "TLSv1.3", "c": "c", "b": 256, "d": "", "ok": 1, "exp": 0,
            "ss": 0, "rev": 0, "peer": big, "my": dict(big)}
    out = certinfo._shrink(info)
    assert len(json.dumps(out, separators=(",", ":"))) <= certinfo.MAX_INFO
    assert out["peer"]["sa"]["CN"] == "alice.test"


# -- a connection we opened: the peer is the server we called ----------------

OUT_ROUTE = r'''
route {
    if (method == "INVITE") {
        t_on_reply("1");
        $ru = "sip:bob@127.0.0.1:%%d;transport=tls";
        if (!t_relay()) { sl_reply_error(); }
        exit;
    }
    sl_send_reply("200", "OK");
}
onreply_route[1] {
    xlog("L_ERR", "%s\n");
}
''' % ("TLSOPS $rs cn=$tls_peer_subject_cn iss=$tls_peer_issuer "
       "ss=$tls_peer_selfsigned ok=$tls_peer_verified "
       "my=$tls_my_subject_cn v=$tls_version na=$tls_peer_notAfter")


def test_outgoing_connection_details(sip_server, pki):
    """tm relays to a TLS UAS with a self-signed certificate, not verified
    (tls_verify_server=0); its replies carry that peer's details."""
    from tests.transport.conftest import TlsUas
    uas = TlsUas(pki, cert=pki.rogue_ca, key=pki.rogue_ca_key)
    uas.start()
    try:
        udp, tls = free_port(), free_port()
        cfg = """debug=3
children=1
tcp_children=1
listen=udp:127.0.0.1:%d
listen=tls:127.0.0.1:%d
disable_tls=no
tls_certificate="%s"
tls_private_key="%s"
tls_ca_list="%s"
tls_verify_server=0
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "xlog.so"
loadmodule "tlsops.so"
%s""" % (udp, tls, pki.server, pki.server_key, pki.ca,
         OUT_ROUTE % uas.port)
        srv = sip_server(cfg, ready=("127.0.0.1", udp))
        invite = options("127.0.0.1", udp).replace(b"OPTIONS", b"INVITE")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            s.sendto(invite, ("127.0.0.1", udp))
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline and \
                    "TLSOPS 200" not in srv.output():
                try:
                    s.recvfrom(65535)
                except socket.timeout:
                    pass
        out = srv.output()
        line = next((ln for ln in out.splitlines() if "TLSOPS 200" in ln),
                    None)
        assert line is not None, out
        facts = _cert_facts(pki.rogue_ca)
        assert "cn=openser_py test rogue_ca " in line
        assert "iss=%s " % facts["issuer"] in line
        assert "ss=1 ok=0 my=server.test " in line
        assert "na=%s" % facts["notAfter"] in line
        assert " v=TLSv1." in line
    finally:
        uas.stop()
