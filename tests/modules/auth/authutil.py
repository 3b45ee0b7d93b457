"""A tiny digest client for the auth tests: requests, challenges, answers.

The client side is computed here with hashlib, independently of the
module's own rfc2617 code.
"""
import hashlib
import re

from openser_py.core.scriptrun import SendRecorder, make_msg, run_route
from openser_py.core.usr_avp import get_avp_list

_CHALLENGE = re.compile(
    r'^(WWW|Proxy)-Authenticate: Digest realm="([^"]*)", nonce="([0-9a-f]+)"'
    r'(, qop="auth")?(, stale=true)?\r$', re.M)


def md5(text):
    return hashlib.md5(text.encode("latin-1")).hexdigest()


def request(method="REGISTER", ruri="sip:example.com", user="alice",
            domain="example.com", to_user=None, auth=None, body="",
            callid="c1@test", extra="", via="192.0.2.99:5062"):
    """A request from ``user@domain``; *auth* is a list of header lines."""
    to_user = to_user or user
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s" % (via, md5(
            callid + method + str(auth))[:10]),
        "Max-Forwards: 70",
        "From: <sip:%s@%s>;tag=a1" % (user, domain),
        "To: <sip:%s@%s>" % (to_user, domain),
        "Call-ID: %s" % callid,
        "CSeq: 1 %s" % method,
    ]
    lines += list(auth or [])
    if extra:
        lines.append(extra)
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("latin-1")


def run(script, data, **rcv):
    """Run the main route; -> (msg, sent buffers, $avp(s:rc) or None)."""
    msg = make_msg(data, **rcv)
    with SendRecorder() as rec:
        run_route(script, msg)
    return msg, [s[3] for s in rec.sent], get_avp_list().search("rc")


def parse_challenge(reply):
    """``(kind, realm, nonce, qop, stale)`` of a 401/407 reply (bytes)."""
    m = _CHALLENGE.search(reply.decode("latin-1"))
    assert m, reply
    return m.group(1), m.group(2), m.group(3), bool(m.group(4)), \
        bool(m.group(5))


def credentials(username, realm, password, nonce, method="REGISTER",
                uri="sip:example.com", qop=None, nc="00000001",
                cnonce="0a4f113b", ha1=None, hdr="Authorization",
                body=""):
    """An Authorization header line answering the challenge."""
    ha1 = ha1 or md5("%s:%s:%s" % (username, realm, password))
    if qop == "auth-int":
        ha2 = md5("%s:%s:%s" % (method, uri, md5(body)))
    else:
        ha2 = md5("%s:%s" % (method, uri))
    if qop:
        resp = md5(":".join((ha1, nonce, nc, cnonce, qop, ha2)))
        extra = ', qop=%s, nc=%s, cnonce="%s"' % (qop, nc, cnonce)
    else:
        resp = md5(":".join((ha1, nonce, ha2)))
        extra = ""
    user = username.replace("\\", "\\\\").replace('"', '\\"')
    return ('%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s"%s' % (hdr, user, realm, nonce, uri, resp, extra))


def authenticate(script, digest_user, password, **req):
    """Challenge (the script must answer a request without credentials
    with www_challenge) and send the request again with credentials for
    *digest_user*/*password*; -> ``run()``'s result for the second
    request."""
    _, sent, _rc = run(script, request(**req))
    _kind, realm, nonce, qop, _stale = parse_challenge(sent[0])
    cred = credentials(digest_user, realm, password, nonce,
                       method=req.get("method", "REGISTER"),
                       uri=req.get("ruri", "sip:example.com"),
                       qop="auth" if qop else None)
    return run(script, request(auth=[cred], **req))
