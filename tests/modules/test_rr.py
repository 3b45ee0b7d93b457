"""The rr module: Record-Route insertion, loose_route, route parameters, API.

Real messages run through a loaded script; the output is compared with
bytes written by hand (``build_req_buf``).  Sockets: UDP and TCP on
127.0.0.1:5060, UDP on 127.0.0.2:5070, alias proxy.example.com.
"""
import pytest

from openser_py.core import statistics
from openser_py.core.script_state import state
from openser_py.core.scriptrun import load_script, make_msg, run_route
from openser_py.modules.rr import OUTBOUND_HOOK, api, rr_add_outbound
from openser_py.parser.msg_translator import build_req_buf
from openser_py.sr_module import load_module_api

LISTEN = ("listen=udp:127.0.0.1:5060\nlisten=tcp:127.0.0.1:5060\n"
          "listen=udp:127.0.0.2:5070\nalias=proxy.example.com\n")

VIA = b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
TAIL = (b"From: <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>%s\r\n"
        b"Call-ID: rr@example.com\r\nCSeq: 1 %s\r\n"
        b"Content-Length: 0\r\n")


def req(method=b"INVITE", ruri=b"sip:bob@example.com", routes=b"",
        to_tag=b"", tail=None):
    """A request; *routes* are full header lines placed after the Via."""
    return (method + b" " + ruri + b" SIP/2.0\r\n" + VIA + routes
            + (tail if tail is not None else TAIL % (to_tag, method))
            + b"\r\n")


def indlg(ruri=b"sip:bob@192.0.2.20:5062", routes=b""):
    """An in-dialog BYE (To tag b1) from the caller."""
    return req(b"BYE", ruri, routes, b";tag=b1")


@pytest.fixture(autouse=True)
def clean():
    statistics.reset_registry()
    state.reset()
    api.destroy_rrcb_lists()
    yield
    api.destroy_rrcb_lists()
    statistics.reset_registry()
    state.reset()


def load(body, modparams="", extra=""):
    return load_script('%s%sloadmodule "rr.so"\n%s\nroute {\n%s\n}\n'
                       % (LISTEN, extra, modparams, body))


def run(script, data, **rcv):
    msg = make_msg(data, **rcv)
    run_route(script, msg)
    return msg


def mp(name, value):
    return 'modparam("rr", "%s", %d)\n' % (name, value)


RR = 'record_route();'
LR = 'loose_route(); $var(rc) = $rc;'


def with_rr(rr, data=None):
    """*data* (default: the plain INVITE) with *rr* above the first header."""
    data = data or req()
    head, _, rest = data.partition(b"\r\n")
    return head + b"\r\n" + rr + rest


# -- record_route ------------------------------------------------------------

def test_record_route_udp_goes_above_every_header():
    msg = run(load(RR), req())
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;lr;ftag=a1>\r\n")
    assert msg.buf == req()


def test_record_route_above_an_existing_record_route():
    data = req(routes=b"Record-Route: <sip:192.0.2.99;lr>\r\n")
    msg = run(load(RR), data)
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;lr;ftag=a1>\r\n", data)


def test_record_route_tcp_has_transport_and_no_default_port():
    msg = run(load(RR), req(), proto="tcp")
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;transport=tcp;lr;ftag=a1>\r\n")


def test_record_route_prints_a_port_other_than_5060():
    msg = run(load(RR), req(), dst_ip="127.0.0.2", dst_port=5070)
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.2:5070;lr;ftag=a1>\r\n")


def test_record_route_tcp_other_port():
    script = load_script('listen=tcp:127.0.0.1:5070\nloadmodule "rr.so"\n'
                         'route {\n%s\n}\n' % RR)
    msg = run(script, req(), proto="tcp", dst_port=5070)
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1:5070;transport=tcp;lr;ftag=a1>\r\n")


def test_record_route_advertised_address_and_port():
    msg = run(load(RR, extra='advertised_address="pub.example.com"\n'
                             'advertised_port=5060\n'), req())
    # an advertised port is always printed, even 5060
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:pub.example.com:5060;lr;ftag=a1>\r\n")


def test_record_route_full_lr():
    msg = run(load(RR, mp("enable_full_lr", 1)), req())
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;lr=on;ftag=a1>\r\n")


def test_record_route_without_ftag():
    msg = run(load(RR, mp("append_fromtag", 0)), req())
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;lr>\r\n")
    tail = TAIL.replace(b";tag=a1", b"") % (b"", b"INVITE")
    msg = run(load(RR), req(tail=tail))          # From without tag
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;lr>\r\n", req(tail=tail))


def test_record_route_with_params_and_pvs():
    msg = run(load('record_route(";m=$rm;x");'), req())
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;lr;ftag=a1;m=INVITE;x>\r\n")


def test_record_route_add_username():
    msg = run(load(RR, mp("add_username", 1)), req())
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:bob@127.0.0.1;lr;ftag=a1>\r\n")


def test_add_username_falls_back_to_the_new_uri():
    data = req(ruri=b"sip:example.com")
    msg = run(load('rewriteuser("carol"); ' + RR, mp("add_username", 1)),
              data)
    assert b"Record-Route: <sip:carol@127.0.0.1;lr;ftag=a1>\r\n" \
        in build_req_buf(msg)


def test_add_rr_param_before_and_after_record_route():
    script = load('add_rr_param(";a=1"); add_rr_param(";b=$rm"); '
                  'record_route(";p"); add_rr_param(";c=3");')
    msg = run(script, req())
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;lr;ftag=a1;p;a=1;b=INVITE;c=3>\r\n")


def test_second_record_route_is_refused():
    msg = run(load(RR + ' record_route(); $var(rc) = $rc;'), req())
    assert state.vars["rc"] == -1
    assert build_req_buf(msg).count(b"Record-Route:") == 1


def test_record_route_preset():
    msg = run(load('add_rr_param(";lost=1"); '
                   'record_route_preset("1.2.3.4:5090;u=$rU"); '
                   'add_rr_param(";lost=2"); $var(rc) = $rc;'), req())
    assert state.vars["rc"] == 1
    # ftag before lr, and add_rr_param does not reach a preset (as 1.3)
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:1.2.3.4:5090;u=bob;ftag=a1;lr>\r\n")


def test_record_route_preset_full_lr_and_username():
    msg = run(load('record_route_preset("10.0.0.1");',
                   mp("add_username", 1) + mp("enable_full_lr", 1)
                   + mp("append_fromtag", 0)), req())
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:bob@10.0.0.1;lr=on>\r\n")


def test_preset_then_record_route_is_refused():
    msg = run(load('record_route_preset("10.0.0.1"); record_route(); '
                   '$var(rc) = $rc;'), req())
    assert state.vars["rc"] == -1
    assert build_req_buf(msg).count(b"Record-Route:") == 1


# -- the double Record-Route hook --------------------------------------------

def _socket(proto, ip):
    from openser_py.core import forward
    return next(s for s in forward.get_sockets()
                if s.proto_name == proto and s.ip == ip)


def test_outbound_hook_adds_second_rr_for_another_protocol():
    msg = run(load('add_rr_param(";a=1"); ' + RR), req())
    assert msg.ctx[OUTBOUND_HOOK] is rr_add_outbound
    assert rr_add_outbound(msg, _socket("tcp", "127.0.0.1")) == 1
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;transport=tcp;r2=on;lr;ftag=a1;a=1>"
        b"\r\n"
        b"Record-Route: <sip:127.0.0.1;r2=on;lr;ftag=a1;a=1>\r\n")


def test_outbound_hook_other_interface_and_later_params():
    msg = run(load(RR), req())
    hook = msg.ctx[OUTBOUND_HOOK]
    assert hook(msg, _socket("udp", "127.0.0.2")) == 1
    load_module_api("rr").add_rr_param(msg, ";late=1")
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.2:5070;r2=on;lr;ftag=a1;late=1>\r\n"
        b"Record-Route: <sip:127.0.0.1;r2=on;lr;ftag=a1;late=1>\r\n")


def test_outbound_hook_same_socket_keeps_one_rr_and_is_reentrant():
    msg = run(load(RR), req())
    single = with_rr(b"Record-Route: <sip:127.0.0.1;lr;ftag=a1>\r\n")
    assert rr_add_outbound(msg, _socket("udp", "127.0.0.2")) == 1
    assert rr_add_outbound(msg, _socket("udp", "127.0.0.1")) == 0
    assert build_req_buf(msg) == single      # next branch: back to one RR


def test_outbound_hook_disabled_or_not_record_routed():
    msg = run(load(RR, mp("enable_double_rr", 0)), req())
    assert OUTBOUND_HOOK not in msg.ctx
    assert rr_add_outbound(msg, _socket("tcp", "127.0.0.1")) == 0
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;lr;ftag=a1>\r\n")
    plain = run(load('$var(x) = 1;'), req())
    assert rr_add_outbound(plain, _socket("tcp", "127.0.0.1")) == -1
    assert build_req_buf(plain) == req()


def test_outbound_hook_on_a_copy_that_copied_the_lumps():
    from openser_py.parser.data_lump import Lump
    msg = run(load(RR), req())
    clone = make_msg(req())
    for lump in msg.lumps:
        twin = Lump(lump.kind, lump.offset, lump.length, seq=lump.seq)
        twin.before[:], twin.after[:] = lump.before, lump.after
        clone.lumps = (clone.lumps or []) + [twin]
    clone.ctx.update(msg.ctx)
    assert clone.ctx[OUTBOUND_HOOK](clone, _socket("tcp", "127.0.0.1")) == 1
    assert build_req_buf(clone).count(b"Record-Route:") == 2
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:127.0.0.1;lr;ftag=a1>\r\n")


def test_record_route_ipv6_socket():
    script = load_script('listen=udp:[::1]:5060\nloadmodule "rr.so"\n'
                         'route {\n%s\n}\n' % RR)
    msg = run(script, req(), src_ip="2001:db8::10", dst_ip="::1")
    assert build_req_buf(msg) == with_rr(
        b"Record-Route: <sip:[::1];lr;ftag=a1>\r\n")


# -- loose_route -------------------------------------------------------------

def test_no_route_header():
    msg = run(load(LR), indlg())
    assert state.vars["rc"] == -1
    assert msg.dst_uri is None and msg.new_uri is None


def test_in_dialog_our_route_then_loose_next_hop():
    data = indlg(routes=b"Route: <sip:127.0.0.1;lr;ftag=a1>, "
                        b"<sip:192.0.2.30;lr>\r\n")
    msg = run(load(LR + ' $var(du) = $du;'), data)
    assert state.vars["rc"] == 1
    assert msg.dst_uri == "sip:192.0.2.30;lr" == state.vars["du"]
    assert msg.new_uri is None
    assert build_req_buf(msg) == indlg(
        routes=b"Route: <sip:192.0.2.30;lr>\r\n")


def test_our_route_in_its_own_header_field_alias_and_port():
    data = indlg(routes=b"Route: <sip:proxy.example.com:5060;lr>\r\n"
                        b"Route: <sip:192.0.2.30;lr>,<sip:192.0.2.31;lr>\r\n")
    msg = run(load(LR), data)
    assert state.vars["rc"] == 1
    assert msg.dst_uri == "sip:192.0.2.30;lr"
    assert build_req_buf(msg) == indlg(
        routes=b"Route: <sip:192.0.2.30;lr>,<sip:192.0.2.31;lr>\r\n")


def test_our_route_last_r_uri_routes():
    data = indlg(routes=b"Route: <sip:127.0.0.1;lr;ftag=a1>\r\n")
    msg = run(load(LR), data)
    assert state.vars["rc"] == 1
    assert msg.dst_uri is None and msg.new_uri is None
    assert build_req_buf(msg) == indlg()


def test_top_route_not_ours_is_the_next_hop():
    data = indlg(routes=b"Route: <sip:192.0.2.30;lr>\r\n")
    msg = run(load(LR), data)
    assert state.vars["rc"] == 1
    assert msg.dst_uri == "sip:192.0.2.30;lr"
    assert build_req_buf(msg) == data


def test_strict_router_ahead_gets_the_r_uri():
    data = indlg(routes=b"Route: <sip:127.0.0.1;lr>, <sip:192.0.2.40>, "
                        b"<sip:192.0.2.50;lr>\r\n")
    msg = run(load(LR), data)
    assert state.vars["rc"] == 1
    assert msg.new_uri == "sip:192.0.2.40" and msg.dst_uri is None
    expected = indlg(b"sip:192.0.2.40",
                     b"Route: <sip:192.0.2.50;lr>\r\n")
    # the old R-URI becomes the last Route value (RFC 3261 16.6 step 6)
    assert build_req_buf(msg) == expected[:-2] + (
        b"Route: <sip:bob@192.0.2.20:5062>\r\n\r\n")


def test_maddr_of_the_next_hop_is_the_destination():
    data = indlg(routes=b"Route: <sip:127.0.0.1;lr>\r\n"
                        b"Route: <sip:p2.example.net:5080;maddr=192.0.2.60;lr>"
                        b"\r\n")
    msg = run(load(LR), data)
    assert msg.dst_uri == "sip:192.0.2.60:5080"


def test_r_uri_is_us_after_a_strict_router_loose_next_hop():
    data = indlg(b"sip:127.0.0.1;lr;ftag=a1",
                 b"Route: <sip:192.0.2.30;lr>, <sip:bob@192.0.2.20:5062>\r\n")
    script = load(LR + ' if (is_direction("downstream")) { $var(d) = 1; }'
                       ' if (check_route_param("ftag=A1")) { $var(c) = 1; }')
    msg = run(script, data)
    assert state.vars["rc"] == 1
    assert msg.dst_uri == "sip:192.0.2.30;lr"
    assert msg.new_uri == "sip:bob@192.0.2.20:5062"
    assert state.vars["d"] == 1 and state.vars["c"] == 1
    assert build_req_buf(msg) == indlg(
        b"sip:bob@192.0.2.20:5062", b"Route: <sip:192.0.2.30;lr>\r\n")


def test_r_uri_is_us_after_a_strict_router_strict_next_hop():
    data = indlg(b"sip:127.0.0.1;lr",
                 b"Route: <sip:192.0.2.40>\r\n"
                 b"Route: <sip:bob@192.0.2.20:5062>\r\n")
    msg = run(load(LR), data)
    assert state.vars["rc"] == 1
    assert msg.new_uri == "sip:192.0.2.40" and msg.dst_uri is None
    assert build_req_buf(msg) == indlg(
        b"sip:192.0.2.40", b"Route: <sip:bob@192.0.2.20:5062>\r\n")


def test_initial_request_preloaded_route_to_us_is_removed():
    data = req(routes=b"Route: <sip:proxy.example.com;lr>\r\n")
    msg = run(load(LR), data)
    assert state.vars["rc"] == -1
    assert msg.dst_uri is None and msg.new_uri is None
    assert build_req_buf(msg) == req()


def test_initial_request_preloaded_route_set_is_followed():
    data = req(routes=b"Route: <sip:127.0.0.1;lr>,<sip:192.0.2.30;lr>\r\n")
    msg = run(load(LR), data)
    assert state.vars["rc"] == 1
    assert msg.dst_uri == "sip:192.0.2.30;lr"
    assert build_req_buf(msg) == req(
        routes=b"Route: <sip:192.0.2.30;lr>\r\n")


DOUBLE = (b"Route: <sip:127.0.0.1;r2=on;lr;ftag=a1>, "
          b"<sip:127.0.0.1;transport=tcp;r2=on;lr;ftag=a1>\r\n")


def test_double_rr_both_removed_and_send_socket_forced():
    data = indlg(routes=DOUBLE + b"Route: <sip:192.0.2.30;lr>\r\n")
    msg = run(load(LR), data)
    assert state.vars["rc"] == 1
    assert msg.dst_uri == "sip:192.0.2.30;lr"
    assert msg.force_send_socket is _socket("tcp", "127.0.0.1")
    assert build_req_buf(msg) == indlg(
        routes=b"Route: <sip:192.0.2.30;lr>\r\n")


def test_double_rr_in_one_field_with_next_hop_and_nothing_after():
    data = indlg(routes=b"Route: <sip:127.0.0.2:5070;r2=on;lr>,"
                        b"<sip:127.0.0.1;r2=on;lr>,<sip:192.0.2.30;lr>\r\n")
    msg = run(load(LR), data)
    assert msg.force_send_socket is _socket("udp", "127.0.0.1")
    assert build_req_buf(msg) == indlg(
        routes=b"Route: <sip:192.0.2.30;lr>\r\n")
    msg = run(load(LR), indlg(routes=DOUBLE))
    assert state.vars["rc"] == 1 and msg.dst_uri is None
    assert build_req_buf(msg) == indlg()


def test_double_rr_disabled_removes_only_the_first():
    data = indlg(routes=DOUBLE)
    msg = run(load(LR, mp("enable_double_rr", 0)), data)
    assert msg.dst_uri == "sip:127.0.0.1;transport=tcp;r2=on;lr;ftag=a1"
    assert build_req_buf(msg) == indlg(
        routes=b"Route: <sip:127.0.0.1;transport=tcp;r2=on;lr;ftag=a1>\r\n")


def test_r_uri_is_us_and_first_route_is_our_second_rr():
    data = indlg(b"sip:127.0.0.1;r2=on;lr;ftag=a1",
                 b"Route: <sip:127.0.0.2:5070;r2=on;lr;ftag=a1>\r\n"
                 b"Route: <sip:bob@192.0.2.20:5062>\r\n")
    msg = run(load(LR), data)
    assert state.vars["rc"] == 1
    assert msg.force_send_socket is _socket("udp", "127.0.0.2")
    assert msg.new_uri == "sip:bob@192.0.2.20:5062"
    assert build_req_buf(msg) == indlg(b"sip:bob@192.0.2.20:5062")


def test_record_route_then_loose_route_round_trip():
    script = load(RR)
    out = build_req_buf(run(script, req()))
    rr = out.split(b"\r\n")[1].replace(b"Record-Route:", b"Route:")
    msg = run(load(LR), indlg(routes=rr + b"\r\n"))
    assert state.vars["rc"] == 1
    assert build_req_buf(msg) == indlg()


# -- route parameters, direction, callbacks ----------------------------------

ROUTED = indlg(routes=b"Route: <sip:127.0.0.1;lr;ftag=a1;nat=yes>\r\n")


@pytest.mark.parametrize("regex,rc", [
    ("nat=yes", 1), (";NAT=YES", 1), ("^;lr;ftag=a1", 1), ("nat=no", -1),
    ("foo", -1),
])
def test_check_route_param(regex, rc):
    run(load(LR + ' check_route_param("%s"); $var(c) = $rc;' % regex), ROUTED)
    assert state.vars["c"] == rc


def test_check_route_param_before_loose_route_is_false():
    run(load('check_route_param("nat"); $var(c) = $rc;'), ROUTED)
    assert state.vars["c"] == -1


def test_check_route_param_bad_regex_is_a_fixup_error():
    with pytest.raises(ValueError, match="check_route_param|regular"):
        load('check_route_param("a(b");')


@pytest.mark.parametrize("from_tag,up,down", [
    (b"a1", -1, 1),      # caller -> callee
    (b"b1", 1, -1),      # callee -> caller: From tag is the callee's
])
def test_is_direction(from_tag, up, down):
    data = ROUTED.replace(b"tag=a1\r\n", b"tag=" + from_tag + b"\r\n")
    run(load(LR + ' is_direction("upstream"); $var(u) = $rc;'
                  ' is_direction("DownStream"); $var(d) = $rc;'), data)
    assert (state.vars["u"], state.vars["d"]) == (up, down)


def test_is_direction_without_ftag_is_downstream():
    data = indlg(routes=b"Route: <sip:127.0.0.1;lr>\r\n")
    run(load(LR + ' is_direction("downstream"); $var(d) = $rc;'), data)
    assert state.vars["d"] == 1


def test_is_direction_fixups():
    with pytest.raises(ValueError, match="append_fromtag"):
        load('is_direction("upstream");', mp("append_fromtag", 0))
    with pytest.raises(ValueError, match="direction"):
        load('is_direction("sideways");')


def test_api_params_and_callbacks():
    script = load(LR)
    rrb = load_module_api("rr")
    seen = []
    assert rrb.register_rrcb(lambda m, p, x: seen.append(("first", p, x)),
                             "P") == 0
    assert rrb.register_rrcb(lambda m, p, x: seen.append(("second", p))) == 0
    assert rrb.register_rrcb("not callable") == -1
    msg = run(script, ROUTED)
    assert seen == [("second", "lr;ftag=a1;nat=yes"),
                    ("first", "lr;ftag=a1;nat=yes", "P")]
    assert rrb.get_route_param(msg, "nat") == "yes"
    assert rrb.get_route_param(msg, "lr") == ""
    assert rrb.get_route_param(msg, "none") is None
    assert rrb.check_route_param(msg, "nat=yes") == 1
    assert rrb.is_direction(msg, rrb.RR_FLOW_DOWNSTREAM) == 1
    assert rrb.is_direction(msg, "upstream") == -1
    assert rrb.append_fromtag == 1
    seen.clear()
    run(script, indlg(routes=b"Route: <sip:192.0.2.30;lr>\r\n"))
    assert seen == []                    # not our Route: no callback


def test_callback_exception_does_not_break_loose_route():
    script = load(LR)
    load_module_api("rr").register_rrcb(lambda m, p, x: 1 / 0)
    msg = run(script, ROUTED)
    assert state.vars["rc"] == 1 and build_req_buf(msg) == indlg()


def test_malformed_route_is_an_error():
    msg = run(load(LR), indlg(routes=b"Route: <sip:127.0.0.1;lr\r\n"))
    assert state.vars["rc"] == -1
    assert build_req_buf(msg) == msg.buf
