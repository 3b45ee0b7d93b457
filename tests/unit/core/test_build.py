"""Makefile.defs -> generated build config, the install step, the launchers."""
import os
import subprocess
import sys

from openser_py import version
from openser_py.tools import gen_build_config, install


def test_parse_defs_extracts_flag_names():
    assert gen_build_config.parse_defs("-DNO_DEBUG  -DDBG_QM_MALLOC -O2 -DX=1") \
        == ("NO_DEBUG", "DBG_QM_MALLOC", "X")


def test_make_writes_build_config_read_by_buildcfg(tmp_path, repo_root):
    out = tmp_path / "_build_config.py"
    rc = gen_build_config.main(["--defs=-DNO_DEBUG -DDBG_QM_MALLOC",
                                "--exclude", "db_mysql db_postgres",
                                "--include", "db_mysql", "-o", str(out)])
    assert rc == 0
    ns = {}
    exec(out.read_text(), ns)  # noqa: S102
    assert ns["DEFS"] == ("NO_DEBUG", "DBG_QM_MALLOC")
    assert ns["EXCLUDE_MODULES"] == ("db_mysql", "db_postgres")
    # buildcfg derives its flags from the generated module in a fresh process
    code = ("import sys; sys.modules['openser_py._build_config'] = "
            "type(sys)('x'); m = sys.modules['openser_py._build_config'];"
            "exec(open(%r).read(), m.__dict__);"
            "from openser_py import buildcfg as b;"
            "print(b.NO_DEBUG, b.DBG_QM_MALLOC, b.DBG_F_MALLOC,"
            " b.module_allowed('db_mysql'), b.module_allowed('db_postgres'),"
            " b.module_allowed('tm'))" % str(out))
    res = subprocess.run([sys.executable, "-c", code], cwd=repo_root,
                         capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["True", "True", "False", "True", "False", "True"]


def test_no_debug_build_turns_lm_dbg_into_noop(tmp_path, repo_root):
    out = tmp_path / "_build_config.py"
    gen_build_config.main(["--defs=-DNO_DEBUG", "-o", str(out)])
    code = ("import sys; m = type(sys)('x');"
            "sys.modules['openser_py._build_config'] = m;"
            "exec(open(%r).read(), m.__dict__);"
            "from openser_py.core import dprint;"
            "dprint.set_debug(4); dprint.LM_DBG('should not appear');"
            "dprint.LM_INFO('info appears')" % str(out))
    res = subprocess.run([sys.executable, "-c", code], cwd=repo_root,
                         capture_output=True, text=True, check=True)
    assert "info appears" in res.stderr
    assert "should not appear" not in res.stderr


def test_generation_is_idempotent(tmp_path):
    out = tmp_path / "c.py"
    gen_build_config.main(["--defs=-DNO_DEBUG", "-o", str(out)])
    mtime = os.stat(out).st_mtime_ns
    assert gen_build_config.write_if_changed(
        str(out), gen_build_config.render(("NO_DEBUG",), (), ())) is False
    assert os.stat(out).st_mtime_ns == mtime


def test_install_launchers_and_samples(tmp_path, repo_root):
    sbin, cfg = tmp_path / "sbin", tmp_path / "etc" / "openser"
    cfg.mkdir(parents=True)
    (cfg / "openser.cfg").write_text("# operator's own\n")
    install.main(["--sbin", str(sbin), "--cfg", str(cfg),
                  "--src", os.path.join(repo_root, "etc", "openser")])
    for tool in ("openser", "openserctl", "openserdbctl", "openserunix"):
        assert os.access(sbin / tool, os.X_OK)
    # the operator's config is kept, the sample refreshed
    assert (cfg / "openser.cfg").read_text() == "# operator's own\n"
    assert (cfg / "openser.cfg.sample").read_text().startswith("#")
    for name in ("openserctlrc", "openserctlrc.sample", "dictionary.radius",
                 "dictionary.radius.sample"):
        assert (cfg / name).exists(), name
    env = dict(os.environ, PYTHONPATH=repo_root)
    res = subprocess.run([str(sbin / "openser"), "-V"], capture_output=True,
                         text=True, env=env, check=True)
    assert res.stdout.startswith("version: openser %s" % version.RELEASE)


def test_sbin_launchers_run_from_checkout(repo_root):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for tool, expect in (("openser", "version: openser"),
                         ("openserctl", "openserctl for openser"),
                         ("openserdbctl", "openserdbctl for openser"),
                         ("openserunix", "openserunix for openser")):
        args = ["-V"] if tool == "openser" else ["version"]
        res = subprocess.run([os.path.join(repo_root, "sbin", tool)] + args,
                             capture_output=True, text=True, env=env,
                             cwd="/", check=True)
        assert res.stdout.startswith(expect), (tool, res.stdout)
