"""openser --trace-msg: statements, conditions and the disposition."""
import os
import subprocess
import sys

CFG = """listen=udp:127.0.0.1:5060
loadmodule "sl"
loadmodule "maxfwd"
route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (method == "OPTIONS") {
        sl_send_reply("200", "OK");
        exit;
    }
    if (!uri == myself) {
        rewritehostport("127.0.0.1:5099");
        forward();
        exit;
    }
    drop;
}
"""

OPTIONS = ("OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bKopt\r\n"
           "From: <sip:mon@example.com>;tag=a\r\nTo: <sip:127.0.0.1>\r\n"
           "Call-ID: o1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: %s\r\n"
           "Content-Length: 0\r\n\r\n")


def trace(tmp_path, repo_root, msg, *extra):
    cfg = tmp_path / "t.cfg"
    cfg.write_text(CFG)
    m = tmp_path / "m.sip"
    m.write_bytes(msg.encode() if isinstance(msg, str) else msg)
    return subprocess.run(
        [sys.executable, "-m", "openser_py.main", "--trace-msg", str(m),
         "-f", str(cfg)] + list(extra), capture_output=True, text=True,
        cwd=repo_root, timeout=60, env=dict(os.environ, PYTHONPATH=repo_root))


def test_trace_options_replied(tmp_path, repo_root):
    res = trace(tmp_path, repo_root, OPTIONS % "70",
                "--trace-src", "192.0.2.7:5070")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    cfg = str(tmp_path / "t.cfg")
    assert "%s:5: if (!mf_process_maxfwd_header(\"10\")) {" % cfg in out
    assert "(condition is false)" in out
    assert "%s:10: sl_send_reply(\"200\", \"OK\");  => 1" % cfg in out
    assert "%s:11: exit;  => exit" % cfg in out
    assert "replied 200 OK to udp:192.0.2.7:5070" in out
    assert "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bKopt" \
        in out.replace("\n", "\r\n").replace("\r\r\n", "\r\n")


def test_trace_too_many_hops(tmp_path, repo_root):
    res = trace(tmp_path, repo_root, OPTIONS % "0")
    assert "replied 483 Too Many Hops" in res.stdout


def test_trace_forward_and_drop(tmp_path, repo_root):
    invite = (OPTIONS % "70").replace("OPTIONS sip:127.0.0.1", "INVITE sip:x@example.org") \
        .replace("1 OPTIONS", "1 INVITE")
    res = trace(tmp_path, repo_root, invite)
    assert "forwarded INVITE sip:x@127.0.0.1:5099 to udp:127.0.0.1:5099" \
        in res.stdout
    bye = invite.replace("INVITE sip:x@example.org", "BYE sip:x@127.0.0.1") \
        .replace("1 INVITE", "2 BYE")
    res = trace(tmp_path, repo_root, bye)
    assert "drop;  => drop" in res.stdout and "  dropped" in res.stdout


def test_trace_bad_message_reports_parser_status(tmp_path, repo_root):
    res = trace(tmp_path, repo_root, "INVITE sip:x SIP/3.0\r\n\r\n")
    assert res.returncode == 0
    assert "message rejected by the parser: 505" in res.stdout
