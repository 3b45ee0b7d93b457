"""The tm module's exports: parameters with OpenSER 1.3 defaults."""
import pytest

from openser_py.core.cfgload import load_config
from openser_py.modules import tm
from openser_py.modules.tm import fsm

DEFAULTS = {
    "fr_timer": 30, "fr_inv_timer": 120, "wt_timer": 5, "delete_timer": 2,
    "T1_timer": 500, "T2_timer": 4000, "noisy_ctimer": 0, "ruri_matching": 1,
    "via1_matching": 1, "unix_tx_timeout": 2, "restart_fr_on_each_reply": 1,
    "fr_timer_avp": None, "fr_inv_timer_avp": None,
    "pass_provisional_replies": 0, "syn_branch": 1, "onreply_avp_mode": 0,
    "enable_stats": 1,
}


def test_params_and_defaults():
    # a fresh load gives every parameter its default back
    load_config("t.cfg", check=True, text='loadmodule "tm.so"\nroute { exit; }\n')
    params = {p.name: p for p in tm.exports.params}
    assert set(params) == set(DEFAULTS) | {"tw_append"}
    for name, value in DEFAULTS.items():
        assert params[name].default() == value, name
        assert params[name].doc
    assert {c.name for c in tm.exports.cmds} >= {
        "t_relay", "t_reply", "t_newtran", "t_on_failure", "t_check_status"}
    assert all(c.doc for c in tm.exports.cmds)
    t = fsm.timers_from_params(tm.cfg.fr_timer, tm.cfg.fr_inv_timer,
                               tm.cfg.wt_timer, tm.cfg.delete_timer,
                               tm.cfg.T1_timer, tm.cfg.T2_timer)
    assert t == fsm.TmTimers()


def test_tw_append_is_repeatable():
    before = list(tm.cfg.tw_append)
    try:
        assert tm.set_tw_append(1, "test:ua=hdr(User-Agent);uuid=avp[i:1]") == 0
        assert tm.cfg.tw_append[-1] == ("test", "ua=hdr(User-Agent);uuid=avp[i:1]")
        assert tm.set_tw_append(1, "no-colon") == -1
    finally:
        tm.cfg.tw_append[:] = before


@pytest.mark.parametrize("line,ok", [
    ('modparam("tm", "fr_timer", 10)', True),
    ('modparam("tm", "fr_inv_timer_avp", "$avp(i:25)")', True),
    ('modparam("tm", "fr_timer", "10")', False),
    ('modparam("tm", "no_such_param", 1)', False),
])
def test_config_modparams(line, ok):
    text = 'loadmodule "tm.so"\n%s\nroute { exit; }\n' % line
    script = load_config("t.cfg", check=True, text=text)
    assert (not script.errors) is ok, [str(e) for e in script.errors]
