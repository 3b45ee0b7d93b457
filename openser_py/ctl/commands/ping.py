"""``ping <uri>``: send an OPTIONS request over UDP and print the status.

1.3 sent the OPTIONS through the server (MI ``t_uac_dlg``); this one is
sent directly from an ephemeral local port, so it also works when the MI
transport is down.  The request follows RFC 3261 section 11 (OPTIONS) and
section 8.1.1 (mandatory header fields); it is retransmitted on UDP with
timer E (section 17.1.2.2: T1 = 500 ms doubling up to T2 = 4 s) until a
final response or the timeout.  Provisional responses are skipped.

Theory of operation: resolve the URI's host and port (5060 by default),
bind a UDP socket on an ephemeral port, send, then wait in slices up to the
next retransmission; only a response whose Call-ID and CSeq match ours is
taken; the first final one ends the loop.
"""
import socket
import time
import uuid

from openser_py.ctl.commands.base import (EXIT_ERROR, EXIT_OK, Unreachable,
                                          UsageError)

T1, T2 = 0.5, 4.0


def parse_target(uri):
    """``(request_uri, host, port)`` from ``sip:[user@]host[:port][;..]``
    or a bare ``host[:port]``."""
    text = uri.strip()
    if text.lower().startswith(("sips:", "tel:")):
        raise UsageError("only sip: URIs can be pinged over UDP")
    if not text.lower().startswith("sip:"):
        text = "sip:" + text
    rest = text[4:].split(";", 1)[0].split("?", 1)[0]
    hostport = rest.rpartition("@")[2]
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise UsageError("bad IPv6 reference in %r" % uri)
        host, tail = hostport[1:end], hostport[end + 1:]
        port = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    if not host:
        raise UsageError("no host in %r" % uri)
    try:
        port = int(port) if port else 5060
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise UsageError("bad port in %r" % uri) from None
    return text, host, port


def build_options(ruri, local, call_id, tag, branch, from_host):
    """The OPTIONS request (RFC 3261 section 11.1)."""
    lhost, lport = local[0], local[1]
    if ":" in lhost:
        lhost = "[%s]" % lhost
    return ("OPTIONS %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;rport;branch=%s\r\n"
            "Max-Forwards: 70\r\n"
            "To: <%s>\r\n"
            "From: <sip:daemon@%s>;tag=%s\r\n"
            "Call-ID: %s\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Contact: <sip:daemon@%s:%d>\r\n"
            "Accept: application/sdp\r\n"
            "User-Agent: openserctl\r\n"
            "Content-Length: 0\r\n\r\n"
            % (ruri, lhost, lport, branch, ruri, from_host, tag, call_id,
               lhost, lport)).encode()


def _header(lines, name, compact=None):
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() in (name, compact):
            return v.strip()
    return None


def ping(uri, timeout=5.0, from_host=None):
    """Send the OPTIONS; return ``(code, reason, rtt_seconds, peer)``.

    Raises Unreachable when no final response comes within *timeout*."""
    ruri, host, port = parse_target(uri)
    try:
        info = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)[0]
    except socket.gaierror as exc:
        raise Unreachable("cannot resolve %s: %s" % (host, exc)) from None
    family, addr = info[0], info[4]
    call_id = "%s@openserctl" % uuid.uuid4().hex
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        sock.connect(addr)
        local = sock.getsockname()
        req = build_options(ruri, local, call_id, uuid.uuid4().hex[:8],
                            "z9hG4bK" + uuid.uuid4().hex[:16],
                            from_host or local[0])
        start = time.monotonic()
        deadline = start + timeout
        interval, next_tx = T1, start
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise Unreachable("no final reply from %s:%d within %.1fs"
                                  % (host, port, timeout),
                                  hint="is openser listening on UDP there?")
            if now >= next_tx:
                try:
                    sock.send(req)
                except OSError as exc:
                    raise Unreachable("cannot send to %s:%d: %s"
                                      % (host, port, exc.strerror)) from None
                next_tx = now + interval
                interval = min(interval * 2, T2)
            sock.settimeout(max(0.01, min(next_tx, deadline) - now))
            try:
                data = sock.recv(65535)
            except socket.timeout:
                continue
            except ConnectionRefusedError:
                raise Unreachable("%s:%d refused the request (ICMP port "
                                  "unreachable): nothing listens there"
                                  % (host, port)) from None
            lines = data.decode("utf-8", "replace").split("\r\n")
            status = lines[0].split(" ", 2)
            if len(status) < 2 or not status[0].startswith("SIP/2.0") \
                    or not status[1].isdigit():
                continue
            if _header(lines, "call-id", "i") != call_id:
                continue
            cseq = (_header(lines, "cseq") or "").split()
            if cseq[-1:] != ["OPTIONS"]:
                continue
            code = int(status[1])
            if code < 200:
                continue
            return (code, status[2] if len(status) > 2 else "",
                    time.monotonic() - start, "%s:%d" % (host, port))
    finally:
        sock.close()


def cmd_ping(ctx, o):
    # 5 s unless MI_TIMEOUT / --timeout was set explicitly
    explicit = ctx.sources.get("settings", {}).get("MI_TIMEOUT",
                                                    "default") != "default"
    timeout = ctx.timeout() if explicit else 5.0
    code, reason, rtt, peer = ping(o.uri, timeout,
                                   ctx.get("SIP_DOMAIN") or None)
    ctx.emit({"uri": o.uri, "peer": peer, "code": code, "reason": reason,
              "rtt_ms": round(rtt * 1000, 3), "ok": code < 300},
             "%d %s (from %s in %.1f ms)" % (code, reason, peer,
                                              rtt * 1000))
    # a final non-2xx reply: the server answered with an error (status 1)
    return EXIT_OK if code < 300 else EXIT_ERROR


def register(sub):
    p = sub.add_parser("ping", help="send OPTIONS to a SIP URI")
    p.add_argument("uri")
    p.set_defaults(func=cmd_ping, needs=None)
