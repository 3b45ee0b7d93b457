"""The default configuration, end to end: etc/openser/openser.cfg as shipped
(OpenSER 1.3's registrar + authenticating record-routing proxy on SQLite).

Each test starts the real server from that file -- only the port, the
SQLite path, the FIFO path and ``children`` are substituted -- over a
database made by ``openserdbctl create`` and users inserted as
``openserctl add`` stores them.  Registrations and calls come from real
sipp where sipp can do it (digest REGISTER, a call with proxy
authentication) and from a small digest client here where a test needs to
control the credentials byte by byte (stale nonces, replayed nonce counts,
usernames crafted for SQL injection).
"""
import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

from openser_py.ctl.mi_client.fifo import fifo_cmd
from tests.conftest import ROOT, free_port, require_tool
from tests.integration.conftest import OpenserProcess
from tests.sipp_support import SippServer, run_uac

DEFAULT_CFG = os.path.join(ROOT, "etc", "openser", "openser.cfg")
USERS = {"alice": "secret", "bob": "bobpw",
         "a'or'1'='1": "inj-pw", "b'--": "b-pw"}


def md5(text):
    return hashlib.md5(text.encode("latin-1")).hexdigest()


def create_db(path):
    """``openserdbctl create`` on SQLite, then the users of USERS."""
    tool = os.path.join(os.path.dirname(sys.executable), "openserdbctl")
    if not os.path.exists(tool):
        tool = os.path.join(ROOT, "sbin", "openserdbctl")
    env = dict(os.environ, HOME=str(path.parent), PYTHONPATH=ROOT)
    out = subprocess.run([tool, "-e", "SQLITE", "--db-path", str(path),
                          "-y", "create"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    con = sqlite3.connect(str(path))
    for user, pw in USERS.items():
        con.execute("INSERT INTO subscriber (username, domain, password, "
                    "ha1, ha1b) VALUES (?, ?, ?, ?, ?)",
                    (user, "127.0.0.1", pw,
                     md5("%s:127.0.0.1:%s" % (user, pw)),
                     md5("%s@127.0.0.1:127.0.0.1:%s" % (user, pw))))
    con.commit()
    con.close()


class DefaultServer(OpenserProcess):
    """The shipped openser.cfg on a free port and a private database."""

    def __init__(self, tmp_path, extra_params="", create=True, port=None):
        super().__init__(tmp_path, route="", children=2, port=port)
        self.db = tmp_path / "openser.db"
        self.fifo = tmp_path / "openser_fifo"
        with open(DEFAULT_CFG) as fh:
            text = fh.read()
        for old, new in (
                ("127.0.0.1:5060", "127.0.0.1:%d" % self.port),
                ("children=4", "children=2"),
                ("sqlite:///var/lib/openser/openser.db",
                 "sqlite://%s" % self.db),
                ("/tmp/openser_fifo", str(self.fifo))):
            assert old in text, old
            text = text.replace(old, new)
        if extra_params:
            text = text.replace("####### Routing Logic",
                                extra_params + "\n####### Routing Logic", 1)
        self.cfg.write_text(text)
        if create:
            create_db(self.db)

    def mi(self, cmd, *args):
        return fifo_cmd(str(self.fifo), cmd, args, timeout=10)


@pytest.fixture
def server(tmp_path):
    srv = DefaultServer(tmp_path).start()
    yield srv
    srv.stop()
    srv.kill_all()


class DigestClient:
    """A UDP SIP client answering challenges with hashlib (RFC 2617)."""

    def __init__(self, port, user):
        self.port = port
        self.user = user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.lport = self.sock.getsockname()[1]
        self.callid = uuid.uuid4().hex
        self.cseq = 0
        self.domain = "127.0.0.1:%d" % port

    def close(self):
        self.sock.close()

    def send(self, method="REGISTER", auth=None, to_user=None,
             contact_port=None, timeout=5.0):
        """One request; -> the final reply as text (None on timeout)."""
        self.cseq += 1
        ruri = ("sip:%s" % self.domain if method == "REGISTER"
                else "sip:%s@%s" % (to_user, self.domain))
        to = self.user if method == "REGISTER" else to_user
        lines = [
            "%s %s SIP/2.0" % (method, ruri),
            "Via: SIP/2.0/UDP 127.0.0.1:%d;rport;branch=z9hG4bK%s"
            % (self.lport, uuid.uuid4().hex[:16]),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (self.user, self.domain,
                                          self.callid[:8]),
            "To: <sip:%s@%s>" % (to, self.domain),
            "Call-ID: %s" % self.callid,
            "CSeq: %d %s" % (self.cseq, method),
            "Contact: <sip:%s@127.0.0.1:%d>" % (
                "u", contact_port or self.lport),
        ]
        if method == "REGISTER":
            lines.append("Expires: 3600")
        if auth:
            lines.append(auth)
        lines.append("Content-Length: 0")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.sock.sendto(data, ("127.0.0.1", self.port))
        self.last_ruri = ruri
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                reply = self.sock.recv(65535).decode("latin-1")
            except socket.timeout:
                return None
            if not reply.startswith("SIP/2.0 1"):
                return reply
        return None

    @staticmethod
    def challenge(reply):
        """``(realm, nonce, qop, stale)`` of a 401/407."""
        m = re.search(r'^(?:WWW|Proxy)-Authenticate: Digest realm="([^"]*)", '
                      r'nonce="([^"]+)"(, qop="auth")?(, stale=true)?\r$',
                      reply, re.M)
        assert m, reply
        return m.group(1), m.group(2), bool(m.group(3)), bool(m.group(4))

    def authorization(self, reply, password, method="REGISTER", nc=1,
                      username=None):
        realm, nonce, qop, _ = self.challenge(reply)
        username = self.user if username is None else username
        hdr = ("Authorization" if reply.startswith("SIP/2.0 401")
               else "Proxy-Authorization")
        ha1 = md5("%s:%s:%s" % (username, realm, password))
        ha2 = md5("%s:%s" % (method, self.last_ruri))
        cnonce = "0a4f113b"
        ncs = "%08x" % nc
        if qop:
            resp = md5(":".join((ha1, nonce, ncs, cnonce, "auth", ha2)))
            extra = ', qop=auth, nc=%s, cnonce="%s"' % (ncs, cnonce)
        else:
            resp = md5(":".join((ha1, nonce, ha2)))
            extra = ""
        quoted = username.replace("\\", "\\\\").replace('"', '\\"')
        return ('%s: Digest username="%s", realm="%s", nonce="%s", '
                'uri="%s", response="%s", algorithm=MD5%s'
                % (hdr, quoted, realm, nonce, self.last_ruri, resp, extra))

    def register(self, password, contact_port=None):
        """Challenge, answer; -> the final reply."""
        first = self.send(contact_port=contact_port)
        assert first and first.startswith("SIP/2.0 401"), first
        return self.send(auth=self.authorization(first, password),
                         contact_port=contact_port)


def status(reply):
    return int(reply.split(" ", 2)[1]) if reply else None


# -- REGISTER with sipp --------------------------------------------------------

def users_file(tmp_path, user, port):
    path = tmp_path / ("users-%s.csv" % uuid.uuid4().hex[:6])
    path.write_text("SEQUENTIAL\n%s;127.0.0.1:%d;x\n" % (user, port))
    return str(path)


def test_sipp_register_with_digest(server, tmp_path):
    """sipp REGISTER -> 401 -> REGISTER with credentials -> 200 listing
    the binding; the contact is then in usrloc (MI ul_show_contact)."""
    require_tool("sipp", "sip-tester")
    lport = free_port()
    res = run_uac("reg_auth", server.port, 3, rate=10, local_port=lport,
                  max_seconds=30,
                  extra=("-inf", users_file(tmp_path, "alice", server.port),
                         "-au", "alice", "-ap", "secret"))
    assert res.successful == 3 and res.failed == 0, res.output[-2500:]
    rpl = server.mi("ul_show_contact", "location", "alice")
    assert rpl.code == 200, (rpl.code, rpl.reason)
    contacts = [k.value for k in rpl.kids]
    assert len(contacts) == 1 and ("127.0.0.1:%d" % lport) in contacts[0]


@pytest.mark.parametrize("user,password", [("alice", "wrong"),
                                           ("nobody", "secret")])
def test_sipp_register_refused(server, tmp_path, user, password):
    """Wrong password and unknown user: the answer to the credentials is
    a new 401 challenge, and nothing is registered."""
    require_tool("sipp", "sip-tester")
    res = run_uac("reg_auth_fail", server.port, 2, rate=10, max_seconds=30,
                  extra=("-inf", users_file(tmp_path, user, server.port),
                         "-au", user, "-ap", password))
    assert res.successful == 2 and res.failed == 0, res.output[-2500:]
    rpl = server.mi("ul_show_contact", "location", user)
    assert (rpl.code, rpl.reason) == (404, "AOR not found")


# -- digest details with our own client ----------------------------------------

def test_usernames_crafted_for_sql_injection_match_literally(server):
    """Usernames with quotes register with their own password only; a
    crafted name that is not in the table is refused."""
    for user in ("a'or'1'='1", "b'--"):
        c = DigestClient(server.port, user)
        try:
            assert status(c.register(USERS[user])) == 200
            assert status(c.register("secret")) == 401     # alice's
        finally:
            c.close()
    c = DigestClient(server.port, "x'or'1'='1")
    try:
        assert status(c.register("anything")) == 401
    finally:
        c.close()
    assert server.mi("ul_show_contact", "location", "a'or'1'='1").code == 200
    assert server.mi("ul_show_contact", "location", "x'or'1'='1").code == 404


def test_replayed_nonce_count_is_refused(server):
    """qop=auth: the same nc twice is a replay -> 401 with stale=true;
    the next count is accepted (nonce_count protection across workers)."""
    c = DigestClient(server.port, "alice")
    try:
        first = c.send()
        assert status(first) == 401 and c.challenge(first)[2], first
        auth = c.authorization(first, "secret", nc=1)
        assert status(c.send(auth=auth)) == 200
        again = c.send(auth=auth)
        assert status(again) == 401 and c.challenge(again)[3], again
        assert status(c.send(auth=c.authorization(first, "secret",
                                                  nc=2))) == 200
    finally:
        c.close()


def test_stale_nonce_gets_stale_challenge(tmp_path):
    """A nonce older than nonce_expire -> 401 with stale=true; the new
    nonce works."""
    srv = DefaultServer(tmp_path,
                        'modparam("auth", "nonce_expire", 1)').start()
    c = DigestClient(srv.port, "bob")
    try:
        first = c.send()
        time.sleep(2.2)
        late = c.send(auth=c.authorization(first, "bobpw"))
        assert status(late) == 401 and c.challenge(late)[3], late
        assert status(c.send(auth=c.authorization(late, "bobpw"))) == 200
    finally:
        c.close()
        srv.stop()
        srv.kill_all()


def test_requests_from_local_users_need_proxy_auth(server):
    """An INVITE from one of our users is challenged (407); a request
    neither from nor for us is refused (403, no open relay)."""
    c = DigestClient(server.port, "alice")
    try:
        rpl = c.send("INVITE", to_user="bob")
        assert status(rpl) == 407, rpl
        assert c.challenge(rpl)[2]
    finally:
        c.close()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(("MESSAGE sip:x@other.example SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKrelay\r\n"
                  "From: <sip:eve@elsewhere.example>;tag=1\r\n"
                  "To: <sip:x@other.example>\r\nCall-ID: relay\r\n"
                  "CSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\n"
                  "Content-Length: 0\r\n\r\n").encode(),
                 ("127.0.0.1", server.port))
        assert s.recv(65535).startswith(b"SIP/2.0 403 Relaying forbidden")


def test_sipp_call_with_proxy_auth_to_registered_user(server):
    """bob registers (Contact = a sipp UAS); sipp alice calls bob:
    INVITE -> 407 -> ACK -> INVITE with credentials -> 180/200 -> ACK ->
    BYE along the Record-Route set -> 200, on both sides."""
    require_tool("sipp", "sip-tester")
    with SippServer("uas", 5, max_seconds=40) as uas:
        c = DigestClient(server.port, "bob")
        try:
            assert status(c.register("bobpw", contact_port=uas.port)) == 200
        finally:
            c.close()
        res = run_uac("uac_auth", server.port, 5, rate=5, max_seconds=40,
                      extra=("-au", "alice", "-ap", "secret",
                             "-key", "caller", "alice", "-s", "bob"))
        res_uas = uas.wait(timeout=50)
    detail = (res, res.output[-2500:], res_uas, server.output()[-2000:])
    assert res.successful == 5 and res.failed == 0, detail
    assert res_uas.successful == 5 and res_uas.failed == 0, detail


def test_registration_survives_restart(tmp_path):
    """db_mode 2 (write-back): stop the server, start it again on the same
    database; the binding is still there."""
    srv = DefaultServer(tmp_path).start()
    c = DigestClient(srv.port, "alice")
    try:
        assert status(c.register("secret")) == 200
    finally:
        c.close()
    assert srv.stop() == 0
    again = DefaultServer(tmp_path, create=False, port=srv.port).start()
    try:
        rpl = again.mi("ul_show_contact", "location", "alice")
        assert rpl.code == 200, (rpl.code, rpl.reason)
    finally:
        again.stop()
        again.kill_all()
