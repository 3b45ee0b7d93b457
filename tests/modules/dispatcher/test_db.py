"""Destination sets from the ``dispatcher`` table on SQLite, MariaDB and
PostgreSQL: load, ds_reload, version check."""
import pytest

from openser_py.mi.mi import run_mi_cmd
from tests.modules.auth_db import dbenv
from tests.modules.dispatcher.dsutil import HEAD, request, run


@pytest.fixture(params=dbenv.BACKENDS)
def db_url(request, tmp_path):
    with dbenv.make_db(request.param, tmp_path, ["dispatcher"]) as url:
        dbenv.insert_rows(url, "dispatcher", ("setid", "destination"), [
            (1, "sip:127.0.0.1:5071"), (2, "sip:127.0.0.2"),
            (1, "sip:127.0.0.1:5072")])
        yield url


def _load(env, url):
    from openser_py.core.scriptrun import load_script
    s = load_script(HEAD + 'loadmodule "dispatcher.so"\n'
                    'modparam("dispatcher", "db_url", "%s")\n'
                    'route { if (ds_select_dst("1", "4")) $avp(s:rc) = 1; }\n'
                    % url)
    env.append(s)
    s.registry.init_child(1)
    return s


def _sets():
    rpl = run_mi_cmd("ds_list", [])
    # no ORDER BY in 1.3's query: compare independent of the row order
    return {n.value: sorted(k.value for k in n.kids) for n in rpl.kids
            if n.name == "SET"}


def test_load_select_and_reload(env, db_url):
    s = _load(env, db_url)
    assert _sets() == {"2": ["sip:127.0.0.2"],
                       "1": ["sip:127.0.0.1:5071", "sip:127.0.0.1:5072"]}
    got = [run(s, request())[0].dst_uri for _ in range(4)]
    assert got[0] != got[1] and got[:2] == got[2:]
    assert sorted(got[:2]) == ["sip:127.0.0.1:5071", "sip:127.0.0.1:5072"]
    dbenv.run_sql(db_url, "DELETE FROM dispatcher WHERE destination = ?",
                  ("sip:127.0.0.1:5071",))
    dbenv.insert_rows(db_url, "dispatcher", ("setid", "destination"),
                      [(3, "sip:127.0.0.3:5090")])
    assert run_mi_cmd("ds_reload", []).code == 200
    assert _sets() == {"3": ["sip:127.0.0.3:5090"], "2": ["sip:127.0.0.2"],
                       "1": ["sip:127.0.0.1:5072"]}
    assert {run(s, request())[0].dst_uri for _ in range(3)} == {
        "sip:127.0.0.1:5072"}
    dbenv.insert_rows(db_url, "dispatcher", ("setid", "destination"),
                      [(4, "sip:no-such-host.invalid")])
    assert run_mi_cmd("ds_reload", []).code == 500
    assert len(_sets()) == 3


def test_table_version_checked(env, db_url):
    dbenv.run_sql(db_url, "UPDATE version SET table_version = 7 WHERE "
                  "table_name = ?", ("dispatcher",))
    with pytest.raises(ValueError, match="mod_init of module dispatcher"):
        _load(env, db_url)
