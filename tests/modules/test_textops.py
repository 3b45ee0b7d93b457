"""The textops module: real configs run on parsed messages; the result is
checked byte for byte on the serialized message (build_req_buf)."""
import pytest

from openser_py.core.cfgload import load_config
from openser_py.core.exports import ONREPLY_ROUTE
from openser_py.core.script_state import state
from openser_py.core.scriptrun import (SendRecorder, load_script, make_msg,
                                       run_route)
from openser_py.core.posix_re import (PosixReError, compile_ere,
                                                 translate)
from openser_py.core.re_subst import SubstError, parse_subst
from openser_py.parser.msg_translator import build_req_buf, build_res_buf

HDRS = (b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc\r\n"
        b"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Max-Forwards: 70\r\n")
SDP = (b"v=0\r\n"
       b"o=alice 1 1 IN IP4 192.0.2.10\r\n"
       b"c=IN IP4 192.0.2.10\r\n"
       b"m=audio 4000 RTP/AVP 0\r\n")
INVITE = (b"INVITE sip:bob@example.com SIP/2.0\r\n" + HDRS
          + b"Content-Type: application/sdp\r\n"
          b"Content-Length: 81\r\n\r\n" + SDP)
BYE = (b"BYE sip:bob@example.com SIP/2.0\r\n"
       b"v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbye\r\n"
       b"From: <sip:alice@example.com>;tag=a1\r\n"
       b"To: <sip:bob@example.com>;tag=b2\r\n"
       b"Call-ID: c1@example.com\r\n"
       b"CSeq: 2 BYE\r\n"
       b"X-Trace: one\r\n"
       b"x-trace: two\r\n"
       b"l: 0\r\n\r\n")
REPLY = (b"SIP/2.0 200 OK\r\n"
         b"Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKme\r\n"
         b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc\r\n"
         b"From: <sip:alice@example.com>;tag=a1\r\n"
         b"To: <sip:bob@example.com>;tag=b2\r\n"
         b"Call-ID: c1@example.com\r\n"
         b"CSeq: 1 FOO\r\n"
         b"Content-Length: 0\r\n\r\n")


@pytest.fixture(autouse=True)
def clean():
    state.reset()
    yield
    state.reset()


def script(route, onreply=None, extra=""):
    text = 'loadmodule "textops.so"\n%s\nroute {\n%s\n}\n' % (extra, route)
    if onreply is not None:
        text += "onreply_route {\n%s\n}\n" % onreply
    return load_script(text)


def run(route, data=INVITE):
    msg = make_msg(data)
    run_route(script(route), msg)
    return msg


def codes(calls, data=INVITE, rtype=None):
    """Run each call and return the list of their return codes."""
    body = "".join("%s; $var(r%d) = $rc;\n" % (c, i)
                   for i, c in enumerate(calls))
    msg = make_msg(data)
    if rtype == ONREPLY_ROUTE:
        run_route(script("", onreply=body), msg, ONREPLY_ROUTE)
    else:
        run_route(script(body), msg)
    return [state.vars["r%d" % i] for i in range(len(calls))], msg


def cfg_errors(route):
    text = 'loadmodule "textops.so"\nroute {\n%s\n}\n' % route
    sc = load_config("t.cfg", text=text, check=True)
    return [(e.file, e.line, e.col, e.message) for e in sc.errors]


# -- search -------------------------------------------------------------------

def test_search_whole_message_case_insensitive():
    rcs, msg = codes(['search("^invite sip:BOB@")', 'search("call-id: C1@")',
                      'search("^m=audio")', 'search("nothing here")',
                      'search("^CSeq: 1 INVITE$")'])
    assert rcs == [1, 1, 1, -1, -1]       # $ is before \n, after the \r
    assert build_req_buf(msg) == INVITE and not msg.lumps


def test_search_body():
    rcs, _ = codes(['search_body("^c=IN IP4 192")', 'search_body("Call-ID")'])
    assert rcs == [1, -1]
    rcs, _ = codes(['search_body(".")'], data=BYE)
    assert rcs == [-1]


def test_search_append_after_first_match():
    msg = run('search_append("tag=a1", ";x=1");'
              'search_append_body("^o=alice", "-x");')
    assert build_req_buf(msg) == (
        b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc\r\n"
        b"From: \"Alice\" <sip:alice@example.com>;tag=a1;x=1\r\n"
        b"To: <sip:bob@example.com>\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Max-Forwards: 70\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Content-Length: 83\r\n\r\n"
        b"v=0\r\n"
        b"o=alice-x 1 1 IN IP4 192.0.2.10\r\n"
        b"c=IN IP4 192.0.2.10\r\n"
        b"m=audio 4000 RTP/AVP 0\r\n")


def test_search_append_skips_the_first_line():
    rcs, msg = codes(['search_append("^INVITE", "X")'])
    assert rcs == [-1] and not msg.lumps


# -- replace ------------------------------------------------------------------

def test_replace_first_match_not_in_first_line():
    msg = run('replace("bob@", "robert@");')
    assert build_req_buf(msg) == INVITE.replace(
        b"To: <sip:bob@", b"To: <sip:robert@")


def test_replace_all_headers_and_body():
    msg = run('replace_all("192\\.0\\.2\\.10", "203.0.113.5");')
    assert build_req_buf(msg) == (
        b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKabc\r\n"
        b"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Max-Forwards: 70\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Content-Length: 83\r\n\r\n"
        b"v=0\r\n"
        b"o=alice 1 1 IN IP4 203.0.113.5\r\n"
        b"c=IN IP4 203.0.113.5\r\n"
        b"m=audio 4000 RTP/AVP 0\r\n")


def test_replace_body_and_replace_body_all():
    msg = run('replace_body("IN IP4", "IN IP6");'
              'replace_body_all("^[a-z]=", "*=");')
    assert build_req_buf(msg) == (
        b"INVITE sip:bob@example.com SIP/2.0\r\n" + HDRS
        + b"Content-Type: application/sdp\r\n"
        b"Content-Length: 81\r\n\r\n"
        b"*=0\r\n"
        b"*=alice 1 1 IN IP6 192.0.2.10\r\n"
        b"*=IN IP4 192.0.2.10\r\n"
        b"*=audio 4000 RTP/AVP 0\r\n")


def test_replace_all_refuses_an_empty_match():
    rcs, msg = codes(['replace_all("x*", "y")', 'replace("nomatch", "y")'])
    assert rcs == [-1, -1]
    assert build_req_buf(msg) == INVITE


# -- subst --------------------------------------------------------------------

def test_subst_backrefs_global_and_other_delimiter():
    msg = run("subst('/^(From|To): (.*)<sip:([a-z]+)@example\\.com>/"
              "\\1: \\2<sip:\\3@example.net>/');"
              "subst('#IN IP4 ([0-9.]+)#IN IP4 \\1:1#g');")
    assert build_req_buf(msg) == (
        b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc\r\n"
        b"From: \"Alice\" <sip:alice@example.net>;tag=a1\r\n"
        b"To: <sip:bob@example.com>\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Max-Forwards: 70\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Content-Length: 85\r\n\r\n"
        b"v=0\r\n"
        b"o=alice 1 1 IN IP4 192.0.2.10:1\r\n"
        b"c=IN IP4 192.0.2.10:1\r\n"
        b"m=audio 4000 RTP/AVP 0\r\n")


def test_subst_case_sensitive_unless_i_flag_and_pv_in_replacement():
    rcs, msg = codes(["subst('/call-id: c1/Call-ID: x/')",
                      "subst('/call-id: (c1)/Call-ID: $si-\\1\\/\\$/i')"])
    assert rcs == [-1, 1]
    assert build_req_buf(msg) == INVITE.replace(
        b"Call-ID: c1@", b"Call-ID: 192.0.2.10-c1/$@")


def test_subst_escaped_delimiter_in_regex():
    msg = run("subst('/CSeq: 1 INVITE\\/*/CSeq: 1 INVITE/');"
              "subst('/Max-Forwards: 70/Max-Forwards: 69\\r\\nX-A: b/');")
    assert build_req_buf(msg) == INVITE.replace(
        b"Max-Forwards: 70\r\n", b"Max-Forwards: 69\r\nX-A: b\r\n")


def test_subst_body():
    msg = run("subst_body('/^m=audio [0-9]+/m=audio 5000/');")
    assert build_req_buf(msg) == INVITE.replace(b"4000", b"5000")
    rcs, _ = codes(["subst_body('/v=0/v=1/')"], data=BYE)
    assert rcs == [-1]


def test_subst_uri_and_subst_user():
    rcs, msg = codes(["subst_uri('/^sip:([a-z]+)@example\\.com$/"
                      "sip:\\1@192.0.2.20:5070;transport=tcp/')"])
    assert rcs == [1]
    assert msg.new_uri == "sip:bob@192.0.2.20:5070;transport=tcp"
    assert build_req_buf(msg).startswith(
        b"INVITE sip:bob@192.0.2.20:5070;transport=tcp SIP/2.0\r\nVia:")
    rcs, msg = codes(["subst_user('/^b(o)b$/r\\1bert/')",
                      "subst_user('/^nomatch$/x/')",
                      "subst_uri('/example\\.org/x/')"])
    assert rcs == [1, -1, -1]
    assert msg.new_uri == "sip:robert@example.com"


def test_subst_user_works_on_the_rewritten_uri_and_can_remove_it():
    rcs, msg = codes(['rewriteuri("sip:+4930123@gw.example.com;user=phone")',
                      "subst_user('/^\\+49(.*)$/0049\\1/')"])
    assert msg.new_uri == "sip:004930123@gw.example.com;user=phone"
    rcs, msg = codes(["subst_user('/^bob$//')"])
    assert rcs == [1] and msg.new_uri == "sip:example.com"


# -- headers ------------------------------------------------------------------

def test_append_and_insert_hf_positions():
    msg = run('append_hf("X-Last: 1\\r\\n");'
              'append_hf("X-After-To: $fU\\r\\n", "To");'
              'insert_hf("X-First: 1\\r\\n");'
              'insert_hf("X-Before-CSeq: 1\\r\\n", "cseq");'
              'append_hf("X-Fallback: 1\\r\\n", "X-None");'
              'insert_hf("X-First2: 1\\r\\n", "X-None");')
    assert build_req_buf(msg) == (
        b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"X-First: 1\r\n"
        b"X-First2: 1\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc\r\n"
        b"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>\r\n"
        b"X-After-To: alice\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"X-Before-CSeq: 1\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Max-Forwards: 70\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Content-Length: 81\r\n"
        b"X-Last: 1\r\n"
        b"X-Fallback: 1\r\n"
        b"\r\n" + SDP)


def test_append_hf_compact_anchor_and_no_crlf_added():
    msg = run('append_hf("X-Via: 1\\r\\n", "Via"); append_hf("X-Raw: 1");',
              data=BYE)
    assert build_req_buf(msg) == (
        b"BYE sip:bob@example.com SIP/2.0\r\n"
        b"v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbye\r\n"
        b"X-Via: 1\r\n"
        b"From: <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>;tag=b2\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"CSeq: 2 BYE\r\n"
        b"X-Trace: one\r\n"
        b"x-trace: two\r\n"
        b"l: 0\r\n"
        b"X-Raw: 1\r\n")              # 1.3: the text goes in as given


def test_append_urihf_uses_the_current_ruri():
    msg = run('rewritehost("192.0.2.30");'
              'append_urihf("X-Orig-To: <", ">\\r\\n");')
    out = build_req_buf(msg)
    assert out.startswith(b"INVITE sip:bob@192.0.2.30 SIP/2.0\r\n")
    assert out.endswith(b"Content-Length: 81\r\n"
                        b"X-Orig-To: <sip:bob@192.0.2.30>\r\n\r\n" + SDP)


def test_remove_hf_all_forms_and_is_present_hf():
    rcs, msg = codes(['is_present_hf("x-TRACE")', 'remove_hf("X-Trace")',
                      'remove_hf("Via")', 'remove_hf("Content-Length")',
                      'remove_hf("Subject")', 'is_present_hf("Subject")',
                      'is_present_hf("Via")'], data=BYE)
    assert rcs == [1, 1, 1, 1, -1, -1, 1]     # removal is a lump only
    assert build_req_buf(msg) == (
        b"BYE sip:bob@example.com SIP/2.0\r\n"
        b"From: <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>;tag=b2\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"CSeq: 2 BYE\r\n"
        b"\r\n")


def test_replace_header_with_remove_and_insert():
    msg = run('remove_hf("Max-Forwards");'
              'insert_hf("Max-Forwards: 10\\r\\n", "Max-Forwards");')
    assert build_req_buf(msg) == INVITE.replace(b"Max-Forwards: 70",
                                                b"Max-Forwards: 10")


# -- reply lumps --------------------------------------------------------------

def test_append_to_reply_and_append_time():
    state.clock = lambda: 1700000000.5
    rcs, msg = codes(['append_to_reply("Contact: <sip:$rU@$Ri>\\r\\n")',
                      "append_time()"])
    assert rcs == [1, 1]
    assert msg.reply_lumps == ["Contact: <sip:bob@127.0.0.1>\r\n",
                               "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"]
    assert build_req_buf(msg) == INVITE


def test_append_to_reply_goes_into_a_local_reply():
    pytest.importorskip("openser_py.modules.sl")
    sc = load_script('loadmodule "sl.so"\nloadmodule "textops.so"\n'
                     'route { append_to_reply("X-Why: test\\r\\n");'
                     ' sl_send_reply("403", "Forbidden"); }\n')
    with SendRecorder() as rec:
        run_route(sc, make_msg(INVITE))
    assert len(rec.sent) == 1
    data = rec.sent[0][3]
    assert b"CSeq: 1 INVITE\r\nX-Why: test\r\n" in data


# -- method, body, privacy ----------------------------------------------------

def test_is_method():
    rcs, _ = codes(['is_method("INVITE")', 'is_method("bye|invite")',
                    'is_method("BYE|CANCEL")', 'is_method("FOO")'])
    assert rcs == [1, 1, -1, -1]
    foo = INVITE.replace(b"INVITE", b"FOO")
    rcs, _ = codes(['is_method("foo")', 'is_method("BAR")',
                    'is_method("INVITE|ACK")'], data=foo)
    assert rcs == [1, -1, -1]


def test_is_method_on_a_reply_tests_the_cseq_method():
    rcs, _ = codes(['is_method("foo")', 'is_method("INVITE")'], data=REPLY,
                   rtype=ONREPLY_ROUTE)
    assert rcs == [1, -1]
    rpl = REPLY.replace(b"1 FOO", b"1 INVITE")
    rcs, _ = codes(['is_method("INVITE|BYE")', 'is_method("BYE")'],
                   data=rpl, rtype=ONREPLY_ROUTE)
    assert rcs == [1, -1]


def test_has_body():
    rcs, _ = codes(['has_body()', 'has_body("application/sdp")',
                    'has_body("Application/SDP")', 'has_body("text/plain")'])
    assert rcs == [1, 1, 1, -1]
    rcs, _ = codes(['has_body()', 'has_body("application/sdp")'], data=BYE)
    assert rcs == [-1, -1]
    no_ct = INVITE.replace(b"Content-Type: application/sdp\r\n", b"")
    rcs, _ = codes(['has_body("application/sdp")'], data=no_ct)
    assert rcs == [1]


def test_is_privacy():
    msg = BYE.replace(b"l: 0", b"Privacy: id; header\r\nl: 0")
    rcs, _ = codes(['is_privacy("id")', 'is_privacy("header")',
                    'is_privacy("user")'], data=msg)
    assert rcs == [1, 1, -1]
    bad = BYE.replace(b"l: 0", b"Privacy: id;bogus\r\nl: 0")
    rcs, _ = codes(['is_privacy("id")'], data=bad)
    assert rcs == [-1]
    rcs, _ = codes(['is_privacy("id")'], data=BYE)
    assert rcs == [-1]


MULTI_BODY = (b"--b1\r\n"
              b"Content-Type: application/sdp\r\n"
              b"\r\n"
              b"v=0\r\n"
              b"c=IN IP4 192.0.2.10\r\n"
              b"\r\n"
              b"--b1\r\n"
              b"Content-Type: application/isup\r\n"
              b"Content-Disposition: signal\r\n"
              b"\r\n"
              b"ISUP\r\n"
              b"--b1--\r\n")
MULTI = (b"INVITE sip:bob@example.com SIP/2.0\r\n" + HDRS
         + b"Content-Type: multipart/mixed;boundary=b1\r\n"
         b"Content-Length: 150\r\n\r\n" + MULTI_BODY)


def test_filter_body_keeps_one_part():
    assert len(MULTI_BODY) == 150
    msg = run('filter_body("application/sdp");', data=MULTI)
    assert build_req_buf(msg) == (
        b"INVITE sip:bob@example.com SIP/2.0\r\n" + HDRS
        + b"Content-Type: multipart/mixed;boundary=b1\r\n"
        b"Content-Length: 28\r\n\r\n"
        b"v=0\r\n"
        b"c=IN IP4 192.0.2.10\r\n"
        b"\r\n")
    msg = run('filter_body("application/ISUP");', data=MULTI)
    assert build_req_buf(msg).endswith(b"Content-Length: 6\r\n\r\nISUP\r\n")
    rcs, msg = codes(['filter_body("text/plain")'], data=MULTI)
    assert rcs == [-1] and not msg.lumps
    rcs, _ = codes(['filter_body("application/sdp")'])   # not multipart
    assert rcs == [-1]


# -- route types --------------------------------------------------------------

def test_reply_route_functions_and_route_types():
    msg = make_msg(REPLY)
    sc = script("", onreply='append_hf("X-Seen: 1\\r\\n");'
                            'replace("tag=b2", "tag=b3");')
    run_route(sc, msg, ONREPLY_ROUTE)
    assert build_res_buf(msg) == (
        b"SIP/2.0 200 OK\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc\r\n"
        b"From: <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>;tag=b3\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"CSeq: 1 FOO\r\n"
        b"Content-Length: 0\r\n"
        b"X-Seen: 1\r\n\r\n")
    for call in ('append_to_reply("X: 1\\r\\n")', "subst_uri('/a/b/')",
                 "subst_user('/a/b/')", 'append_urihf("a", "b")',
                 "append_time()"):
        errors = load_config("t.cfg", check=True, text=(
            'loadmodule "textops.so"\nonreply_route {\n %s;\n}\n' % call)
        ).errors
        assert len(errors) == 1 and "cannot be used in onreply_route" \
            in errors[0].message, call


# -- fixup errors -------------------------------------------------------------

def test_bad_regex_is_a_config_error_with_position():
    errs = cfg_errors('  search("(unclosed");\n  replace("[z-a]", "x");')
    assert [(e[0], e[1], e[2]) for e in errs] == [("t.cfg", 3, 3),
                                                   ("t.cfg", 4, 3)]
    assert "bad regular expression" in errs[0][3]
    assert "search()" in errs[0][3] and "replace()" in errs[1][3]


def test_bad_subst_expressions():
    errs = cfg_errors("subst('/a/b/x');\n"
                      "subst('/a/b');\n"
                      "subst_body('/(a)/\\2/');\n"
                      "subst_uri('/a/\\q/');\n"
                      "subst_user('\\a\\b\\');")
    assert [e[1] for e in errs] == [3, 4, 5, 6, 7]
    assert all("bad subst expression" in e[3] for e in errs)
    assert "unknown flag" in errs[0][3]
    assert "missing separator" in errs[1][3]
    assert "group" in errs[2][3]
    assert "unknown escape" in errs[3][3]
    assert "separator" in errs[4][3]


def test_bad_method_privacy_and_mime_params():
    errs = cfg_errors('is_method("INVITE|FOO");\nis_method("INVITE|");\n'
                      'is_privacy("bogus");\nhas_body("sdp");\n'
                      'filter_body("a/b;x=1");\nremove_hf("bad name");\n'
                      'append_hf("X: $nopv\\r\\n");')
    assert [e[1] for e in errs] == [3, 4, 5, 6, 7, 8, 9]
    assert "unknown method 'FOO'" in errs[0][3]
    assert "pseudo-variable" in errs[6][3]
    assert cfg_errors('is_method("FOO");\nis_method("invite|Ack");') == []


# -- the regex and subst layers -----------------------------------------------

@pytest.mark.parametrize("ere, text, found", [
    ("[]a]+", "]a]", "]a]"),              # ] first in a bracket is literal
    ("[a\\]+", "a\\a", "a\\a"),           # backslash literal in a bracket
    ("[[:digit:][:upper:]]+", "-AB12-", "AB12"),
    ("\\d+", "12ddd", "ddd"),             # \d is a plain d in glibc ERE
    ("a+?b", "aaab", "aaab"),             # (a+)? not lazy
    ("x)", "x)", "x)"),                   # unmatched ) is literal
    ("[^a]+", "bc\nd", "bc"),             # REG_NEWLINE: [^..] skips \n
    ("^b$", "a\nb\nc", "b"),              # REG_NEWLINE anchors
    ("\\<ab\\>", "cab ab", "ab"),
])
def test_posix_translation(ere, text, found):
    m = compile_ere(ere).search(text)
    assert m is not None and m.group(0) == found
    if ere == "\\<ab\\>":
        assert m.start() == 4


@pytest.mark.parametrize("ere", ["(?:a)", "*a", "a{x", "[[:nope:]]", "[a",
                                 "(a", "a\\", "\\1(a)"])
def test_posix_errors(ere):
    with pytest.raises(PosixReError):
        compile_ere(ere)


def test_translate_without_newline_mode():
    assert translate("^a.$", newline=False) == "^a.\\Z"
    assert compile_ere("a.b", newline=False).search("a\nb")
    assert not compile_ere("a.b").search("a\nb")


def test_subst_expression_api():
    se = parse_subst("|(a+)|<\\1\\|\\\\>|g")
    assert se.subst_str("xaayaz", None) == "x<aa|\\>y<a|\\>z"
    assert parse_subst("/a/b/").subst_str("AaA", None) == "AbA"
    assert parse_subst("/a/b/gi").subst_str("AaA", None) == "bbb"
    assert parse_subst("/q/b/").subst_str("AaA", None) is None
    with pytest.raises(SubstError):
        parse_subst("/a*/b/g").run("bbb", None)


def test_filter_body_ignores_lines_that_only_start_like_a_boundary():
    body = (b"--b1\r\n"
            b"Content-Type: text/plain\r\n"
            b"\r\n"
            b"--b1x is not a delimiter\r\n"
            b"--b1 \r\n"
            b"Content-Type: application/sdp\r\n"
            b"\r\n"
            b"v=0\r\n"
            b"--b1--\r\n")
    data = (b"MESSAGE sip:bob@example.com SIP/2.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
            b"Content-Length: 113\r\n\r\n" + body)
    assert len(body) == 113
    msg = run('filter_body("text/plain");', data=data)
    assert build_req_buf(msg) == (
        b"MESSAGE sip:bob@example.com SIP/2.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
        b"Content-Length: 26\r\n\r\n"
        b"--b1x is not a delimiter\r\n")


def test_append_to_reply_allowed_in_error_route():
    sc = load_config("t.cfg", check=True, text=(
        'loadmodule "textops.so"\nroute { exit; }\n'
        'error_route {\n append_to_reply("X-Err: $err.rreason\\r\\n");\n}\n'))
    assert sc.errors == []
