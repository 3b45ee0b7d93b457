"""permissions: allow/deny files -- syntax, allow_routing (R-URI and
branches), allow_register, allow_uri, MI allow_uri."""
import pytest

from openser_py.core.scriptrun import SendRecorder, load_script, make_msg, \
    run_route
from openser_py.core.usr_avp import get_avp_list
from openser_py.mi.mi import run_mi_cmd
from openser_py.mi.tree import MiNode
from openser_py.modules.permissions import rules
from tests.modules.auth_db import dbenv

ALLOW = """\
# sample permissions.allow
ALL : "^sip:361[0-9]*@abc\\.com$" EXCEPT "^sip:361[0-9]*3@abc\\.com$", "^sip:361[0-9]*4@abc\\.com$"

"^sip:3677[0-9]*@abc\\.com$" : "^sip:47[0-9]*@abc\\.com$"   # trailing comment
"^sip:trusted@" , "^sip:boss@": ALL
"""
DENY = """\
ALL : "^sip:361[0-9]*@abc\\.com$"
"^sip:3677" : ALL EXCEPT "^sip:47"
this line has no colon
"^sip:x" : "[unclosed"
ALL : ALL EXCEPT "^sip:free@"
"""


def test_rule_syntax(tmp_path):
    r = rules.parse_rules(ALLOW, "permissions.allow")
    assert len(r) == 3
    assert r[0].left is None and len(r[0].right_exceptions) == 2
    assert rules.search_rule(r, "sip:any@x", "sip:3612@abc.com")
    assert not rules.search_rule(r, "sip:any@x", "sip:3613@abc.com")
    assert rules.search_rule(r, "sip:any@x", "SIP:3612@ABC.COM")   # icase
    assert rules.search_rule(r, "sip:36771@abc.com", "sip:470@abc.com")
    assert not rules.search_rule(r, "sip:36771@abc.com", "sip:48@abc.com")
    assert rules.search_rule(r, "sip:boss@corp", "sip:anything")
    assert rules.parse_line("   # only a comment") is None
    assert rules.parse_line('"a:b" : "c#d"').left[0].search("xa:by")


def test_bad_lines_are_logged_with_file_and_line_and_skipped(capfd):
    r = rules.parse_rules(DENY, "/etc/permissions.deny")
    assert len(r) == 3
    err = capfd.readouterr().err
    assert "/etc/permissions.deny:3: failed to parse line" in err
    assert "/etc/permissions.deny:4: bad regular expression" in err


@pytest.fixture
def env():
    with dbenv.module_env() as scripts:
        yield scripts


def _load(env, tmp_path, route, params=(), pre=""):
    (tmp_path / "permissions.allow").write_text(ALLOW)
    (tmp_path / "permissions.deny").write_text(DENY)
    (tmp_path / "reg.allow").write_text(
        'ALL : "^sip:[^@]*@192\\.168\\."\n')
    (tmp_path / "reg.deny").write_text('ALL : "^sip:[^@]*@10\\."\n'
                                       '"^sip:bad@" : ALL\n')
    text = ('listen=udp:127.0.0.1:5060\nloadmodule "sl.so"\n'
            'loadmodule "permissions.so"\n'
            + "".join('modparam("permissions", "%s", %s)\n' % p
                      for p in params)
            + "route { $avp(s:rc) = -1; %s if (%s) $avp(s:rc) = 1; }\n"
            % (pre, route))
    s = load_script(text, filename=str(tmp_path / "openser.cfg"))
    env.append(s)
    s.registry.init_child(1)
    return s


def _req(ruri, frm="sip:any@x.org", to=None, contacts=(), method="INVITE"):
    lines = ["%s %s SIP/2.0" % (method, ruri),
             "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1",
             "From: <%s>;tag=1" % frm, "To: <%s>" % (to or ruri),
             "Call-ID: c1", "CSeq: 1 %s" % method]
    lines += ["Contact: %s" % c for c in contacts]
    return ("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode()


def _rc(s, data):
    msg = make_msg(data)
    with SendRecorder():
        run_route(s, msg)
    return get_avp_list().search("rc")


def test_allow_routing_default_files_relative_to_cfg(env, tmp_path):
    s = _load(env, tmp_path, "allow_routing()")
    assert _rc(s, _req("sip:3612@abc.com")) == 1          # allow
    assert _rc(s, _req("sip:3613@abc.com")) == -1         # deny (exception)
    assert _rc(s, _req("sip:free@x")) == 1                # deny exception
    assert _rc(s, _req("sip:other@x")) == -1              # deny ALL : ALL
    assert _rc(s, _req("sip:other@x", frm="sip:boss@corp")) == 1
    # the R-URI's parameters and port do not matter
    assert _rc(s, _req("sip:3612@abc.com:5070;user=phone")) == 1


def test_allow_routing_checks_every_branch(env, tmp_path):
    pre = 'append_branch("sip:%s");'
    s = _load(env, tmp_path, "allow_routing()", pre=pre % "other@x")
    assert _rc(s, _req("sip:3612@abc.com")) == -1
    s = _load(env, tmp_path, "allow_routing()", pre=pre % "3619@abc.com")
    assert _rc(s, _req("sip:3612@abc.com")) == 1
    s = _load(env, tmp_path, "allow_routing()", pre=pre % "other@x",
              params=[("check_all_branches", 0)])
    assert _rc(s, _req("sip:3612@abc.com")) == 1


def test_allow_routing_basename_and_two_files(env, tmp_path):
    (tmp_path / "x.allow").write_text('"^sip:a@" : ALL\n')
    (tmp_path / "x.deny").write_text('ALL : ALL\n')
    s = _load(env, tmp_path, 'allow_routing("x")')
    assert _rc(s, _req("sip:q@w", frm="sip:a@b")) == 1
    assert _rc(s, _req("sip:q@w", frm="sip:c@b")) == -1
    s = _load(env, tmp_path, 'allow_routing("%s/x.allow", "nothing.deny")'
              % tmp_path)
    assert _rc(s, _req("sip:q@w", frm="sip:c@b")) == 1    # no deny file
    s = _load(env, tmp_path, 'allow_routing("none.allow", "none.deny")')
    assert _rc(s, _req("sip:q@w", frm="sip:c@b")) == 1    # control off


def test_allow_register(env, tmp_path):
    s = _load(env, tmp_path, 'allow_register("reg")')
    reg = lambda *c, to="sip:u@d": _req("sip:d", to=to, contacts=c,  # noqa
                                        method="REGISTER")
    assert _rc(s, reg("<sip:u@192.168.1.2:5060>;expires=60")) == 1
    assert _rc(s, reg("<sip:u@10.1.1.1>")) == -1
    assert _rc(s, reg("<sip:u@192.168.1.2>", "<sip:u@10.0.0.1>")) == -1
    assert _rc(s, reg("<sip:u@172.16.0.1>")) == 1          # no rule
    assert _rc(s, reg("<sip:u@172.16.0.1>", to="sip:bad@d")) == -1
    assert _rc(s, reg()) == 1                              # no Contact
    assert _rc(s, reg("*", to="sip:bad@d")) == 1           # star
    s = _load(env, tmp_path, 'allow_register("reg.allow", "reg.deny")')
    assert _rc(s, reg("<sip:u@10.1.1.1>")) == -1


def test_allow_uri_and_mi(env, tmp_path):
    s = _load(env, tmp_path, 'allow_uri("permissions", "$avp(s:u)")',
              pre='$avp(s:u) = "sip:3613@abc.com";')
    assert _rc(s, _req("sip:x@y")) == -1
    s = _load(env, tmp_path, 'allow_uri("permissions", "$avp(s:u)")',
              pre='$avp(s:u) = "sip:3612@abc.com";')
    assert _rc(s, _req("sip:x@y")) == 1
    args = lambda *v: [MiNode("", x) for x in v]  # noqa: E731
    r = run_mi_cmd("allow_uri", args("permissions", "sip:a@b",
                                     "sip:3612@abc.com"))
    assert r.code == 200
    r = run_mi_cmd("allow_uri", args("permissions", "sip:a@b", "sip:zz@q"))
    assert (r.code, r.reason) == (403, "Forbidden")
    assert run_mi_cmd("allow_uri", args("nosuch", "a", "b")).code == 404
    assert run_mi_cmd("allow_uri", args("permissions", "a")).code == 400
