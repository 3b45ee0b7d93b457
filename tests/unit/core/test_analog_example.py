"""The tutorial module examples/modules/analog, loaded from an mpath dir."""
import os
import subprocess
import sys
import textwrap

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))), "examples", "modules")

RUNNER = textwrap.dedent('''
    import sys
    from openser_py.core.scriptrun import load_script, make_msg, run_route
    from openser_py.core import dprint
    from openser_py.core.statistics import get_stat
    from openser_py import mem
    dprint.set_debug(3)
    s = load_script(sys.argv[1])
    msg = make_msg(open(sys.argv[2], "rb").read())
    for _ in range(3):
        run_route(s, msg)
    print("printed=%d" % get_stat("printed", "analog").get())
    used = mem.shm_status()["used_size"]
    s.registry.destroy_modules()
    print("freed=%d" % (used - mem.shm_status()["used_size"]))
''')


def run_cfg(tmp_path, repo_root, cfg):
    (tmp_path / "a.cfg").write_text(cfg)
    (tmp_path / "run.py").write_text(RUNNER)
    return subprocess.run(
        [sys.executable, str(tmp_path / "run.py"), cfg,
         os.path.join(repo_root, "etc", "openser", "sample-invite.sip")],
        capture_output=True, text=True, cwd=repo_root, timeout=60,
        env=dict(os.environ, PYTHONPATH=repo_root))


def test_analog_loads_from_mpath_and_prints(tmp_path, repo_root):
    cfg = textwrap.dedent('''
        mpath="%s"
        loadmodule "analog.so"
        modparam("analog", "wordlist", "alpha, beta")
        modparam("analog", "buffer_size", 128)
        route { printa("call from $fu to $ru", "L_INFO"); }
    ''' % EXAMPLES)
    res = run_cfg(tmp_path, repo_root, cfg)
    assert res.returncode == 0, res.stderr
    lines = [l for l in res.stderr.splitlines() if "call from" in l]
    assert [l.split("] ", 1)[1] for l in lines] == [
        "alpha: call from sip:alice@atlanta.example.com to "
        "sip:bob@biloxi.example.com",
        "beta: call from sip:alice@atlanta.example.com to "
        "sip:bob@biloxi.example.com",
        "alpha: call from sip:alice@atlanta.example.com to "
        "sip:bob@biloxi.example.com"]
    assert "INFO:analog:mod_init: initializing analog" in res.stderr
    assert "printed=3" in res.stdout
    assert "freed=" in res.stdout and "freed=0" not in res.stdout


def test_analog_fixup_and_param_errors(tmp_path, repo_root):
    from openser_py.core.cfgload import load_config
    cfg = ('mpath="%s"\nloadmodule "analog.so"\n'
           'modparam("analog", "buffer_size", "big")\n'
           'route { printa("x", "L_LOUD"); }\n' % EXAMPLES)
    script = load_config(str(tmp_path / "b.cfg"), text=cfg, check=True)
    msgs = [(e.line, e.message) for e in script.errors]
    assert msgs[0][0] == 3 and "takes an integer value" in msgs[0][1]
    assert msgs[1][0] == 4 and "unknown log level 'L_LOUD'" in msgs[1][1]


def test_make_in_module_dir_validates_it(repo_root):
    res = subprocess.run(["make", "-s", "-C",
                          os.path.join(EXAMPLES, "analog")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "analog: ok (1 functions, 2 params, 1 stats" in res.stdout
