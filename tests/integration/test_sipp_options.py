"""sipp drives the real server: a bounded OPTIONS load, every request answered."""
from tests.conftest import free_port, require_tool
from tests.sipp_support import OPTIONS_XML, run_sipp


def test_sipp_options_all_answered(openser):
    require_tool("sipp", "sip-tester")
    srv = openser('sl_send_reply("200", "OK");', children=2)
    res = run_sipp(OPTIONS_XML, srv.port, count=1000, rate=500,
                   local_port=free_port(), max_seconds=30)
    assert res.successful == 1000 and res.failed == 0, (res, res.output[-2000:])
    assert srv.stop() == 0 and srv.leftovers() == set()


def test_sipp_options_over_tcp(openser):
    require_tool("sipp", "sip-tester")
    srv = openser('sl_send_reply("200", "OK");', children=1, tcp=True)
    res = run_sipp(OPTIONS_XML, srv.port, count=200, rate=100,
                   local_port=free_port(), transport="t1", max_seconds=30)
    assert res.successful == 200 and res.failed == 0, (res, res.output[-2000:])
    assert srv.stop() == 0 and srv.leftovers() == set()
