"""openserctlrc reading (openser_py.ctl.rc) as openserdbctl uses it."""
import os

import pytest

from openser_py.ctl import rc
from tests.conftest import ROOT
from tests.ctl.test_openserdbctl import dbctl, write_rc


def test_shell_quoting_and_expansion():
    text = (
        "# comment\n"
        "DBENGINE=MYSQL\n"
        "export DBHOST=db.example.com   # trailing comment\n"
        "DBNAME='open ser'\n"
        'DBRWUSER="rw_$DBENGINE"\n'
        "DBROUSER=ro_${DBENGINE}_x\n"
        "ACL_GROUPS=\"local ld int voicemail free-pstn\"\n"
        "EMPTY=\n"
        'ESC="a\\"b\\$c"\n'
        "if [ -x /bin/true ]; then\n"
        "X=1; rm -rf /\n")
    settings, warnings = rc.parse_rc(text, name="f")
    assert settings["DBENGINE"] == "MYSQL"
    assert settings["DBHOST"] == "db.example.com"
    assert settings["DBNAME"] == "open ser"
    assert settings["DBRWUSER"] == "rw_MYSQL"
    assert settings["DBROUSER"] == "ro_MYSQL_x"
    assert settings["ACL_GROUPS"] == "local ld int voicemail free-pstn"
    assert settings["EMPTY"] == ""
    assert settings["ESC"] == 'a"b$c'
    assert settings["X"] == "1"
    assert len(warnings) == 2
    assert warnings[0].startswith("f:10: not a NAME=value line")
    assert "f:11" in warnings[1]


def test_file_order_later_wins(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".openserctlrc").write_text("DBNAME=fromhome\nDBHOST=h\n")
    envrc = write_rc(tmp_path / "envrc", DBNAME="fromenv")
    optrc = write_rc(tmp_path / "optrc", DBHOST="fromopt")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("OPENSERCTLRC", str(envrc))
    cfg = rc.load_rc(str(optrc))
    checkout = os.path.join(ROOT, "etc", "openser", "openserctlrc")
    assert cfg.files == [checkout, str(home / ".openserctlrc"), str(envrc),
                         str(optrc)]
    assert cfg["DBENGINE"] == "SQLITE"          # from the checkout's sample
    assert cfg["DBNAME"] == "fromenv"
    assert cfg["DBHOST"] == "fromopt"


def test_missing_explicit_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("OPENSERCTLRC", raising=False)
    with pytest.raises(OSError):
        rc.load_rc(str(tmp_path / "nope"))
    cfg = rc.load_rc()                       # missing ~/.openserctlrc is fine
    assert str(tmp_path / ".openserctlrc") not in cfg.files


def test_tool_reads_home_rc_and_env_passwords(tmp_path):
    db = tmp_path / "home.db"
    (tmp_path / ".openserctlrc").write_text(
        "DBENGINE=SQLITE\nDB_PATH=%s\n" % db)
    res = dbctl(tmp_path, "create")
    assert res.returncode == 0, res.stderr
    assert db.exists()
    # the rc password is used (and never printed)
    rcf = write_rc(tmp_path / "rc", DBENGINE="MYSQL", DBRWUSER="u",
                   DBRWPW="fromrc", DBNAME="openser_t_pw")
    out = dbctl(tmp_path, "create", "-n", rc=rcf).stdout
    assert "IDENTIFIED BY '********'" in out and "fromrc" not in out
    # without any password and no terminal: users skipped with a warning
    rcf = write_rc(tmp_path / "rc2", DBENGINE="MYSQL", DBRWUSER="u",
                   DBNAME="openser_t_pw")
    res = dbctl(tmp_path, "create", "-n", rc=rcf)
    assert res.returncode == 0
    assert "CREATE USER" not in res.stdout
    assert "WARNING: DBRWPW not set" in res.stderr
    # DBRWUSER = root: no users at all, no warning
    rcf = write_rc(tmp_path / "rc3", DBENGINE="MYSQL", DBRWUSER="root",
                   DBNAME="openser_t_pw")
    res = dbctl(tmp_path, "create", "-n", rc=rcf)
    assert "CREATE USER" not in res.stdout and "WARNING" not in res.stderr
