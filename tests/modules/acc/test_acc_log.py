"""acc syslog accounting: answered, failed (missed), cancelled and timed-out
calls, ACKs, CANCELs, extras, legs, script functions -- the 1.3 lines."""
import re
import time

from tests.modules.acc.conftest import ACC_MODS
from tests.modules.tm.proxy_util import first_line, reply_to, request

TS = re.compile(r"timestamp=(\d+);")
CID = "c1@example.com"


def params(**kw):
    base = {"log_flag": 1, "log_missed_flag": 2}
    base.update(kw)
    out = [ACC_MODS]
    for k, v in base.items():
        fmt = 'modparam("acc", "%s", %d)\n' if isinstance(v, int) else \
            'modparam("acc", "%s", "%s")\n'
        out.append(fmt % (k, v))
    return "".join(out)


def strip_ts(lines):
    """Check the timestamps are now, return the lines without them."""
    out = []
    for line in lines:
        m = TS.search(line)
        assert m, line
        assert abs(int(m.group(1)) - time.time()) < 5
        out.append(TS.sub("", line, 1))
    return out


def line(kind, method, code, reason, to_tag="b2", extra=""):
    return ("ACC: %s: method=%s;from_tag=a1;to_tag=%s;call_id=%s;code=%s;"
            "reason=%s%s" % (kind, method, to_tag, CID, code, reason, extra))


ROUTE = 'route { setflag(1); setflag(2); t_relay(); }\n'


def test_answered_call(proxy_factory, acclog):
    p = proxy_factory(ROUTE, params())
    log = acclog()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    assert log.acc() == []
    p.uas(reply_to(fwd, 200, "OK"))
    assert strip_ts(log.acc()) == [
        line("transaction answered", "INVITE", 200, "OK")]


def test_failed_call_is_a_missed_call(proxy_factory, acclog):
    p = proxy_factory(ROUTE, params())
    log = acclog()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 486, "Busy Here"))
    assert strip_ts(log.acc()) == [
        line("call missed", "INVITE", 486, "Busy Here")]


def test_failed_transaction_flag_also_accounts_it(proxy_factory, acclog):
    p = proxy_factory('route { setflag(1); setflag(2); setflag(3); '
                      't_relay(); }\n', params(failed_transaction_flag=3))
    log = acclog()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 486, "Busy Here"))
    assert strip_ts(log.acc()) == [
        line("call missed", "INVITE", 486, "Busy Here"),
        line("transaction answered", "INVITE", 486, "Busy Here")]


def test_no_flag_no_record(proxy_factory, acclog):
    p = proxy_factory('route { t_relay(); }\n', params())
    log = acclog()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 486, "Busy Here"))
    fwd = p.uac(request(callid="c2@x", branch="z9hG4bKx2"))[1][3]
    p.uas(reply_to(fwd, 200, "OK"))
    assert log.acc() == []


def test_cancelled_call(proxy_factory, acclog):
    p = proxy_factory(ROUTE, params())
    log = acclog()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    sent = p.uac(request("CANCEL"))
    assert first_line(sent[0][3]) == "SIP/2.0 200 canceling"
    out = p.uas(reply_to(fwd, 487, "Request Terminated"))
    assert "SIP/2.0 487 Request Terminated" in [first_line(s[3]) for s in out]
    # the CANCEL itself is not accounted without report_cancels
    assert strip_ts(log.acc()) == [
        line("call missed", "INVITE", 487, "Request Terminated")]


def test_report_cancels(proxy_factory, acclog):
    p = proxy_factory(ROUTE, params(report_cancels=1))
    log = acclog()
    p.uac(request())
    p.uac(request("CANCEL"))                    # no reply yet: faked 487
    # a local reply is FAKED_REPLY for acc: the standard reason (1.3)
    assert strip_ts(log.acc()) == [
        line("transaction answered", "CANCEL", 200, "OK", to_tag=""),
        line("call missed", "INVITE", 487, "Request Terminated",
             to_tag="")]


def test_timeout_is_missed_with_faked_408(proxy_factory, acclog):
    p = proxy_factory(ROUTE, params())
    log = acclog()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    p.advance(121)                              # fr_inv_timer; not silent
    assert strip_ts(log.acc()) == [
        line("call missed", "INVITE", 408, "Request Timeout", to_tag="")]


def test_report_ack(proxy_factory, acclog):
    p = proxy_factory(ROUTE, params(report_ack=1))
    log = acclog()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 200, "OK"))
    p.uac(request("ACK", to_tag="b2", branch="z9hG4bKack"))
    assert strip_ts(log.acc()) == [
        line("transaction answered", "INVITE", 200, "OK"),
        line("request acknowledged", "ACK", 200, "OK")]


def test_early_media(proxy_factory, acclog):
    p = proxy_factory(ROUTE, params(early_media=1))
    log = acclog()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 180, "Ringing"))
    p.uas(reply_to(fwd, 183, "Session Progress"))
    assert strip_ts(log.acc()) == [
        line("transaction answered", "INVITE", 183, "Session Progress")]


def test_log_extra_and_missed_uri_is_last_branch(proxy_factory, acclog):
    p = proxy_factory(
        'route { setflag(1); setflag(2); append_branch("sip:x@10.0.0.9"); '
        't_relay(); }\n',
        params(log_extra="ua=$hdr(User-Agent);uri=$ru;nope=$avp(s:none)"))
    log = acclog()
    sent = p.uac(request(extra="User-Agent: Phone/1\r\n"))
    fwds = [s[3] for s in sent[1:]]
    p.uas(reply_to(fwds[0], 486, "Busy Here"))
    p.uas(reply_to(fwds[1], 404, "Not Found"), src=("10.0.0.9", 5060))
    assert strip_ts(log.acc()) == [
        line("call missed", "INVITE", 404, "Not Found",
             extra=";ua=Phone/1;uri=sip:x@10.0.0.9;nope=")]


def test_serial_forking_reports_one_missed_call(proxy_factory, acclog):
    p = proxy_factory(
        'route { setflag(1); setflag(2); t_on_failure("1"); t_relay(); }\n'
        'failure_route[1] { if (!isflagset(9)) { setflag(9); '
        'append_branch("sip:y@10.0.0.8"); t_relay(); } }\n', params())
    log = acclog()
    fwd = p.uac(request())[1][3]
    out = p.uas(reply_to(fwd, 486, "Busy Here"))
    second = [s[3] for s in out if s[1] == "10.0.0.8"][0]
    p.uas(reply_to(second, 480, "Unavailable"), src=("10.0.0.8", 5060))
    assert strip_ts(log.acc()) == [
        line("call missed", "INVITE", 486, "Busy Here")]


def test_multi_leg_info(proxy_factory, acclog):
    p = proxy_factory(
        'route { setflag(1); $avp(s:leg) = "alice"; $avp(s:leg) = "bob"; '
        't_relay(); }\n', params(multi_leg_info="leg=$avp(s:leg)"))
    log = acclog()
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 200, "OK"))
    assert strip_ts(log.acc()) == [
        line("transaction answered", "INVITE", 200, "OK",
             extra=";leg=bob;leg=alice")]


def test_acc_log_request_from_script(proxy_factory, acclog):
    p = proxy_factory('route { acc_log_request("202 Done here"); '
                      'acc_log_request("just text"); }\n', params())
    log = acclog()
    p.uac(request("MESSAGE"))
    assert strip_ts(log.acc()) == [
        line("request accounted", "MESSAGE", 202, "Done here", to_tag=""),
        line("request accounted", "MESSAGE", "", "just text", to_tag="")]


def test_log_level(proxy_factory, acclog):
    from openser_py.core import dprint
    p = proxy_factory(ROUTE, params(log_level=3))
    log = acclog(debug=dprint.L_NOTICE)         # INFO records are filtered
    fwd = p.uac(request())[1][3]
    p.uas(reply_to(fwd, 200, "OK"))
    assert log.acc() == []


def test_bad_extra_fails_start_up(proxy_factory):
    import pytest
    with pytest.raises(Exception):
        proxy_factory(ROUTE, params(log_extra="novalue"))


def test_detect_direction_swaps_tags_of_upstream_requests(proxy_factory,
                                                          acclog):
    p = proxy_factory(
        'route { if (loose_route()) { setflag(1); t_relay(); exit; } }\n',
        'loadmodule "rr.so"\nmodparam("rr", "append_fromtag", 1)\n'
        + params(detect_direction=1))
    log = acclog()

    def bye(frm_tag, to_tag, branch):
        return ("BYE sip:alice@192.0.2.99:5062 SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=%s\r\n"
                "Route: <sip:127.0.0.1;lr;ftag=a1>\r\nMax-Forwards: 70\r\n"
                "From: <sip:x@example.com>;tag=%s\r\n"
                "To: <sip:y@example.com>;tag=%s\r\nCall-ID: %s\r\n"
                "CSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n"
                % (branch, frm_tag, to_tag, CID)).encode()
    # the callee hangs up: upstream (From tag b2 != ftag a1) -> swapped
    up = p.uas(bye("b2", "a1", "z9hG4bKup"))
    p.uas(reply_to(up[0][3], 200, "OK", to_tag=None), src=("192.0.2.99",
                                                          5062))
    # the caller hangs up: downstream, as is
    down = p.uac(bye("a1", "b2", "z9hG4bKdown"))
    p.uas(reply_to(down[0][3], 200, "OK", to_tag=None),
          src=("192.0.2.99", 5062))
    assert strip_ts(log.acc()) == [
        line("transaction answered", "BYE", 200, "OK", to_tag="b2"),
        line("transaction answered", "BYE", 200, "OK", to_tag="b2")]
